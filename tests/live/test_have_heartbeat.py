"""A relay tells its stripe children what it holds at least every heartbeat, even when nothing changed: a child whose
parent has gone quiet tells from it whether the parent is starved itself (alive, without the blocks: wait while it
mends its own route) or holds blocks it did not push (leave). Neighbours that are not children get no heartbeat.
Over real loopback sockets: an origin, a viewer under it, and two raw peers of that viewer."""

from __future__ import annotations

import asyncio
import os
import time

from app.live import wire
from app.live.node import LiveNode
from app.live.stripe_tree import HAVE_HEARTBEAT_S
from app.live.wire import Kind
from tests.live.relay_rig import OneStripeStream, peer, until

LISTEN_S = 3.5 * HAVE_HEARTBEAT_S


async def _haves(reader: asyncio.StreamReader, seconds: float) -> list[wire.Have]:
    """The HAVE frames read within ``seconds``."""
    haves: list[wire.Have] = []
    until_at = time.monotonic() + seconds
    while (left := until_at - time.monotonic()) > 0:
        try:
            kind, body = await asyncio.wait_for(wire.read_frame(reader), left)
        except TimeoutError:
            break
        if kind is Kind.HAVE:
            haves.append(wire.parse_have(body))
    return haves


def test_a_relay_repeats_its_have_to_its_children_and_only_to_them() -> None:
    async def scenario() -> None:
        stream = OneStripeStream()
        signer, verifier, config = stream.signer, stream.verifier, stream.config
        origin = LiveNode(config(is_origin=True), verifier)
        await origin.start()
        relay = LiveNode(config(), verifier)
        await relay.start()
        try:
            relay.add_peers([(origin.config.host, origin.port)])
            await until(lambda: relay.has_parent(0), "the relay's route through the origin")
            origin.publish(signer.make_block(7, int(time.time() * 1000), os.urandom(5_000), keyframe=True))
            await until(lambda: 7 in relay.store, "the block pushed to the relay")
            child, child_writer = await peer(relay, signer.stream_id)
            bystander, bystander_writer = await peer(relay, signer.stream_id)
            child_writer.write(wire.subscribe(1))
            # Both already hold everything the relay holds: no HAVE of theirs would be news to them.
            for writer in (child_writer, bystander_writer):
                writer.write(wire.have(7, (1 << 64) - 1))
                await writer.drain()
            await until(lambda: any(nb.subscribed_mask for nb in relay.neighbours.values()), "the child's subscription")
            to_child, to_bystander = await asyncio.gather(_haves(child, LISTEN_S), _haves(bystander, LISTEN_S))
            # Nothing new came since block 7: every HAVE the child read (the one sent as it connected, then heartbeats)
            # says block 7.
            assert len(to_child) >= 3, f"{len(to_child)} HAVEs in {LISTEN_S} s"
            assert all(have.newest == 7 for have in to_child)
            assert len(to_bystander) <= 1  # at most the one sent when it connected, before it said what it holds
            for writer in (child_writer, bystander_writer):
                writer.close()
        finally:
            for node in (relay, origin):
                await node.stop()

    asyncio.run(asyncio.wait_for(scenario(), 60))
