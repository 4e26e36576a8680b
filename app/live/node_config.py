"""What a live node is set up with (``NodeConfig``: the stream, its stripes, delays, caps and slots) and what it
counts (``NodeCounters``: block bytes by source, peers dropped, what closed connections had sent). Split from
``app/live/node.py``, which builds on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.live.link import LinkProfile

# How far behind the source viewers play. Blocks come 1.0 / 1.4 s after capture at the median / p95 over the
# stripe trees at 40 viewers (stop 23's bench, home stripes); 1.8 s before home stripes, when trees were deeper.
LIVE_DELAY_S = 1.6


@dataclass(frozen=True, slots=True)
class NodeConfig:
    stream_id: bytes
    host: str
    port: int = 0
    stripes: int = 4
    block_ms: int = 250
    delay_s: float = LIVE_DELAY_S  # the play-out delay viewers hold: a block pushed later than this is useless
    upload_bps: float | None = None
    stream_bps: float = 1_500_000  # the stream's rate, for counting push slots
    is_origin: bool = False
    origin_url: str | None = None
    origin_copies_per_stripe: int = 1
    # Children per stripe until the viewer has picked its home stripe (stripe_tree.StripeTrees.home) ...
    max_children_per_stripe: int = 3
    # ... then up to this many in its home stripe, and the rest of its push slots (one at 3 Mbit/s) in the others.
    home_children: int = 4
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
