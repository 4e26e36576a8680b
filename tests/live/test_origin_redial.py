"""A viewer with all the neighbours it wants still dials the origin again when that connection ends: only the
origin's neighbours can take a stripe's root slot when a root leaves, so a swarm whose viewers drifted away from
the origin was left with a stripe nobody could root (bench/live.py, stop 19). Over real loopback sockets."""

from __future__ import annotations

import asyncio
import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live.blocks import BlockVerifier, StreamSigner
from app.live.node import LiveNode, NodeConfig
from tests.live.relay_rig import peer, until
from tests.support.net import free_port, loopback_address


def test_a_viewer_with_a_full_neighbour_list_dials_a_restarted_origin_again() -> None:
    async def scenario() -> None:
        signer = StreamSigner.generate(os.urandom(16))
        verifier = BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))
        host = loopback_address()
        origin_config = NodeConfig(stream_id=signer.stream_id, host=host, port=free_port(host), is_origin=True)
        origin = LiveNode(origin_config, verifier)
        await origin.start()
        viewer = LiveNode(NodeConfig(stream_id=signer.stream_id, host=loopback_address(), max_neighbours=2), verifier)
        await viewer.start()
        try:
            viewer.add_peers([(host, origin.port)])

            def with_origin() -> bool:
                return any(nb.is_origin for nb in viewer.neighbours.values())

            await until(with_origin, "the first connection to the origin")
            others = [await peer(viewer, signer.stream_id) for _ in range(2)]  # two viewers dial in: it is full
            await until(lambda: len(viewer.neighbours) == 3, "the two viewers connected")
            await origin.stop()  # the origin goes away and comes back on the same address
            await until(lambda: not with_origin(), "the origin's connection ended")
            origin = LiveNode(origin_config, verifier)
            await origin.start()
            await until(with_origin, "the origin dialled again")
            assert len(viewer.neighbours) == 3  # the others stayed: the origin came on top of a full list
            for _, writer in others:
                writer.close()
        finally:
            await viewer.stop()
            await origin.stop()

    asyncio.run(asyncio.wait_for(scenario(), 60))
