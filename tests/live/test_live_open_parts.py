"""Blocks travel while the broadcaster still makes them: open parts (size not known yet) leave frame by frame, and
only the last bytes and the signature follow once the block is cut.

Checked on the real encoder (the bytes handed out early are always the start of the block cut later), on a relay
over real loopback sockets (it passes open parts on at once, completes the block only once it verified, and a block
forged in open parts never arrives whole), and on a real broadcaster (a subscriber gets each block's first bytes
before the block is whole, and the whole block verifies).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import defaultdict

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live import cut_through, wire
from app.live.blocks import Block, BlockVerifier, OpenBlock, StreamSigner
from app.live.broadcaster import Broadcaster
from app.live.encoder import EncoderSettings, LiveEncoder
from app.live.node import NodeConfig
from app.live.sources import PictureFormat, TestPattern
from app.live.ts_cutter import BlockBytes, CutBlock
from app.live.wire import Kind
from tests.live.relay_rig import peer, received_from, relay_with_a_child
from tests.live.test_live_restamp import FMT, _Frames
from tests.support.net import loopback_address


def test_the_bytes_handed_out_early_are_the_start_of_each_block_cut_later() -> None:
    events: list[BlockBytes | CutBlock] = []
    LiveEncoder(EncoderSettings(picture=FMT, video_kbps=300), events.append, events.append).run(_Frames())
    blocks = [event for event in events if isinstance(event, CutBlock)]
    assert len(blocks) >= 7
    early: bytearray | None = None
    handed_out_before_cut = 0
    for event in events:
        if isinstance(event, BlockBytes):
            if event.offset == 0:
                early = bytearray()
            assert early is not None and event.offset == len(early), "the bytes come in order, from the start"
            early += event.data
            continue
        if early is not None:
            assert event.data.startswith(bytes(early)), "bytes sent early are never different bytes of the block"
            handed_out_before_cut += len(early) > 0
        early = None
    # Every block but the last partial one (cut when the source ends) was sent, nearly whole, before it was cut.
    assert handed_out_before_cut >= len(blocks) - 1


def test_a_relay_passes_open_parts_on_at_once_and_completes_only_the_verified_block() -> None:
    async def scenario() -> None:
        async with relay_with_a_child() as rig:
            signer, relay = rig.signer, rig.relay
            impostor = StreamSigner.generate(signer.stream_id)
            forged = impostor.open_block(2000, int(time.time() * 1000), keyframe=True)
            forger_reader, forger_writer = await peer(relay, signer.stream_id)
            sent_open = await _send_open(forger_writer, forged, 3)
            await _close(forger_writer, forged, len(sent_open))
            got = await received_from(rig.child, 2000, time.monotonic() + 2)
            assert got == sent_open, "the open parts went on, the completing part did not"
            assert 2000 not in rig.played and 2000 not in relay.store
            await asyncio.wait_for(forger_reader.read(), 5)  # the relay hangs up on the forger
            assert relay.counters.peers_dropped == 1

            genuine = signer.open_block(2001, int(time.time() * 1000), keyframe=True)
            _reader, writer = await peer(relay, signer.stream_id)
            sent_open = await _send_open(writer, genuine, 3)
            early = await received_from(rig.child, 2001, time.monotonic() + 2)
            assert early == sent_open, "every open part reached the child before the block was closed"
            assert 2001 not in relay.store
            block = await _close(writer, genuine, len(sent_open))
            rest = await received_from(rig.child, 2001, time.monotonic() + 5, start=len(early))
            assert early + rest == block.wire and rig.played == [2001]

    asyncio.run(asyncio.wait_for(scenario(), 30))


async def _send_open(writer: asyncio.StreamWriter, block: OpenBlock, frames: int) -> bytes:
    """``frames`` pieces of payload, each sent as an open part as soon as it is added; the bytes sent."""
    for index in range(frames):
        start = 0 if index == 0 else block.size()  # the header goes with the first bytes
        block.add(os.urandom(cut_through.PART_SIZE // 2))
        writer.write(wire.part(block.seq, 0, start, block.wire_from(start)))
        await writer.drain()
    return block.wire_from(0)


async def _close(writer: asyncio.StreamWriter, block: OpenBlock, sent: int) -> Block:
    whole = block.close()
    writer.write(wire.part(whole.seq, len(whole.wire), sent, whole.wire[sent:]))
    await writer.drain()
    return whole


def test_a_broadcaster_sends_each_block_s_first_bytes_before_the_block_is_whole() -> None:
    async def scenario() -> None:
        signer = StreamSigner.generate(os.urandom(16))
        verifier = BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))
        config = NodeConfig(stream_id=signer.stream_id, host=loopback_address(), is_origin=True)
        fmt = PictureFormat(160, 96, 24)
        broadcaster = Broadcaster(signer, verifier, config, EncoderSettings(picture=fmt, video_kbps=300))
        await broadcaster.start(TestPattern(fmt))
        try:
            reader, writer = await peer(broadcaster.node, signer.stream_id)
            writer.write(wire.subscribe(0xF))
            await writer.drain()
            parts: dict[int, list[tuple[float, wire.Part]]] = defaultdict(list)
            until = time.monotonic() + 3.0
            while time.monotonic() < until:
                try:
                    kind, body = await asyncio.wait_for(wire.read_frame(reader), until - time.monotonic())
                except TimeoutError:
                    break
                if kind is Kind.PART:
                    part = wire.parse_part(body)
                    parts[part.seq].append((time.monotonic(), part))
        finally:
            await broadcaster.stop()
        whole = [seq for seq, got in parts.items() if got[0][1].offset == 0 and got[-1][1].total]
        assert len(whole) >= 6, f"blocks received whole: {len(whole)}"
        for seq in whole:
            got = parts[seq]
            assert got[0][1].total == 0, "a block's first bytes leave before its size is known"
            spread = got[-1][0] - got[0][0]
            # The block's frames come as they are encoded: its first and last bytes are frames apart, not one write.
            assert spread > 1.5 / fmt.fps, f"block {seq}: all its bytes came within {spread * 1000:.0f} ms"
            data = b"".join(part.data for _, part in got)
            assert verifier.parse_and_verify(data).seq == seq

    asyncio.run(asyncio.wait_for(scenario(), 60))
