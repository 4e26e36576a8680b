"""Cut-through relaying over real loopback sockets: a relay passes a block's parts on as they arrive, but the part
that completes a block only once the whole block verified — a forged block never arrives whole behind it."""

from __future__ import annotations

import asyncio
import os
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live import cut_through, wire
from app.live.blocks import BlockVerifier, StreamSigner
from app.live.node import LiveNode, NodeConfig
from app.live.wire import Kind
from tests.support.net import loopback_address


async def _peer(relay: LiveNode, stream_id: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(relay.config.host, relay.port, local_addr=(loopback_address(), 0))
    writer.write(wire.hello(stream_id, os.urandom(8), 9))
    await writer.drain()
    await asyncio.wait_for(wire.read_frame(reader), 5)
    return reader, writer


async def _send_parts(writer: asyncio.StreamWriter, block_wire: bytes, seq: int) -> None:
    for offset, data in cut_through.split(block_wire):
        writer.write(wire.part(seq, len(block_wire), offset, data))
    await writer.drain()


async def _received(reader: asyncio.StreamReader, seq: int, until: float) -> bytes:
    """The bytes of ``seq`` the relay sent us (parts in order) until the block is whole or ``until`` passes."""
    got = bytearray()
    while time.monotonic() < until:
        try:
            kind, body = await asyncio.wait_for(wire.read_frame(reader), max(0.01, until - time.monotonic()))
        except TimeoutError:
            break
        if kind is Kind.PART:
            part = wire.parse_part(body)
            if part.seq == seq and part.offset == len(got):
                got += part.data
                if len(got) == part.total:
                    break
    return bytes(got)


def test_a_relay_passes_parts_on_but_completes_only_verified_blocks_and_drops_the_forger() -> None:
    async def scenario() -> None:
        signer = StreamSigner.generate(os.urandom(16))
        verifier = BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))
        played: list[int] = []
        # The origin role gives the relay a route, so it accepts a child; its parts come from two senders.
        config = NodeConfig(stream_id=signer.stream_id, host=loopback_address(), is_origin=True)
        relay = LiveNode(config, verifier, on_block=lambda block, via: played.append(block.seq))
        await relay.start()
        try:
            child_reader, child_writer = await _peer(relay, signer.stream_id)
            child_writer.write(wire.subscribe(0xF))
            await child_writer.drain()
            await asyncio.sleep(0.2)  # the relay reads the subscription
            now_ms = int(time.time() * 1000)
            seq = 1000
            impostor = StreamSigner.generate(signer.stream_id)  # a key the store never vouched for
            forged = impostor.make_block(seq, now_ms, os.urandom(3 * cut_through.PART_SIZE), keyframe=True).wire
            forger_reader, forger_writer = await _peer(relay, signer.stream_id)
            await _send_parts(forger_writer, forged, seq)
            got = await _received(child_reader, seq, time.monotonic() + 2)
            assert 0 < len(got) < len(forged), "the relay passed parts on, but never the completing one"
            assert seq not in played and seq not in relay.store
            await asyncio.wait_for(forger_reader.read(), 5)  # reads to the end: the relay hangs up on the forger
            assert relay.counters.peers_dropped == 1

            fresh_ms = int(time.time() * 1000)  # a block older than the play-out delay would be dropped as late
            genuine = signer.make_block(seq + 1, fresh_ms, os.urandom(3 * cut_through.PART_SIZE), keyframe=True)
            _honest_reader, honest_writer = await _peer(relay, signer.stream_id)
            await _send_parts(honest_writer, genuine.wire, genuine.seq)
            got = await _received(child_reader, genuine.seq, time.monotonic() + 5)
            assert got == genuine.wire and played == [genuine.seq]
        finally:
            await relay.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))
