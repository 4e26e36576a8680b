"""A relay node over real loopback sockets with one raw child subscribed to every stripe, for the cut-through tests.

The relay takes the origin's role (it has a route, so it accepts a child); the tests then connect raw senders to it
and read what it passes on to the child. ``received_from`` reads a block's parts in order.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live import cut_through, wire
from app.live.blocks import BlockVerifier, StreamSigner
from app.live.node import LiveNode, NodeConfig
from app.live.wire import Kind
from tests.support.net import loopback_address


@dataclass
class RelayRig:
    signer: StreamSigner
    relay: LiveNode
    child: asyncio.StreamReader
    played: list[int] = field(default_factory=list)


@dataclass
class OneStripeStream:
    """A new stream's signer and verifier, and configs of nodes on their own 127.x addresses with one stripe (so one
    full neighbour or one quiet parent is the whole story)."""

    signer: StreamSigner = field(default_factory=lambda: StreamSigner.generate(os.urandom(16)))

    @property
    def verifier(self) -> BlockVerifier:
        key = Ed25519PublicKey.from_public_bytes(self.signer.public_key_raw)
        return BlockVerifier(self.signer.stream_id, key)

    def config(self, **changes: Any) -> NodeConfig:
        return NodeConfig(stream_id=self.signer.stream_id, host=loopback_address(), stripes=1, **changes)


async def peer(relay: LiveNode, stream_id: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw connection to ``relay`` that has said hello and read the answer."""
    reader, writer = await asyncio.open_connection(relay.config.host, relay.port, local_addr=(loopback_address(), 0))
    writer.write(wire.hello(stream_id, os.urandom(8), 9))
    await writer.drain()
    await asyncio.wait_for(wire.read_frame(reader), 5)
    return reader, writer


async def until(done: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Wait on the loop for ``done()``; fail saying ``what`` did not happen within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        await asyncio.sleep(0.05)


async def send_parts(writer: asyncio.StreamWriter, block_wire: bytes, seq: int) -> None:
    """A whole block sent as pushed parts."""
    for offset, data in cut_through.split(block_wire):
        writer.write(wire.part(seq, len(block_wire), offset, data))
    await writer.drain()


@asynccontextmanager
async def relay_with_a_child() -> AsyncIterator[RelayRig]:
    signer = StreamSigner.generate(os.urandom(16))
    verifier = BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))
    played: list[int] = []
    config = NodeConfig(stream_id=signer.stream_id, host=loopback_address(), is_origin=True)
    relay = LiveNode(config, verifier, on_block=lambda block, via: played.append(block.seq))
    await relay.start()
    try:
        child, writer = await peer(relay, signer.stream_id)
        writer.write(wire.subscribe(0xF))
        await writer.drain()
        deadline = time.monotonic() + 5
        while not any(nb.subscribed_mask for nb in relay.neighbours.values()):  # the relay took the subscription
            assert time.monotonic() < deadline, "the relay never took the child's subscription"
            await asyncio.sleep(0.01)
        yield RelayRig(signer, relay, child, played)
    finally:
        await relay.stop()


async def received_from(reader: asyncio.StreamReader, seq: int, until: float, start: int = 0) -> bytes:
    """The bytes of ``seq`` from ``start`` on that the relay sent us (parts in order), until the block is whole (a
    part of known size ends it) or ``until`` passes."""
    got = bytearray()
    while time.monotonic() < until:
        try:
            kind, body = await asyncio.wait_for(wire.read_frame(reader), max(0.01, until - time.monotonic()))
        except TimeoutError:
            break
        part = wire.parse_part(body) if kind is Kind.PART else None
        if part is not None and part.seq == seq and part.offset == start + len(got):
            got += part.data
            if part.end == part.total:
                break
    return bytes(got)
