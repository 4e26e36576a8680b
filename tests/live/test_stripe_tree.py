"""Unit tests of the stripe trees' logic (``app.live.stripe_tree``) on neighbours that only record what is sent.

What must hold for the trees to heal under churn: nobody picks a parent below itself (the path check — no loops,
so no hold-down), an orphan keeps its own children while it re-parents, a refused subscription is recognised from
the answer at once, and a parent whose stripe went quiet while the stream went on is replaced.
"""

from __future__ import annotations

import random
from typing import Any

from app.live import wire
from app.live.neighbour import Neighbour
from app.live.stripe_tree import (
    HAVE_HEARTBEAT_S,
    ORPHAN_GRACE_S,
    STALE_PARENT_S,
    STARVED_PARENT_GRACE_S,
    STARVING_AFTER_S,
    UPGRADE_AFTER_S,
    RootGaps,
    StripeTrees,
)
from app.live.wire import NO_ROUTE, Have, Status, stripe_of
from tests.live.tree_fakes import ME, K, fake_neighbour, tree_config

_config = tree_config
_neighbour = fake_neighbour


def _accept_all(nb: Neighbour) -> None:
    """The parent's answer: it pushes every stripe we asked for (answering all our SUBSCRIBEs so far)."""
    assert nb.status is not None
    nb.status = Status(
        hops=nb.status.hops,
        free=nb.status.free,
        pushing_to_you=nb.my_stripes_mask,
        subscribes_seen=nb.subscribes_sent,
        paths=nb.status.paths,
    )


def test_a_node_never_picks_a_parent_whose_path_runs_through_itself() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    below_me = _neighbour(b"child---", hops=1, path=(ME,))  # its route to the origin is through us
    deeper = _neighbour(b"other---", hops=3, path=(b"a" * 8, b"b" * 8))
    trees.keep_parents([below_me, deeper], 0.0, newest=None)
    assert all(parent is deeper for parent in trees.parents)
    assert trees.hops == [4] * K and trees.paths[0] == (b"a" * 8, b"b" * 8, b"other---", ME)


def test_a_parent_does_not_accept_one_of_its_own_ancestors() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    parent = _neighbour(b"parent--", hops=1)
    trees.keep_parents([parent], 0.0, newest=None)  # our path now holds the parent
    trees.grant(parent, 0b1111, [parent])
    assert parent.subscribed_mask == 0 and trees.counters.children_refused == K


def test_asking_a_full_parent_for_one_more_stripe_keeps_the_stripe_a_child_had() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)  # 3 Mbit/s: 5 push slots over the 4 stripes
    parent = _neighbour(b"parent--", hops=1, free=4)
    trees.keep_parents([parent], 0.0, newest=10)  # we have a route, so we take children
    others = [_neighbour(bytes([65 + i]) * 8, hops=NO_ROUTE) for i in range(4)]
    for other, stripe in zip(others, (1, 1, 3, 3), strict=True):
        other.subscribed_mask = 1 << stripe
    asker = _neighbour(b"asker---", hops=NO_ROUTE)
    asker.subscribed_mask = 1 << 2  # the fifth slot
    everyone = [parent, *others, asker]
    trees.grant(asker, 1 << 0 | 1 << 2, everyone)  # it asks for stripe 0 as well: no slot is free for it
    assert asker.subscribed_mask == 1 << 2
    assert trees.counters.children_refused == 1


def test_an_orphan_keeps_its_children_and_re_parents_in_the_same_round() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    parent = _neighbour(b"parent--", hops=1, free=4)
    child = _neighbour(b"child---", hops=NO_ROUTE, path=())
    trees.keep_parents([parent, child], 0.0, newest=10)
    trees.grant(child, 0b1111, [parent, child])
    assert child.subscribed_mask == 0b1111
    backup = _neighbour(b"backup--", hops=2, free=4)
    parent.closed = True
    assert trees.on_gone(parent, 0.5)
    trees.keep_parents([child, backup], 0.5, newest=12)
    assert all(p is backup for p in trees.parents)
    assert child.subscribed_mask == 0b1111  # nobody below us was let go
    assert trees.hops == [3] * K and trees.counters.parents_departed == K
    assert all(n < NO_ROUTE for n in trees.hops)  # no hold-down: the route is advertised again at once


def test_a_refusal_is_recognised_from_the_answer_and_the_next_neighbour_is_asked() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    first = _neighbour(b"first---", hops=1, free=4)
    second = _neighbour(b"second--", hops=5, free=4)  # far enough down that sharing `first` still wins
    trees.keep_parents([first, second], 0.0, newest=None)
    assert all(p is first for p in trees.parents)
    # Its answer (it had read our SUBSCRIBE) accepts nothing: full after all.
    assert first.status is not None
    first.status = Status(first.status.hops, (0,) * K, 0, first.subscribes_sent, first.status.paths)
    trees.keep_parents([first, second], 0.01, newest=None)  # 10 ms later, not a second
    assert all(p is second for p in trees.parents)
    assert trees.counters.parents_refused == K


