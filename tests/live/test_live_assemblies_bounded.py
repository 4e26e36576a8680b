"""What a viewer holds does not outlive its use. Unfinished pushed blocks whose senders stopped (dropped them as late,
or stopped being our parent) used to stay on their connection for as long as it lived — up to twelve blocks per
connection. And a viewer that left a host of many viewers kept its blocks until the cyclic GC, which such a host runs
rarely, freed its objects (they form cycles): the host's memory grew with every departure, ~0.3 MB a viewer a minute
over 10 minutes of churn. Real loopback sockets."""

from __future__ import annotations

import asyncio
import os
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live import cut_through, wire
from app.live.blocks import BlockVerifier, StreamSigner
from app.live.node import LiveNode, NodeConfig
from app.live.viewer import Viewer
from app.live.wire import Part
from tests.live.relay_rig import peer, send_parts
from tests.support.net import loopback_address


def test_the_assembler_forgets_blocks_older_than_a_given_seq() -> None:
    assembler = cut_through.PartAssembler()
    for seq in range(10):
        assembler.start(Part(seq, 3 * cut_through.PART_SIZE, 0, b"x" * cut_through.PART_SIZE))
    assert assembler.forget_before(6) == 6
    assert assembler.held() == 4 and not assembler.in_progress(5) and assembler.in_progress(6)


def test_unfinished_blocks_of_a_sender_that_stopped_are_dropped_once_the_stream_moved_on() -> None:
    async def scenario() -> None:
        signer = StreamSigner.generate(os.urandom(16))
        verifier = BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))
        node = LiveNode(NodeConfig(stream_id=signer.stream_id, host=loopback_address()), verifier)
        await node.start()
        try:
            start_ms = int(time.time() * 1000) - 12_000
            blocks = [
                signer.make_block(seq, start_ms + 250 * seq, os.urandom(3 * cut_through.PART_SIZE), keyframe=False)
                for seq in range(40)
            ]
            _quitter_reader, quitter = await peer(node, signer.stream_id)
            for block in blocks[:12]:  # only each block's first part: the sender stops there
                quitter.write(wire.part(block.seq, len(block.wire), 0, block.wire[: cut_through.PART_SIZE]))
            await quitter.drain()
            await _wait(lambda: _held(node) == 12, "the unfinished blocks to arrive")
            _reader, feeder = await peer(node, signer.stream_id)
            for block in blocks[12:]:  # the stream goes on through another neighbour
                await send_parts(feeder, block.wire, block.seq)
            await _wait(lambda: node.store.newest == 39, "the later blocks to be admitted")
            await _wait(lambda: _held(node) == 0, "the stale assemblies to be dropped")
        finally:
            await node.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def _held(node: LiveNode) -> int:
    return sum(nb.assembler.held() for nb in node.neighbours.values())


async def _wait(condition: object, what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def test_a_viewer_that_stopped_holds_no_blocks_even_before_the_garbage_collector_frees_it() -> None:
    async def scenario() -> None:
        signer = StreamSigner.generate(os.urandom(16))
        verifier = BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))
        viewer = Viewer(NodeConfig(stream_id=signer.stream_id, host=loopback_address(), delay_s=5.0), verifier)
        await viewer.start([])
        start_ms = int(time.time() * 1000)
        blocks = [
            signer.make_block(seq, start_ms + 250 * seq, os.urandom(2 * cut_through.PART_SIZE), keyframe=seq % 4 == 0)
            for seq in range(8)
        ]
        _reader, feeder = await peer(viewer.node, signer.stream_id)
        for block in blocks:
            await send_parts(feeder, block.wire, block.seq)
        unfinished = signer.make_block(8, start_ms + 2000, os.urandom(3 * cut_through.PART_SIZE), keyframe=False)
        feeder.write(wire.part(8, len(unfinished.wire), 0, unfinished.wire[: cut_through.PART_SIZE]))
        await feeder.drain()
        assert viewer.playout is not None
        await _wait(lambda: viewer.node.store.held() == 8 and _held(viewer.node) == 1, "the blocks to arrive")
        assert viewer.playout.held() > 0  # a 5 s delay: nothing played yet
        connections = list(viewer.node.neighbours.values())
        await viewer.stop()
        # The viewer object is still referenced (here by the test; in a host by its own reference cycles).
        assert viewer.node.store.held() == 0
        assert viewer.playout.held() == 0
        assert all(nb.closed and nb.queued_bytes() == 0 and nb.assembler.held() == 0 for nb in connections)

    asyncio.run(asyncio.wait_for(scenario(), 30))
