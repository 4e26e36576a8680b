"""The block protocol's frames: ``length u32 | type u8 | body``, big-endian, every size checked before reading.

Messages: HELLO (stream id, node id, listening port, flags: the first frame each way), BLOCK (a signed block's wire
bytes: a pull's answer), PART (seq, the block's size — 0 while the broadcaster still makes the block —, an offset
and bytes of it: pushes travel in parts, see ``cut_through``), HAVE (the newest sequence number held and a 64-bit
map of the ones before it), WANT (one sequence number), SUBSCRIBE (the stripes the sender wants pushed to it),
STATUS (per stripe, the hops from the origin, the free push slots and the path — the node ids from the stripe's root
down to the sender, so a peer never picks a parent below itself — plus which stripes the sender accepted to push to
the receiver and how many SUBSCRIBEs from the receiver it had read: the answer to a subscription is recognised at
once — the stripes the sender relays to children of its own, which its parent serves before its leaves, its
home stripe, ``stripe_tree``, and optionally the way up: the address of the nearest node above the sender with a
free slot in the receiver's home stripe, ``way_up``). A frame
longer than a block plus its header, an unknown type or a body of the wrong length is a ``ProtocolError`` and ends
the connection.
Pure parsing plus one async reader; runs on the node's loop.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import struct
from dataclasses import dataclass

from app.live.blocks import MAX_BLOCK_SIZE
from app.live.errors import ProtocolError

MAX_FRAME = MAX_BLOCK_SIZE + 17  # a whole block, or a part of one with its 16-byte part header
MAX_STRIPES = 16
MAX_PATH = 32  # node ids in a stripe's path
NODE_ID_SIZE = 8
NO_ROUTE = 255  # a stripe this peer does not receive
NO_HOME = 255  # a peer that has not picked the stripe it relays most
_MAP_MASK = (1 << 64) - 1


def stripe_of(seq: int, stripes: int) -> int:
    """The stripe a block travels: seq mod k, rotated by one every k blocks.

    The keyframe interval is a whole number of blocks (often k of them): plain seq mod k would put every keyframe
    block — the largest — on one stripe and overload its tree.
    """
    return (seq + seq // stripes) % stripes


class Kind(enum.IntEnum):
    HELLO = 1
    BLOCK = 2
    HAVE = 3
    WANT = 4
    SUBSCRIBE = 5
    STATUS = 6
    PART = 7


_HELLO = struct.Struct(">16s8sHB")
HELLO_ORIGIN = 0x01  # the sender is the broadcaster's origin node
_HAVE = struct.Struct(">QQ")
_WANT = struct.Struct(">Q")
_SUBSCRIBE = struct.Struct(">I")
# stripes, the stripes pushed to the receiver, subscribes read from it, the stripes the sender pushes to anyone,
# the sender's home stripe
_STATUS_HEAD = struct.Struct(">BIIIB")
_PORT = struct.Struct(">H")
_LENGTH = struct.Struct(">I")
_PART = struct.Struct(">QII")  # seq, the whole block's size, this part's offset in it


@dataclass(frozen=True, slots=True)
class Hello:
    stream_id: bytes
    node_id: bytes
    port: int
    flags: int = 0

    @property
    def is_origin(self) -> bool:
        return bool(self.flags & HELLO_ORIGIN)


@dataclass(frozen=True, slots=True)
class Have:
    newest: int
    before: int  # bit i set: newest - 1 - i is held

    def holds(self, seq: int) -> bool:
        if seq == self.newest:
            return True
        distance = self.newest - 1 - seq
        return 0 <= distance < 64 and bool(self.before >> distance & 1)

    def covers(self, newest: int, before: int) -> bool:
        """True when this HAVE lists every block of the map ``(newest, before)`` (blocks of that map further back
        than this one's 64 are too old to matter): its sender needs nothing the map's owner could offer."""
        shift = self.newest - newest
        if shift < 0:
            return False
        theirs = (before << shift | (1 << (shift - 1) if shift else 0)) & _MAP_MASK
        return theirs & ~self.before == 0


@dataclass(frozen=True, slots=True)
class Status:
    hops: tuple[int, ...]  # per stripe: hops from the origin, NO_ROUTE if none
    free: tuple[int, ...]  # per stripe: how many more peers it would push that stripe to
    pushing_to_you: int  # the stripes (bit mask) it accepted to push to the receiver of this status
    subscribes_seen: int = 0  # SUBSCRIBE frames it had read from the receiver when it sent this
    paths: tuple[tuple[bytes, ...], ...] = ()  # per stripe: node ids from the root's first child down to the sender
    relaying: int = 0  # the stripes (bit mask) the sender pushes to children of its own: its parent serves it first
    home: int = NO_HOME  # the stripe the sender gives most of its push slots to (stripe_tree), NO_HOME if none yet
    # The nearest node above the sender with a free slot, in the stripe the receiver calls home (app.live.way_up).
    way_up: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class Part:
    seq: int
    total: int  # the whole block's size; 0 while the broadcaster is still making the block (an open part)
    offset: int
    data: bytes

    @property
    def end(self) -> int:
        return self.offset + len(self.data)


def frame(kind: Kind, body: bytes) -> bytes:
    return _LENGTH.pack(len(body) + 1) + bytes([kind]) + body


def hello(stream_id: bytes, node_id: bytes, port: int, flags: int = 0) -> bytes:
    return frame(Kind.HELLO, _HELLO.pack(stream_id, node_id, port, flags))


def have(newest: int, before: int) -> bytes:
    return frame(Kind.HAVE, _HAVE.pack(newest, before))


def want(seq: int) -> bytes:
    return frame(Kind.WANT, _WANT.pack(seq))


def subscribe(mask: int) -> bytes:
    return frame(Kind.SUBSCRIBE, _SUBSCRIBE.pack(mask))


def status(
    hops: tuple[int, ...],
    free: tuple[int, ...],
    pushing_to_you: int,
    subscribes_seen: int = 0,
    paths: tuple[tuple[bytes, ...], ...] = (),
    *,
    relaying: int = 0,
    home: int = NO_HOME,
    way_up: tuple[str, int] | None = None,
) -> bytes:
    clipped = (min(255, max(0, n)) for n in free)
    body = bytearray(_STATUS_HEAD.pack(len(hops), pushing_to_you, subscribes_seen & 0xFFFFFFFF, relaying, home))
    body += bytes([*hops, *clipped])
    for stripe in range(len(hops)):
        path = paths[stripe][-MAX_PATH:] if stripe < len(paths) else ()
        body.append(len(path))
        body += b"".join(path)
    if way_up is not None:
        host = way_up[0].encode("ascii")
        body.append(len(host))
        body += host + _PORT.pack(way_up[1])
    return frame(Kind.STATUS, bytes(body))


def part(seq: int, total: int, offset: int, data: bytes) -> bytes:
    return frame(Kind.PART, _PART.pack(seq, total, offset) + data)


async def read_frame(reader: asyncio.StreamReader) -> tuple[Kind, bytes]:
    """The next frame; ProtocolError for an oversize or unknown one (the caller drops the peer)."""
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    if length < 1 or length > MAX_FRAME:
        raise ProtocolError(f"a frame of {length} bytes")
    data = await reader.readexactly(length)
    try:
        kind = Kind(data[0])
    except ValueError as exc:
        raise ProtocolError(f"unknown frame type {data[0]}") from exc
    return kind, data[1:]


def parse_hello(body: bytes) -> Hello:
    if len(body) != _HELLO.size:
        raise ProtocolError("a malformed hello")
    stream_id, node_id, port, flags = _HELLO.unpack(body)
    return Hello(stream_id, node_id, port, flags)


def parse_have(body: bytes) -> Have:
    if len(body) != _HAVE.size:
        raise ProtocolError("a malformed have")
    return Have(*_HAVE.unpack(body))


def parse_want(body: bytes) -> int:
    if len(body) != _WANT.size:
        raise ProtocolError("a malformed want")
    return int(_WANT.unpack(body)[0])


def parse_subscribe(body: bytes) -> int:
    if len(body) != _SUBSCRIBE.size:
        raise ProtocolError("a malformed subscribe")
    return int(_SUBSCRIBE.unpack(body)[0])


def parse_status(body: bytes) -> Status:
    head = _STATUS_HEAD.size
    if len(body) < head or body[0] > MAX_STRIPES or len(body) < head + 3 * body[0]:
        raise ProtocolError("a malformed status")
    n, pushing, seen, relaying, home = _STATUS_HEAD.unpack_from(body)
    hops, free = tuple(body[head : head + n]), tuple(body[head + n : head + 2 * n])
    paths: list[tuple[bytes, ...]] = []
    at = head + 2 * n
    for _ in range(n):
        count = body[at] if at < len(body) else MAX_PATH + 1
        end = at + 1 + count * NODE_ID_SIZE
        if count > MAX_PATH or end > len(body):
            raise ProtocolError("a malformed status")
        paths.append(tuple(body[i : i + NODE_ID_SIZE] for i in range(at + 1, end, NODE_ID_SIZE)))
        at = end
    way_up = _parse_address(body, at) if at < len(body) else None
    return Status(
        hops=hops,
        free=free,
        pushing_to_you=pushing,
        subscribes_seen=seen,
        paths=tuple(paths),
        relaying=relaying,
        home=home if home < n else NO_HOME,
        way_up=way_up,
    )


def _parse_address(body: bytes, at: int) -> tuple[str, int]:
    """An IP address in text and a port, the rest of ``body`` from ``at``."""
    size = body[at]
    if at + 1 + size + _PORT.size != len(body):
        raise ProtocolError("a malformed status")
    try:
        host = str(ipaddress.ip_address(body[at + 1 : at + 1 + size].decode("ascii")))
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("a malformed status") from None
    (port,) = _PORT.unpack_from(body, at + 1 + size)
    if port == 0:
        raise ProtocolError("a malformed status")
    return host, port


def parse_part(body: bytes) -> Part:
    if len(body) <= _PART.size:
        raise ProtocolError("a malformed part")
    seq, total, offset = _PART.unpack_from(body)
    data = body[_PART.size :]
    if total > MAX_BLOCK_SIZE or offset + len(data) > (total or MAX_BLOCK_SIZE):
        raise ProtocolError("a part outside its block")
    return Part(seq, total, offset, data)
