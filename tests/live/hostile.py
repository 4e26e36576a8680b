"""A hostile live peer for tests: speaks the block protocol from its own address and sends bad blocks."""

from __future__ import annotations

import asyncio
import os
import time

from app.live import wire
from app.live.blocks import StreamSigner
from app.live.origin_http import fetch_block, fetch_head
from app.live.wire import Kind


async def send_blocks(host: str, target: tuple[str, int], stream_id: bytes, blocks: list[bytes]) -> bool:
    """Connect to ``target`` from ``host``, say hello, send ``blocks``; True if the peer hung up on us."""
    reader, writer = await asyncio.open_connection(target[0], target[1], local_addr=(host, 0))
    try:
        writer.write(wire.hello(stream_id, os.urandom(8), 9))
        await writer.drain()
        await asyncio.wait_for(wire.read_frame(reader), 5)  # its hello
        for data in blocks:
            writer.write(wire.frame(Kind.BLOCK, data))
            await writer.drain()
        # Read until the peer closes the connection (it drops a peer that sends a bad block) or 5 s pass.
        async with asyncio.timeout(5):
            while True:
                await wire.read_frame(reader)
    except (asyncio.IncompleteReadError, ConnectionError):
        return True
    except TimeoutError:
        return False
    finally:
        writer.close()
    return False


async def forged_block(stream_id: bytes, seq: int) -> bytes:
    """A block for the stream's next sequence number, signed with a key the store never vouched for."""
    impostor = StreamSigner.generate(stream_id)
    return impostor.make_block(seq, int(time.time() * 1000), os.urandom(4000), keyframe=True).wire


async def real_block(origin_url: str, stream_id: bytes) -> tuple[int, bytes]:
    head = await fetch_head(origin_url, stream_id.hex())
    assert head is not None
    data = await fetch_block(origin_url, stream_id.hex(), head)
    assert data is not None
    return head, data


def altered(data: bytes) -> bytes:
    flipped = bytearray(data)
    flipped[60] ^= 0xFF  # a payload byte: the signature no longer matches
    return bytes(flipped)
