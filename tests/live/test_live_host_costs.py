"""Units of what a host of many viewers saves per block: one signature check per block (not per copy), HAVEs only
to neighbours that could use them, and a cheap wake-up for the per-viewer loops."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live.block_store import Admission, BlockStore
from app.live.blocks import HEADER_SIZE, Block, StreamSigner
from app.live.shared_verifier import SharedBlockVerifier
from app.live.wakeup import Wakeup
from app.live.wire import Have

NOW = time.time()


def _shared(capacity: int = 96) -> tuple[StreamSigner, SharedBlockVerifier]:
    signer = StreamSigner.generate(os.urandom(16))
    key = Ed25519PublicKey.from_public_bytes(signer.public_key_raw)
    return signer, SharedBlockVerifier(signer.stream_id, key, capacity=capacity)


def _block(signer: StreamSigner, seq: int) -> Block:
    return signer.make_block(seq, int(NOW * 1000) + seq * 250, os.urandom(2000), keyframe=seq % 4 == 0)


def _copy(wire: bytes) -> bytes:
    return bytes(bytearray(wire))  # the bytes another viewer's connection delivered: equal, not the same object


def test_viewers_sharing_a_verifier_check_each_block_once_and_hold_one_copy() -> None:
    signer, verifier = _shared()
    stores = [BlockStore(verifier) for _ in range(5)]
    for seq in range(3):
        wire = _block(signer, seq).wire
        for store in stores:
            assert store.admit(_copy(wire), now=NOW)[0] is Admission.NEW
    assert verifier.checks == 3
    assert verifier.shared == 3 * 4
    for seq in range(3):
        assert all(store.get(seq) is stores[0].get(seq) for store in stores)


def test_a_forged_copy_of_a_verified_block_is_still_refused() -> None:
    signer, verifier = _shared()
    first, second = BlockStore(verifier), BlockStore(verifier)
    genuine = _block(signer, 5)
    assert first.admit(genuine.wire, now=NOW)[0] is Admission.NEW
    altered = bytearray(genuine.wire)
    altered[HEADER_SIZE + 10] ^= 0x01  # the payload changed, the signature copied: same seq, other bytes
    assert second.admit(bytes(altered), now=NOW) == (Admission.FORGED, None)
    impostor = StreamSigner.generate(signer.stream_id)  # another key, the same stream id and seq
    assert second.admit(_block(impostor, 5).wire, now=NOW) == (Admission.FORGED, None)
    assert second.admit(_copy(genuine.wire), now=NOW)[0] is Admission.NEW  # the genuine copy still passes
    assert verifier.checks == 1


def test_the_shared_verifier_remembers_a_bounded_number_of_blocks() -> None:
    signer, verifier = _shared(capacity=16)
    for seq in range(200):
        verifier.verify(_block(signer, seq))
    assert verifier.remembered() == 16
    old = _block(signer, 3)  # forgotten: checked again, and passes
    assert verifier.verify(old) is old
    assert verifier.checks == 201


def test_a_have_covers_a_map_only_when_it_lists_every_block_of_it() -> None:
    full = (1 << 64) - 1
    assert Have(100, full).covers(100, full)
    assert Have(103, full).covers(100, full)  # newer, holds everything before
    assert Have(100, 0b101).covers(100, 0b101)
    assert not Have(100, 0b101).covers(100, 0b111)  # we hold 98, it does not
    assert not Have(99, full).covers(100, 0)  # our newest is past its newest
    assert not Have(102, 0b1).covers(100, 0)  # it lacks 100 (distance 1)
    assert Have(102, 0b10).covers(100, 0)  # it holds 100
    assert Have(102, 0b110).covers(100, 0b1)  # it holds 100 and 99
    assert Have(200, full).covers(100, full)  # what lies beyond its 64 is too old to matter


def test_a_wakeup_returns_when_set_or_after_its_timeout() -> None:
    async def scenario() -> None:
        wakeup = Wakeup()
        assert await wakeup.wait(0.05) is False  # nobody set it: the timeout ended the wait
        wakeup.set()  # set before waiting: not lost
        assert await wakeup.wait(10) is True
        wakeup.clear()
        asyncio.get_running_loop().call_later(0.02, wakeup.set)
        assert await asyncio.wait_for(wakeup.wait(10), 5) is True
        wakeup.clear()
        waiting = asyncio.create_task(wakeup.wait(10))
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        wakeup.set()  # no waiter left behind to resolve

    asyncio.run(asyncio.wait_for(scenario(), 20))
