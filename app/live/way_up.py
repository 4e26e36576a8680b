"""The way up a stripe tree: how a node deep in its home stripe finds a free place nearer the top.

A node can only move up to a neighbour (``stripe_tree``'s upgrade and displacement), and neighbours come from the
tracker at random: at 40 viewers, home nodes five or more hops deep often had no shallow node of their home among
their 8-15 neighbours (stop 23), so they stayed deep while places near the top went to nodes relaying nothing of
the stripe. So each node tells every neighbour, in its STATUS, the *way up* in the stripe that neighbour calls home:
the address of its own parent there when that parent has a free slot (as the parent tells us), else the way up our
parent told us (known for our own home stripe only). A node told a way up by its parent in its home stripe dials it;
once connected, the usual upgrade moves it there if it is nearer, and the next way up is one step higher.
The origin is never named: every viewer dials it anyway, and its root slots follow rules of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.live.wire import Status

if TYPE_CHECKING:
    from app.live.neighbour import Neighbour

Address = tuple[str, int]


def way_up(parents: Sequence[Neighbour | None], home: int | None, stripe: int) -> Address | None:
    """The nearest node above us in ``stripe`` with a free slot, or None when we know of none (``parents``: ours,
    per stripe; ``home``: our home stripe)."""
    if not 0 <= stripe < len(parents):
        return None
    parent = parents[stripe]
    status = None if parent is None else parent.status
    if parent is None or status is None or parent.is_origin or parent.closed or stripe >= len(status.free):
        return None
    if status.free[stripe] > 0:
        return parent.address
    return status.way_up if stripe == home else None


def way_up_for(parents: Sequence[Neighbour | None], home: int | None, nb: Neighbour) -> Address | None:
    """The way up we tell ``nb``: in the stripe it calls home; never its own address."""
    address = way_up(parents, home, nb.home)
    return None if address == nb.address else address


def climb_to(
    parents: Sequence[Neighbour | None], home: int | None, sender: Neighbour, status: Status
) -> Address | None:
    """Where a STATUS from ``sender`` says to climb: its way up, when the sender is our parent in our home stripe."""
    if home is None or status.way_up is None or parents[home] is not sender:
        return None
    return status.way_up