def test_children_wait_for_an_orphaned_parent_then_move_to_one_with_a_route() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    parent = _neighbour(b"parent--", hops=1, free=4)
    trees.keep_parents([parent], 0.0, newest=0)
    _accept_all(parent)
    orphaned = Status((NO_ROUTE,) * K, (0,) * K, parent.my_stripes_mask, parent.subscribes_sent, ((),) * K)
    parent.status = orphaned
    parent.last_block_at = dict.fromkeys(range(K), 1.0)
    other = _neighbour(b"other---", hops=2, free=4)
    trees.keep_parents([parent, other], 1.0, newest=2)
    assert all(p is parent for p in trees.parents)  # it may re-parent in a moment: stay
    trees.keep_parents([parent, other], 1.0 + ORPHAN_GRACE_S + 0.1, newest=3)
    assert all(p is other for p in trees.parents)
    assert trees.counters.parents_orphaned == K


def test_a_parent_is_stale_only_when_the_stream_went_on_without_it() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    parent = _neighbour(b"parent--", hops=1, free=4)
    other = _neighbour(b"other---", hops=5, free=4)
    trees.keep_parents([parent, other], 0.0, newest=100)
    _accept_all(parent)
    later = STALE_PARENT_S + 1
    trees.keep_parents([parent, other], later, newest=101)  # a slow broadcaster: nothing new anywhere
    assert all(p is parent for p in trees.parents)
    trees.keep_parents([parent, other], later + 0.1, newest=100 + 2 * K)  # blocks came, none from it
    assert all(p is other for p in trees.parents) and trees.counters.parents_stale == K


def _a_parent_gone_quiet() -> tuple[StripeTrees, Any, Any]:
    """A node with every stripe from ``parent`` since block 100; ``other`` could take it instead."""
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    parent = _neighbour(b"parent--", hops=2, free=4)
    other = _neighbour(b"other---", hops=5, free=4)
    trees.keep_parents([parent, other], 0.0, newest=100)
    _accept_all(parent)
    return trees, parent, other


def test_a_parent_starved_of_the_stripe_itself_is_kept_while_it_mends_its_own_route() -> None:
    trees, parent, other = _a_parent_gone_quiet()
    waited = STALE_PARENT_S + 1
    # It is alive (its HAVE came just now) and holds nothing after block 100: its own parent stopped, not it.
    parent.have, parent.have_at = Have(newest=100, before=(1 << 64) - 1), waited
    trees.keep_parents([parent, other], waited, newest=100 + 2 * K)
    assert all(p is parent for p in trees.parents) and trees.counters.parents_stale == 0
    # It did not mend it in time: then it is left like any quiet parent.
    gave_up = STALE_PARENT_S + STARVED_PARENT_GRACE_S + 0.5
    parent.have_at = gave_up
    trees.keep_parents([parent, other], gave_up, newest=100 + 4 * K)
    assert all(p is other for p in trees.parents) and trees.counters.parents_stale == K


def test_a_parent_that_holds_blocks_it_did_not_push_is_left_at_once() -> None:
    trees, parent, other = _a_parent_gone_quiet()
    waited = STALE_PARENT_S + 1
    parent.have, parent.have_at = Have(newest=100 + 2 * K, before=(1 << 64) - 1), waited  # it has them all
    trees.keep_parents([parent, other], waited, newest=100 + 2 * K)
    assert all(p is other for p in trees.parents) and trees.counters.parents_stale == K


def test_a_parent_that_went_silent_is_left_at_once() -> None:
    trees, parent, other = _a_parent_gone_quiet()
    waited = STALE_PARENT_S + 1
    # Its last HAVE is older than two heartbeats: a frozen peer says nothing, so it cannot claim to be starved.
    parent.have, parent.have_at = Have(newest=100, before=(1 << 64) - 1), waited - 2 * HAVE_HEARTBEAT_S - 0.1
    trees.keep_parents([parent, other], waited, newest=100 + 2 * K)
    assert all(p is other for p in trees.parents) and trees.counters.parents_stale == K


def test_a_starved_parent_is_judged_per_stripe() -> None:
    trees, parent, other = _a_parent_gone_quiet()
    waited = STALE_PARENT_S + 1
    newest = 100 + 2 * K
    fed = stripe_of(newest, K)  # the parent holds the newest block, of this one stripe only
    parent.have, parent.have_at = Have(newest=newest, before=0), waited
    trees.keep_parents([parent, other], waited, newest=newest)
    assert trees.parents[fed] is other
    assert all(p is parent for stripe, p in enumerate(trees.parents) if stripe != fed)


def test_the_subscribe_frames_count_what_the_status_answers() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    parent = _neighbour(b"parent--", hops=1, free=4)
    trees.keep_parents([parent], 0.0, newest=None)
    sent = [frame for frame in parent._control if frame[4] == wire.Kind.SUBSCRIBE]
    # One SUBSCRIBE a stripe, each remembered with its number: the answer to the n-th says "seen n".
    assert len(sent) == parent.subscribes_sent == K
    assert parent.asked_at == {stripe: stripe + 1 for stripe in range(K)}


