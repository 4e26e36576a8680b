"""Unit tests of home stripes (``app.live.stripe_tree``): each viewer relays one stripe above all.

What must hold for the trees to stay a few hops deep: a viewer picks the stripe fewest of its neighbours relay,
gives it most of its push slots and keeps them for it, takes only that stripe from the origin, and a node asking
for a place in its home stripe may displace a child for which that stripe is not home — never one for which it is.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from app.live import wire
from app.live.node import NodeConfig
from app.live.stripe_tree import HOME_SPARE_S, HOME_WAIT_S, STARVING_AFTER_S, StripeTrees
from app.live.wire import NO_HOME, NO_ROUTE, Status
from tests.live.tree_fakes import ME, K, fake_neighbour, tree_config

_config = tree_config


def _neighbour(node_id: bytes, *, hops: int = 1, free: int = 4, **changes: Any) -> Any:
    return fake_neighbour(node_id, hops=hops, free=free, path=(), **changes)


def _ids(n: int) -> list[bytes]:
    return [bytes([65 + i]) * 8 for i in range(n)]


def _with_home(trees: StripeTrees, home: int) -> StripeTrees:
    """A node that has a route on every stripe (so it takes children) and ``home`` as its home stripe."""
    parent = _neighbour(b"parent--", hops=1, home=home, pushing=0b1111)
    trees.keep_parents([parent], 0.0, newest=10)
    trees.home = home
    return trees


def test_a_viewer_picks_the_stripe_fewest_of_its_neighbours_relay() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    homes = [0, 0, 1, 1, 3, 3, 2]  # stripe 2 is home to one neighbour, the others to two
    neighbours = [_neighbour(i, home=h) for i, h in zip(_ids(len(homes)), homes, strict=True)]
    trees.keep_parents(neighbours, 0.0, newest=None)
    assert trees.home == 2


def test_a_viewer_waits_for_a_few_neighbours_then_picks_from_what_it_knows() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    told = [_neighbour(i, home=h) for i, h in zip(_ids(2), (0, 1), strict=True)]
    origin = _neighbour(b"origin--", hops=0, origin=True)
    trees.keep_parents([origin, *told], 0.1, newest=None)
    assert trees.home is None  # two neighbours told theirs: too few to judge yet
    trees.keep_parents([origin, *told], HOME_WAIT_S + 0.1, newest=None)
    assert trees.home in (2, 3)


def test_home_slots_are_kept_for_the_home_stripe() -> None:
    trees = _with_home(StripeTrees(_config(), ME, random.Random(1), now=0.0), home=1)
    assert trees.slots([]) == [1, 4, 1, 1]  # 5 slots: 4 for the home stripe, one spare for any other
    away = _neighbour(b"away----", hops=NO_ROUTE)
    away.subscribed_mask = 1 << 3
    assert trees.slots([away]) == [0, 4, 0, 0]  # the spare slot is taken: the home stripe still has all of its own
    homes = [_neighbour(i, hops=NO_ROUTE) for i in _ids(4)]
    for child in homes:
        child.subscribed_mask = 1 << 1
    assert trees.slots([away, *homes]) == [0, 0, 0, 0]


def test_a_node_whose_home_it_is_displaces_a_child_for_which_it_is_not() -> None:
    trees = _with_home(StripeTrees(_config(), ME, random.Random(1), now=0.0), home=0)
    children = [_neighbour(i, hops=NO_ROUTE, home=h) for i, h in zip(_ids(4), (0, 0, 0, 2), strict=True)]
    for child in children:
        child.subscribed_mask = 1 << 0
    visitor = _neighbour(b"visitor-", hops=NO_ROUTE, home=3)  # stripe 0 is not its home: refused, nobody moves
    assert trees.grant(visitor, 1 << 0, [*children, visitor]) == []
    assert visitor.subscribed_mask == 0 and trees.counters.children_refused == 1
    asker = _neighbour(b"asker---", hops=NO_ROUTE, home=0)
    everyone = [*children, visitor, asker]
    assert trees.grant(asker, 1 << 0, everyone) == [children[3]]  # the one that calls stripe 2 home
    assert asker.subscribed_mask == 1 << 0 and children[3].subscribed_mask == 0
    assert trees.counters.children_displaced == 1
    # Now every child in stripe 0 calls it home: nobody can be displaced.
    late = _neighbour(b"late----", hops=NO_ROUTE, home=0)
    assert trees.grant(late, 1 << 0, [*everyone, late]) == []
    assert late.subscribed_mask == 0


def test_a_child_displaced_from_a_stripe_finds_another_parent_in_the_same_round() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    trees.home = 2
    first = _neighbour(b"first---", hops=1, home=0)
    second = _neighbour(b"second--", hops=3, home=0)
    trees.keep_parents([first, second], 0.0, newest=10)
    assert trees.parents[0] is first
    assert first.status is not None
    # Its next STATUS no longer pushes stripe 0 to us (we were displaced), though it answered our subscription.
    kept = first.my_stripes_mask & ~1
    first.status = Status(first.status.hops, (0,) * K, kept, first.subscribes_sent, first.status.paths, home=0)
    trees.keep_parents([first, second], 0.01, newest=10)
    assert trees.parents[0] is second
    assert trees.counters.parents_refused == 1


def test_the_origin_gives_a_viewer_its_home_stripe_only() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    trees.home = 1
    origin = _neighbour(b"origin--", hops=0, free=1, origin=True)
    relay = _neighbour(b"relay---", hops=4, home=3)
    trees.keep_parents([origin, relay], 0.0, newest=None)
    assert trees.parents[1] is origin
    assert [trees.parents[s] for s in (0, 2, 3)] == [relay] * 3  # four hops down rather than a root's copy


def test_a_viewer_with_nobody_else_for_a_stripe_takes_it_from_the_origin_after_a_while() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    trees.home = 1
    origin = _neighbour(b"origin--", hops=0, free=1, origin=True)
    trees.keep_parents([origin], 0.0, newest=None)
    assert trees.parents == [None, origin, None, None]
    trees.keep_parents([origin], STARVING_AFTER_S + 0.1, newest=None)
    assert trees.parents == [origin] * K


def test_the_origin_lets_an_away_root_go_for_a_viewer_whose_home_the_stripe_is() -> None:
    trees = StripeTrees(
        NodeConfig(stream_id=b"s" * 16, host="127.0.0.1", stripes=K, is_origin=True), ME, random.Random(1), now=0.0
    )
    away = _neighbour(b"away----", hops=NO_ROUTE, home=2)
    trees.grant(away, 1 << 0, [away])
    assert away.subscribed_mask == 1 << 0  # the root slot was free
    assert trees.displaceable([away]) == [1, 0, 0, 0]
    home = _neighbour(b"home----", hops=NO_ROUTE, home=0)
    assert trees.grant(home, 1 << 0, [away, home]) == [away]
    assert home.subscribed_mask == 1 << 0 and away.subscribed_mask == 0


def test_a_status_counts_displaceable_children_as_free_only_for_a_receiver_whose_home_it_is() -> None:
    trees = _with_home(StripeTrees(_config(), ME, random.Random(1), now=0.0), home=0)
    children = [_neighbour(i, hops=NO_ROUTE, home=h) for i, h in zip(_ids(4), (0, 0, 1, 2), strict=True)]
    for child in children:
        child.subscribed_mask = 1 << 0
    slots, displaceable = trees.slots(children), trees.displaceable(children)
    assert slots[0] == 0 and displaceable == [2, 0, 0, 0]
    for receiver_home, free in ((0, 2), (1, 0)):
        receiver = _neighbour(b"receiver", hops=NO_ROUTE, home=receiver_home)
        status = wire.parse_status(trees.status_frame(receiver, slots, 0, displaceable)[5:])
        assert status.free[0] == free and status.home == 0


@pytest.mark.parametrize("busy", [False, True])
def test_a_home_stripe_nobody_wanted_for_a_while_is_given_up_for_one_fewer_neighbours_relay(busy: bool) -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    trees.home = 0
    homes = [0, 0, 0, 1, 1, 3, 3, 2]
    neighbours = [_neighbour(i, home=h) for i, h in zip(_ids(len(homes)), homes, strict=True)]
    if busy:
        neighbours[0].subscribed_mask = 1 << 0  # a child in our home stripe: the home is kept
    trees.keep_parents(neighbours, 1.0, newest=None)
    assert trees.home == 0
    trees.keep_parents(neighbours, HOME_SPARE_S + 1.0, newest=None)
    assert trees.home == (0 if busy else 2)


def test_a_status_tells_the_senders_home_and_none_when_out_of_range() -> None:
    frame = wire.status((1, 2), (0, 3), 0, home=1)
    assert wire.parse_status(frame[5:]).home == 1
    assert wire.parse_status(wire.status((1, 2), (0, 3), 0)[5:]).home == NO_HOME
    assert wire.parse_status(wire.status((1, 2), (0, 3), 0, home=7)[5:]).home == NO_HOME  # two stripes only


@pytest.mark.parametrize("upload_bps", [3_000_000, 300_000])
def test_a_viewer_that_does_not_share_claims_no_home(upload_bps: int) -> None:
    """Neither one that turned sharing off (metered) nor one whose upload cap leaves no push slot."""
    trees = StripeTrees(_config(upload_bps=upload_bps), ME, random.Random(1), now=0.0)
    neighbours = [_neighbour(i, home=h) for i, h in zip(_ids(3), (0, 1, 2), strict=True)]
    trees.keep_parents(neighbours, 0.0, newest=None)
    if upload_bps < 375_000:  # not one stripe copy's worth at 70 % of the cap
        assert trees.home is None and trees.slots(neighbours) == [0] * K
        return
    assert trees.home == 3
    trees.accepting = False  # metered: no slots, so no neighbour should count on it relaying a stripe
    trees.keep_parents(neighbours, 0.5, newest=None)
    assert trees.home is None and trees.slots(neighbours) == [0] * K


@pytest.mark.parametrize("full", [False, True])
def test_a_home_with_slots_to_spare_moves_to_a_stripe_no_neighbour_has_a_slot_in(full: bool) -> None:
    trees = _with_home(StripeTrees(_config(), ME, random.Random(1), now=0.0), home=0)
    neighbours = [_neighbour(i, home=h) for i, h in zip(_ids(6), (0, 1, 1, 2, 3, 3), strict=True)]
    for nb in neighbours:
        assert nb.status is not None
        nb.status = Status(nb.status.hops, (2, 1, 0, 1), 0, paths=nb.status.paths, home=nb.home)  # none in stripe 2
    children = [_neighbour(i, hops=NO_ROUTE, free=0) for i in _ids(4 if full else 1)]
    for child in children:
        child.subscribed_mask = 1 << 0
    everyone = [*neighbours, *children]
    trees.keep_parents(everyone, 1.0, newest=10)
    assert trees.home == 0  # not yet: slots to spare for a moment are no reason to move
    trees.keep_parents(everyone, HOME_SPARE_S + 1.0, newest=10)
    # A home whose every slot is taken stays; one with slots to spare moves where no neighbour offers one.
    assert trees.home == (0 if full else 2)
    assert trees.counters.homes_moved == (0 if full else 1)
    assert children[0].subscribed_mask == 1 << 0  # nobody is let go for the move
