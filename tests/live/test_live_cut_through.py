"""Cut-through relaying over real loopback sockets: a relay passes a block's parts on as they arrive, but the part
that completes a block only once the whole block verified — a forged block never arrives whole behind it."""

from __future__ import annotations

import asyncio
import os
import time

from app.live import cut_through
from app.live.blocks import StreamSigner
from tests.live.relay_rig import peer, received_from, relay_with_a_child, send_parts


def test_a_relay_passes_parts_on_but_completes_only_verified_blocks_and_drops_the_forger() -> None:
    async def scenario() -> None:
        async with relay_with_a_child() as rig:
            signer, relay, played = rig.signer, rig.relay, rig.played
            now_ms = int(time.time() * 1000)
            seq = 1000
            impostor = StreamSigner.generate(signer.stream_id)  # a key the store never vouched for
            forged = impostor.make_block(seq, now_ms, os.urandom(3 * cut_through.PART_SIZE), keyframe=True).wire
            forger_reader, forger_writer = await peer(relay, signer.stream_id)
            await send_parts(forger_writer, forged, seq)
            got = await received_from(rig.child, seq, time.monotonic() + 2)
            assert 0 < len(got) < len(forged), "the relay passed parts on, but never the completing one"
            assert seq not in played and seq not in relay.store
            await asyncio.wait_for(forger_reader.read(), 5)  # reads to the end: the relay hangs up on the forger
            assert relay.counters.peers_dropped == 1

            fresh_ms = int(time.time() * 1000)  # a block older than the play-out delay would be dropped as late
            genuine = signer.make_block(seq + 1, fresh_ms, os.urandom(3 * cut_through.PART_SIZE), keyframe=True)
            _honest_reader, honest_writer = await peer(relay, signer.stream_id)
            await send_parts(honest_writer, genuine.wire, genuine.seq)
            got = await received_from(rig.child, genuine.seq, time.monotonic() + 5)
            assert got == genuine.wire and played == [genuine.seq]

    asyncio.run(asyncio.wait_for(scenario(), 30))
