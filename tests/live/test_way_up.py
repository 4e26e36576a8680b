"""The way up a stripe tree (``app.live.way_up``): a node deep in its home stripe learns where a free place above it
is, dials it, and moves up.

Unit tests of what a STATUS tells and when a node climbs (fake neighbours), the frame's round trip and its checks,
and one scenario over real loopback sockets: a viewer that only knows a node two hops down climbs to the free place
one hop nearer the origin — without the way up it has no way to learn that place exists.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from typing import Any

import pytest

from app.live import wire
from app.live.errors import ProtocolError
from app.live.node import LiveNode
from app.live.stripe_tree import StripeTrees
from app.live.way_up import climb_to, way_up, way_up_for
from tests.live.relay_rig import OneStripeStream, until
from tests.live.tree_fakes import ME, K, fake_neighbour, tree_config

PARENT = ("127.0.0.7", 4001)
HIGHER = ("127.0.0.8", 4002)


def _trees(*, free: int, home: int = 0, told: tuple[str, int] | None = HIGHER, origin: bool = False) -> Any:
    """A node with ``home`` as its home stripe, whose parent in every stripe now says it has ``free`` slots and told us
    the way up ``told``. Returns the node's trees and the parent."""
    parent = fake_neighbour(b"parent--", hops=2, free=1, home=0, origin=origin, pushing=(1 << K) - 1)
    parent.address = PARENT
    trees = StripeTrees(tree_config(), ME, random.Random(1), now=0.0)
    trees.home = None if origin else home  # the origin takes a viewer only in its home stripe: no home, one stripe
    trees.keep_parents([parent], 0.0, newest=10)
    parent.status = dataclasses.replace(parent.status, free=(free,) * K, way_up=told)
    trees.home = home
    return trees, parent


def test_the_way_up_is_our_parent_when_it_has_a_free_slot() -> None:
    trees, _ = _trees(free=1)
    assert [way_up(trees.parents, trees.home, s) for s in range(K)] == [PARENT] * K


def test_past_a_full_parent_the_way_up_is_the_one_it_told_us_and_only_in_our_home_stripe() -> None:
    trees, _ = _trees(free=0, home=2)
    assert [way_up(trees.parents, trees.home, s) for s in range(K)] == [None, None, HIGHER, None]


def test_the_origin_is_never_named_and_no_parent_means_no_way_up() -> None:
    trees, _ = _trees(free=3, origin=True)
    assert [way_up(trees.parents, trees.home, s) for s in range(K)] == [None] * K
    assert way_up([None] * K, 0, 0) is None
    assert way_up(trees.parents, trees.home, wire.NO_HOME) is None


def test_a_status_tells_each_neighbour_the_way_up_in_its_own_home_stripe_never_its_own_address() -> None:
    trees, _ = _trees(free=0, home=1)
    for home, expected in ((1, HIGHER), (3, None), (wire.NO_HOME, None)):
        receiver = fake_neighbour(b"receiver", hops=wire.NO_ROUTE, home=home)
        frame = trees.status_frame(receiver, [1] * K, 0, [0] * K)
        assert wire.parse_status(frame[5:]).way_up == expected
    higher = fake_neighbour(b"higher--", hops=1, home=1)
    higher.address = HIGHER
    assert way_up_for(trees.parents, trees.home, higher) is None


def test_a_node_climbs_only_where_its_parent_in_its_home_stripe_points() -> None:
    trees, parent = _trees(free=0)
    told = wire.Status(hops=(2,) * K, free=(0,) * K, pushing_to_you=1, way_up=HIGHER)
    assert climb_to(trees.parents, trees.home, parent, told) == HIGHER
    assert climb_to(trees.parents, None, parent, told) is None  # no home yet
    stranger = fake_neighbour(b"stranger", hops=1, home=0)
    assert climb_to(trees.parents, trees.home, stranger, told) is None


@pytest.mark.parametrize("address", [("127.0.0.9", 7000), ("::1", 65535)])
def test_the_way_up_survives_the_wire(address: tuple[str, int]) -> None:
    frame = wire.status((1, 2), (0, 3), 0, home=1, way_up=address)
    assert wire.parse_status(frame[5:]).way_up == address
    assert wire.parse_status(wire.status((1, 2), (0, 3), 0)[5:]).way_up is None


@pytest.mark.parametrize("tail", [b"\x09not an ip\x1b\x58", b"\x09127.0.0.1\x00\x00", b"\x09127.0.0.1\x1b", b"\x01"])
def test_a_malformed_way_up_is_a_protocol_error(tail: bytes) -> None:
    body = wire.status((1,), (0,), 0)[5:] + tail
    with pytest.raises(ProtocolError):
        wire.parse_status(body)


def test_a_viewer_that_knows_only_a_deep_node_climbs_to_the_free_place_above_it() -> None:
    async def scenario() -> None:
        stream = OneStripeStream()
        config, verifier = stream.config, stream.verifier
        origin = LiveNode(config(is_origin=True), verifier)
        await origin.start()
        upper, lower, climber = (LiveNode(config(), verifier) for _ in range(3))
        for node in (upper, lower, climber):
            await node.start()
        try:
            upper.add_peers([(origin.config.host, origin.port)])
            await until(lambda: upper.stripe_hops() == [1], "the upper node's route through the origin")
            lower.add_peers([(upper.config.host, upper.port)])  # only the upper node: it goes under it
            await until(lambda: lower.stripe_hops() == [2], "the lower node's route through the upper one")
            climber.add_peers([(lower.config.host, lower.port)])  # only the lower node: three hops down
            await until(lambda: climber.stripe_hops() == [3], "the climber's first route, through the lower node")
            # The lower node's STATUS names the upper node (it has free slots) as the way up; the climber dials it
            # and its upgrade moves it there, one hop nearer the origin.
            await until(lambda: climber.stripe_hops() == [2], "the climber's move up", timeout=20)
            assert upper.node_id in climber.neighbours
            assert climber.tree_figures()["climb_dials"] == 1
        finally:
            for node in (climber, lower, upper, origin):
                await node.stop()

    asyncio.run(asyncio.wait_for(scenario(), 60))
