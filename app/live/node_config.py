"""What a live node is set up with (``NodeConfig``: the stream, its stripes, delays, caps and slots) and what it
counts (``NodeCounters``: block bytes by source, peers dropped, what closed connections had sent). Split from
``app/live/node.py``, which builds on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.live.link import LinkProfile


@dataclass(frozen=True, slots=True)
class NodeConfig:
    stream_id: bytes
    host: str
    port: int = 0
    stripes: int = 4
    block_ms: int = 250
    delay_s: float = 1.8  # the play-out delay viewers hold: a block pushed later than this is useless
    upload_bps: float | None = None
    stream_bps: float = 1_500_000  # the stream's rate, for counting push slots
    is_origin: bool = False
    origin_url: str | None = None
    origin_copies_per_stripe: int = 1
    # A viewer forwards whole blocks one copy after another: the last of f children of a stripe waits f block
    # times (125 ms each for 47 KB at 3 Mbit/s), so a small fan-out per stripe keeps every hop short.
    max_children_per_stripe: int = 3
    max_neighbours: int = 8  # dialled; a node also accepts up to twice this many (the origin: any number)
    max_hops: int = 16
    link: Callable[[], LinkProfile] = LinkProfile  # the emulated link of each new connection


@dataclass(slots=True)
class NodeCounters:
    block_bytes_from_peers: int = 0
    block_bytes_from_origin: int = 0  # pushed by the origin node or fetched from its HTTP
    blocks_from_peers: int = 0
    blocks_from_origin: int = 0
    peers_dropped: int = 0
    haves_skipped: int = 0  # HAVEs not sent: the neighbour already advertised every block in them
    # What closed connections had sent (the open ones count their own): block parts and pull answers, and all bytes.
    closed_block_bytes_sent: int = 0
    closed_bytes_sent: int = 0
