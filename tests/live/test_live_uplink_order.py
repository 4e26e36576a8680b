"""The order a relay's uplink serves its connections (pure logic: queues filled by hand, no sockets, no clock).

What must hold: the earliest deadline goes first across all children; one block's parts go to every child in turn
(not the whole block to one child first) — first to the children that relay the stripe on, then to its leaves;
pull answers wait behind every queued push; a late item is never sent.
"""

from __future__ import annotations

import random
import time
from typing import Any, cast

from app.live.link import LinkProfile, Uplink
from app.live.neighbour import Neighbour, most_urgent


def _neighbour(name: bytes, siblings: dict[bytes, Neighbour], uplink: Uplink) -> Neighbour:
    nb = Neighbour(
        node_id=name,
        address=("127.0.0.1", 1),
        reader=cast(Any, None),
        writer=cast(Any, None),
        uplink=uplink,
        profile=LinkProfile(),
        rng=random.Random(1),
        siblings=siblings,
    )
    siblings[name] = nb
    return nb


def _push(nb: Neighbour, seq: int, deadline: float, parts: int, *, rank: int = 0) -> None:
    for index in range(parts):
        frame = f"{seq}:{index}".encode()
        last = index == parts - 1
        nb.send_part(seq, deadline, frame, first=index == 0, last=last, offset=index * 8192, rank=rank)


def _drain(siblings: dict[bytes, Neighbour]) -> list[str]:
    sent: list[str] = []
    while (nb := most_urgent(siblings.values())) is not None:
        item = nb.take_next()
        if item is not None:
            sent.append(f"{nb.node_id.decode()} {item.frame.decode()}")
    return sent


def test_the_earliest_deadline_goes_first_and_one_blocks_parts_go_to_every_child_in_turn() -> None:
    siblings: dict[bytes, Neighbour] = {}
    uplink = Uplink(3_000_000)
    a, b = _neighbour(b"a", siblings, uplink), _neighbour(b"b", siblings, uplink)
    now = time.time()
    _push(a, 10, now + 20, 2)  # queued first, but due later
    _push(a, 5, now + 10, 2)
    _push(b, 5, now + 10, 2)
    assert _drain(siblings) == ["a 5:0", "b 5:0", "a 5:1", "b 5:1", "a 10:0", "a 10:1"]


def test_a_child_that_relays_the_stripe_gets_a_blocks_parts_before_a_leaf_but_never_an_older_block_late() -> None:
    siblings: dict[bytes, Neighbour] = {}
    uplink = Uplink(3_000_000)
    leaf, relay = _neighbour(b"leaf", siblings, uplink), _neighbour(b"relay", siblings, uplink)
    now = time.time()
    _push(leaf, 4, now + 9, 1, rank=1)  # an older block to the leaf: its deadline still comes first
    _push(leaf, 5, now + 10, 2, rank=1)  # queued first
    _push(relay, 5, now + 10, 2, rank=0)
    assert _drain(siblings) == ["leaf 4:0", "relay 5:0", "relay 5:1", "leaf 5:0", "leaf 5:1"]


def test_pull_answers_wait_behind_every_push_and_late_items_are_dropped_unsent() -> None:
    siblings: dict[bytes, Neighbour] = {}
    uplink = Uplink(3_000_000)
    a, b = _neighbour(b"a", siblings, uplink), _neighbour(b"b", siblings, uplink)
    now = time.time()
    a.send_block(3, now + 1, b"answer 3")  # an early deadline, but a pull
    _push(b, 9, now + 30, 2)
    _push(a, 7, now - 1, 2)  # already late: never sent
    assert _drain(siblings) == ["b 9:0", "b 9:1", "a answer 3"]
    assert a.counters.blocks_dropped_late == 1
    assert a.queued_bytes() == 0 and b.queued_bytes() == 0
