"""A new stripe root gets the stripe's last block from the origin: made while the stripe had no root (its old one
left), nobody else holds it, and without it every viewer of the stripe skipped it. Over real loopback sockets."""

from __future__ import annotations

import asyncio
import os
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live import wire
from app.live.blocks import BlockVerifier, StreamSigner
from app.live.node import LiveNode, NodeConfig
from app.live.wire import stripe_of
from tests.live.relay_rig import peer, received_from
from tests.support.net import loopback_address


def test_a_new_root_gets_the_block_its_stripe_missed_but_not_an_old_one() -> None:
    async def scenario() -> None:
        signer = StreamSigner.generate(os.urandom(16))
        verifier = BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))
        origin = LiveNode(NodeConfig(stream_id=signer.stream_id, host=loopback_address(), is_origin=True), verifier)
        await origin.start()
        try:
            now_ms = int(time.time() * 1000)
            same_stripe = next(seq for seq in range(4001, 4009) if stripe_of(seq, 4) == stripe_of(4000, 4))
            old = signer.make_block(4000, now_ms - 2500, os.urandom(20_000), keyframe=True)
            missed = signer.make_block(same_stripe, now_ms - 300, os.urandom(20_000), keyframe=True)
            other = signer.make_block(same_stripe + 1, now_ms - 50, os.urandom(20_000), keyframe=False)
            assert stripe_of(other.seq, 4) != stripe_of(missed.seq, 4)
            for block in (old, missed, other):
                origin.publish(block)  # nobody subscribed: pushed to nobody
            reader, writer = await peer(origin, signer.stream_id)
            writer.write(wire.subscribe(1 << stripe_of(missed.seq, 4)))
            await writer.drain()
            assert await received_from(reader, missed.seq, time.monotonic() + 3) == missed.wire
            # Only the stripe asked for, and only what is still young enough to be played.
            assert await received_from(reader, other.seq, time.monotonic() + 0.5) == b""
            assert await received_from(reader, old.seq, time.monotonic() + 0.5) == b""
        finally:
            await origin.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))
