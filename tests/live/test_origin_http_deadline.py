"""The origin's HTTP fallback over real loopback HTTP: a viewer's request carries when the answer stops being of use
(``by``), and the origin drops an answer it cannot send by then — it used to receive no ``by`` at all (the client
sent the path without its query), so answers the pushes kept waiting never expired, and after one block that no push
delivered, 120 requests for it queued for minutes ahead of every later one."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live.blocks import BlockVerifier, StreamSigner
from app.live.link import Uplink
from app.live.node import LiveNode, NodeConfig
from app.live.origin_http import OriginHttpServer, fetch_block
from tests.support.net import loopback_address

pytestmark = pytest.mark.timeout(60)


def test_an_answer_the_pushes_keep_waiting_is_given_up_at_the_viewers_deadline_and_a_free_one_is_served() -> None:
    async def scenario() -> tuple[bytes | None, float, list[int], bytes | None]:
        signer = StreamSigner.generate(os.urandom(16))
        verifier = BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))
        host = loopback_address()
        origin = LiveNode(NodeConfig(stream_id=signer.stream_id, host=host, is_origin=True), verifier)
        block = signer.make_block(1000, int(time.time() * 1000), os.urandom(40_000), keyframe=True)
        origin.store.put(block)
        uplink = Uplink(3_000_000)
        server = OriginHttpServer(origin.store, signer.stream_id.hex(), uplink)
        port = await server.start(host)
        url = f"http://{host}:{port}"
        await uplink.turn.acquire()  # pushes pending the whole time: a block answer must wait
        started = time.monotonic()
        late = await fetch_block(url, signer.stream_id.hex(), block.seq, timeout_s=0.4)
        waited = time.monotonic() - started
        async with asyncio.timeout(5):
            while server.outcomes.get(block.seq, [0, 0, 0])[2] == 0:  # the origin's side ends too
                await asyncio.sleep(0.02)
        outcome = list(server.outcomes[block.seq])
        uplink.turn.release()  # the pushes are done: the next request is answered
        served = await fetch_block(url, signer.stream_id.hex(), block.seq, timeout_s=5)
        await server.stop()
        return late, waited, outcome, served

    late, waited, outcome, served = asyncio.run(scenario())
    assert late is None and waited < 2.0
    assert outcome == [1, 0, 1], "asked once, not served, given up at the deadline the viewer sent"
    assert served is not None and len(served) > 40_000