def _on_a_deep_parent() -> tuple[StripeTrees, Any]:
    """A node whose every stripe comes from one parent 5 hops from the origin (it accepted them all); its home
    stripe is ``HOME``."""
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    trees.home = HOME
    deep = _neighbour(b"deep----", hops=5, path=(b"a" * 8,))
    trees.keep_parents([deep], 0.0, newest=None)
    _accept_all(deep)
    return trees, deep


HOME = 0
AWAY = sum(1 << s for s in range(K) if s != HOME)


def test_a_kept_parent_is_swapped_for_a_free_slot_two_hops_nearer_the_root_and_not_for_one() -> None:
    trees, deep = _on_a_deep_parent()
    one_nearer = _neighbour(b"near----", hops=4, path=(b"b" * 8,))
    trees.keep_parents([deep, one_nearer], UPGRADE_AFTER_S + 1, newest=None)
    assert all(parent is deep for parent in trees.parents)  # make before break: nothing left yet
    # One hop is not worth a move, except in the node's home stripe (whose relays belong at the top of its tree).
    assert one_nearer.my_stripes_mask == 1 << HOME
    shallow = _neighbour(b"shallow-", hops=1, path=(b"c" * 8,))
    trees.keep_parents([deep, one_nearer, shallow], UPGRADE_AFTER_S + 1.5, newest=None)
    # The nearer one is asked, and the deep parent kept until it answers that it pushes to us.
    assert all(parent is deep for parent in trees.parents) and shallow.my_stripes_mask == AWAY
    assert deep.my_stripes_mask == (1 << K) - 1, "nothing was given up yet"
    _accept_all(shallow)
    trees.keep_parents([deep, one_nearer, shallow], UPGRADE_AFTER_S + 1.75, newest=None)
    assert trees.parents[1] is shallow and trees.hops[1] == 2
    assert deep.my_stripes_mask == 1 << HOME, "the deep parent is left once the nearer one pushes"
    assert trees.counters.parents_upgraded == K - 1
    assert trees.counters.parents_stale == 0 and trees.counters.parents_refused == 0


def test_an_upgrade_the_nearer_parent_refuses_keeps_the_parent_we_had() -> None:
    trees, deep = _on_a_deep_parent()
    shallow = _neighbour(b"shallow-", hops=1, path=(b"c" * 8,))
    trees.keep_parents([deep, shallow], UPGRADE_AFTER_S + 1, newest=None)
    assert shallow.status is not None
    shallow.status = Status(shallow.status.hops, (0,) * K, 0, shallow.subscribes_sent, shallow.status.paths)  # full
    trees.keep_parents([deep, shallow], UPGRADE_AFTER_S + 1.1, newest=None)
    assert all(parent is deep for parent in trees.parents) and deep.my_stripes_mask == (1 << K) - 1
    assert trees.hops == [6] * K and trees.counters.upgrades_refused == K
    assert trees.counters.parents_refused == 0 and trees.counters.parents_upgraded == 0
    assert shallow.my_stripes_mask == 0


def test_a_new_parent_is_not_swapped_before_it_had_time_to_deliver() -> None:
    trees, deep = _on_a_deep_parent()
    shallow = _neighbour(b"shallow-", hops=1, path=(b"c" * 8,))
    trees.keep_parents([deep, shallow], UPGRADE_AFTER_S / 2, newest=None)
    assert all(parent is deep for parent in trees.parents)


def test_the_origin_counts_how_long_a_stripe_root_slot_stayed_free_after_its_first_root() -> None:
    gaps = RootGaps([None, None], [False, False])
    gaps.update([1, 1], 0.0)  # no root yet: the opening wait is join time, not a lost root
    gaps.update([0, 1], 5.0)  # stripe 0 rooted; stripe 1 never (still not counted)
    gaps.update([1, 1], 10.0)  # stripe 0's root left
    gaps.update([1, 1], 13.0)
    assert gaps.figures(14.0) == {"root_gaps": 0, "root_gap_max_s": 4.0, "root_free_s": 4.0}
    gaps.update([0, 1], 16.0)  # a viewer took the slot: one gap of 6 s
    assert gaps.figures(20.0) == {"root_gaps": 1, "root_gap_max_s": 6.0, "root_free_s": 6.0}


def test_a_stripe_that_no_neighbour_can_take_starves_the_node_until_one_can() -> None:
    trees = StripeTrees(_config(), ME, random.Random(1), now=0.0)
    full = _neighbour(b"full----", hops=1, free=0)
    trees.keep_parents([full], 0.0, newest=None)
    assert not trees.starving(0.0)  # a round without a candidate is not yet starving
    trees.keep_parents([full], STARVING_AFTER_S / 2, newest=None)
    assert not trees.starving(STARVING_AFTER_S / 2)
    trees.keep_parents([full], STARVING_AFTER_S, newest=None)
    assert trees.starving(STARVING_AFTER_S)  # the node now dials more peers than its usual count
    roomy = _neighbour(b"roomy---", hops=2, free=3)
    trees.keep_parents([full, roomy], STARVING_AFTER_S + 0.25, newest=None)
    assert all(parent is roomy for parent in trees.parents)
    assert not trees.starving(STARVING_AFTER_S + 0.25)
