"""A viewer whose every neighbour is full in a stripe dials more peers than its usual count until one takes it: with
a full neighbour list it used to dial nobody, and played that stripe from pulls alone for up to 44 s in a
ten-minute bench run (stop 21). Over real loopback sockets; one stripe, so one full neighbour is enough."""

from __future__ import annotations

import asyncio
import os

from app.live import wire
from app.live.node import LiveNode
from tests.live.relay_rig import OneStripeStream, peer, until


def test_a_viewer_whose_neighbours_are_all_full_dials_one_more_peer_and_gets_a_parent() -> None:
    async def scenario() -> None:
        stream = OneStripeStream()
        signer, verifier, config = stream.signer, stream.verifier, stream.config
        origin = LiveNode(config(port=0, is_origin=True), verifier)
        await origin.start()
        helper = LiveNode(config(), verifier)  # a viewer under the origin, with free slots
        viewer = LiveNode(config(max_neighbours=1), verifier)
        for node in (helper, viewer):
            await node.start()
        try:
            helper.add_peers([(origin.config.host, origin.port)])
            await until(lambda: helper.has_parent(0), "the helper's route through the origin")
            # The viewer's one neighbour says it has a route and no free slot: nobody it knows can take it.
            _, full_writer = await peer(viewer, signer.stream_id)
            full_writer.write(wire.status((1,), (0,), 0, 0, ((os.urandom(8),),)))
            await full_writer.drain()
            await until(lambda: len(viewer.neighbours) == 1, "the full neighbour connected")
            viewer.add_peers([(helper.config.host, helper.port)])  # known, but the list is full
            await until(lambda: viewer.has_parent(0), "the viewer's route through the helper")
            assert helper.node_id in viewer.neighbours and len(viewer.neighbours) == 2
            full_writer.close()
        finally:
            for node in (viewer, helper, origin):
                await node.stop()

    asyncio.run(asyncio.wait_for(scenario(), 60))
