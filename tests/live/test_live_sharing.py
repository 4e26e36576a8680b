"""A viewer on a metered connection uploads nothing, and starts relaying again when it may — real nodes on loopback.

One asyncio loop hosts an origin (its node and its HTTP last resort, publishing signed blocks of a synthetic stream
four times a second) and viewers (``app.live.viewer.Viewer``), each on its own 127.x address, talking over real TCP.
Only A meets the origin's node, so B and C get the origin's pushes through A: A surely relays. Then A stops sharing
(``LiveNode.set_sharing(False)``, what the app does on a metered connection): from then on it sends no block byte to
anyone, while B and C play every block (from each other and the origin's HTTP) and A itself plays on. A viewer D
that knows only A joins meanwhile and gets nothing; A shares again, in the same session, and D plays from A.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live.blocks import BlockVerifier, StreamSigner
from app.live.node import LiveNode, NodeConfig
from app.live.origin_http import OriginHttpServer
from app.live.viewer import PlayedBlock, Viewer
from tests.support.net import loopback_address

pytestmark = pytest.mark.timeout(120)

BLOCK_S = 0.25
PAYLOAD = 12_000  # bytes a block: ~400 kbit/s, light on a shared machine
OFF_SPAN = 16  # blocks (4 s of stream) played while A shares nothing


class Swarm:
    def __init__(self) -> None:
        self.signer = StreamSigner.generate(os.urandom(16))
        self.verifier = BlockVerifier(
            self.signer.stream_id, Ed25519PublicKey.from_public_bytes(self.signer.public_key_raw)
        )
        host = loopback_address()
        self.origin = LiveNode(
            NodeConfig(stream_id=self.signer.stream_id, host=host, is_origin=True, origin_copies_per_stripe=2),
            self.verifier,
        )
        self.http = OriginHttpServer(self.origin.store, self.signer.stream_id.hex(), self.origin.uplink)
        self.origin_url = ""
        self.seq = 1000
        self.played: dict[str, list[int]] = {}
        self.gaps: dict[str, list[tuple[int, int]]] = {}
        self._publisher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.origin.start()
        port = await self.http.start(self.origin.config.host)
        self.origin_url = f"http://{self.origin.config.host}:{port}"
        self._publisher = asyncio.create_task(self._publish())

    async def _publish(self) -> None:
        while True:
            self.seq += 1
            payload = os.urandom(PAYLOAD)
            block = self.signer.make_block(self.seq, int(time.time() * 1000), payload, keyframe=self.seq % 4 == 0)
            self.origin.publish(block)
            await asyncio.sleep(BLOCK_S)

    async def viewer(self, name: str, peers: list[Viewer], *, dial_origin: bool, origin_http: bool = True) -> Viewer:
        self.played[name], self.gaps[name] = [], []
        config = NodeConfig(
            stream_id=self.signer.stream_id,
            host=loopback_address(),
            origin_url=self.origin_url if origin_http else None,
            upload_bps=3_000_000,
        )

        def play(block: PlayedBlock) -> None:
            self.played[name].append(block.seq)

        viewer = Viewer(
            config, self.verifier, on_play=play, on_gap=lambda first, last: self.gaps[name].append((first, last))
        )
        addresses = [(p.node.config.host, p.node.port) for p in peers]
        if dial_origin:
            addresses.append((self.origin.config.host, self.origin.port))
        await viewer.start(addresses)
        return viewer

    async def stop(self, viewers: list[Viewer]) -> None:
        if self._publisher is not None:
            self._publisher.cancel()
        for viewer in viewers:
            await viewer.stop()
        await self.http.stop()
        await self.origin.stop()


async def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _block_bytes_sent(viewer: Viewer) -> int:
    return sum(nb.counters.block_bytes_sent for nb in viewer.node.neighbours.values())


def _sent_to(viewer: Viewer, other: Viewer) -> int:
    nb = viewer.node.neighbours.get(other.node.node_id)
    return 0 if nb is None else nb.counters.block_bytes_sent


def test_a_viewer_that_stops_sharing_sends_no_block_while_the_others_play_everything_and_it_relays_again() -> None:
    async def scenario() -> None:
        swarm = Swarm()
        await swarm.start()
        viewers: list[Viewer] = []
        try:
            # Only A meets the origin's node: the blocks it pushes reach B and C through A (or the origin's HTTP).
            a = await swarm.viewer("A", [], dial_origin=True)
            b = await swarm.viewer("B", [a], dial_origin=False)
            c = await swarm.viewer("C", [a, b], dial_origin=False)
            viewers += [a, b, c]
            await _wait(lambda: all(len(swarm.played[n]) >= 8 for n in "ABC"), 30, "A, B and C to play")
            await _wait(lambda: _sent_to(a, b) > 0, 20, "A to relay blocks to B")

            a.node.set_sharing(False)  # the app does this on the viewer's loop (call_soon_threadsafe)
            sent_by_a, sent_to_b = _block_bytes_sent(a), _sent_to(a, b)
            off_from = swarm.seq + 1
            off_to = off_from + OFF_SPAN
            d = await swarm.viewer("D", [a], dial_origin=False, origin_http=False)  # only A, which shares nothing now
            viewers.append(d)
            await _wait(
                lambda: all(max(swarm.played[n]) >= off_to for n in "ABC"), 30, "the others to play past the span"
            )
            assert _block_bytes_sent(a) == sent_by_a and _sent_to(a, b) == sent_to_b, "A uploaded block bytes"
            assert all(nb.subscribed_mask == 0 for nb in a.node.neighbours.values()), "A kept a child"
            for name in "ABC":
                played = set(swarm.played[name])
                missing = [seq for seq in range(off_from, off_to + 1) if seq not in played]
                assert not missing, f"{name} did not play {missing} (gaps {swarm.gaps[name]})"
            assert swarm.played["D"] == [] and d.node.counters.blocks_from_peers == 0, "D got blocks from A"

            a.node.set_sharing(True)  # the connection is no longer metered: same session, nobody rejoins
            on_from = swarm.seq + 1
            await _wait(lambda: sum(1 for s in swarm.played["D"] if s >= on_from) >= 8, 30, "D to play from A")
            assert _sent_to(a, d) > 0 and d.node.counters.blocks_from_origin == 0
            assert _block_bytes_sent(a) > sent_by_a
        finally:
            await swarm.stop(viewers)

    asyncio.run(asyncio.wait_for(scenario(), 100))
