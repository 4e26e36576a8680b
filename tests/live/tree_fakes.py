"""Neighbours for unit tests of the stripe trees (``app.live.stripe_tree``): no connection behind them — the tree
logic only reads their STATUS and queues control frames on them."""

from __future__ import annotations

import random
from typing import Any

from app.live.neighbour import Neighbour
from app.live.node import NodeConfig
from app.live.wire import NO_HOME, Status

K = 4  # stripes
ME = b"me------"  # the node under test


def tree_config(**changes: Any) -> NodeConfig:
    """3 Mbit/s of upload for a 1.5 Mbit/s stream: 5 push slots (70 % of the upload, 375 kbit/s a stripe copy)."""
    settings: dict[str, Any] = {"stream_id": b"s" * 16, "host": "127.0.0.2", "stripes": K, "upload_bps": 3_000_000}
    return NodeConfig(**(settings | changes))


def fake_neighbour(
    node_id: bytes,
    *,
    hops: int,
    free: int = 2,
    path: tuple[bytes, ...] = (),
    home: int = NO_HOME,
    origin: bool = False,
    pushing: int = 0,
) -> Any:
    """A neighbour whose STATUS says the same of every stripe: ``hops`` from the origin, ``free`` slots, the route
    ``path`` down to it, its ``home`` stripe, and the stripes (mask) it pushes to us."""
    nb = Neighbour(
        node_id=node_id,
        address=("127.0.0.3", 1),
        reader=None,  # type: ignore[arg-type]  # never read
        writer=None,  # type: ignore[arg-type]
        uplink=None,  # type: ignore[arg-type]
        profile=None,  # type: ignore[arg-type]
        rng=random.Random(1),
        is_origin=origin,
    )
    nb.status = Status(
        hops=(hops,) * K, free=(free,) * K, pushing_to_you=pushing, paths=((*path, node_id),) * K, home=home
    )
    return nb
