"""A viewer's "no upload" state (``LiveNode.set_sharing``), on a node whose connections only record what it queues.

What must hold: off, the node uploads no block — its children are let go and told so (STATUS: not pushing, no free
slot), its queued parts are dropped, new blocks and pull answers are not queued, a new subscription is refused —
while control frames still go. On again, it offers slots, takes a child and answers pulls.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live import wire
from app.live.blocks import Block, BlockVerifier, StreamSigner
from app.live.link import LinkProfile
from app.live.neighbour import Neighbour
from app.live.node import LiveNode, NodeConfig
from app.live.wire import Kind, Status

K = 4
ALL_STRIPES = (1 << K) - 1


def _node() -> tuple[LiveNode, StreamSigner]:
    signer = StreamSigner.generate(os.urandom(16))
    verifier = BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))
    config = NodeConfig(stream_id=signer.stream_id, host="127.0.0.2", stripes=K, upload_bps=3_000_000)
    return LiveNode(config, verifier), signer


def _connect(node: LiveNode, name: bytes, *, hops: int = 5) -> Neighbour:
    """A connection that is never started: what the node sends waits in its queues, where the test reads it."""
    nb = Neighbour(
        node_id=name,
        address=("127.0.0.3", 1),
        reader=cast(Any, None),
        writer=cast(Any, None),
        uplink=node.uplink,
        profile=LinkProfile(),
        rng=random.Random(1),
        siblings=node.neighbours,
    )
    nb.status = Status(hops=(hops,) * K, free=(2,) * K, pushing_to_you=0, paths=((name,),) * K)
    node.neighbours[name] = nb
    return nb


def _statuses(nb: Neighbour) -> list[Status]:
    found = []
    for frame in cast(Any, nb)._control:
        if frame[4] == Kind.STATUS:
            found.append(wire.parse_status(frame[5:]))
    return found


def _block(signer: StreamSigner, seq: int) -> Block:
    return signer.make_block(seq, int(time.time() * 1000), os.urandom(20_000), keyframe=seq % 4 == 0)


def test_a_node_that_stops_sharing_lets_its_children_go_and_queues_no_block_until_it_shares_again() -> None:
    node, signer = _node()
    parent = _connect(node, b"parent--", hops=0)
    cast(Any, node)._tree.keep_parents([parent], time.monotonic(), newest=None)  # a route on every stripe
    child = _connect(node, b"child---")
    cast(Any, node)._dispatch(child, Kind.SUBSCRIBE, wire.subscribe(ALL_STRIPES)[5:])
    assert child.subscribed_mask != 0, "sharing, the node takes a child"
    first = _block(signer, 100)
    node.store.put(first)
    node.accept_new(first, from_origin=True, source=parent, via="push")
    assert child.queued_bytes() > 0, "sharing, a new block is pushed to the child"

    node.set_sharing(False)
    told = _statuses(child)[-1]
    assert child.subscribed_mask == 0 and told.pushing_to_you == 0 and set(told.free) == {0}
    assert child.queued_bytes() == 0, "what waited to go was dropped"
    for seq in range(101, 109):  # every stripe's blocks arrive; none is queued for anyone
        block = _block(signer, seq)
        node.store.put(block)
        node.accept_new(block, from_origin=True, source=parent, via="push")
    cast(Any, node)._dispatch(child, Kind.WANT, wire.want(105)[5:])
    assert child.queued_bytes() == 0 and parent.queued_bytes() == 0, "no push, no pull answer"
    cast(Any, node)._dispatch(child, Kind.SUBSCRIBE, wire.subscribe(ALL_STRIPES)[5:])
    assert child.subscribed_mask == 0 and _statuses(child)[-1].pushing_to_you == 0, "a new subscription is refused"
    assert child.counters.block_bytes_sent == 0

    node.set_sharing(True)
    assert set(_statuses(child)[-1].free) != {0}, "on again, it offers slots at once"
    cast(Any, node)._dispatch(child, Kind.SUBSCRIBE, wire.subscribe(ALL_STRIPES)[5:])
    assert child.subscribed_mask == ALL_STRIPES and _statuses(child)[-1].pushing_to_you == ALL_STRIPES
    cast(Any, node)._dispatch(child, Kind.WANT, wire.want(105)[5:])
    assert child.queued_bytes() > 0, "it answers pulls again"
    later = _block(signer, 109)
    node.store.put(later)
    before = child.queued_bytes()
    node.accept_new(later, from_origin=True, source=parent, via="push")
    assert child.queued_bytes() > before, "and pushes new blocks to its child"


def test_the_origin_cannot_be_switched_off() -> None:
    signer = StreamSigner.generate(os.urandom(16))
    verifier = BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))
    origin = LiveNode(NodeConfig(stream_id=signer.stream_id, host="127.0.0.2", is_origin=True), verifier)
    origin.set_sharing(False)
    assert origin.sharing


def test_a_new_upload_cap_holds_at_once_for_the_uplink_and_the_slots_offered() -> None:
    node, _signer = _node()
    parent = _connect(node, b"parent--", hops=0)
    cast(Any, node)._tree.keep_parents([parent], time.monotonic(), newest=None)  # a route on every stripe
    child = _connect(node, b"child---")
    neighbours = list(node.neighbours.values())
    before = cast(Any, node)._tree.slots(neighbours)
    node.set_upload_cap(1_000_000)  # the Settings changed while watching
    after = cast(Any, node)._tree.slots(neighbours)
    assert node.uplink.rate_bps == 1_000_000 and node.config.upload_bps == 1_000_000
    # 70 % of the cap for pushes, a quarter of 1.5 Mbit/s a stripe: 5 slots at 3 Mbit/s, 1 at 1 Mbit/s.
    assert max(before) == 3 and sum(1 for free in after if free) == K and max(after) == 1
    cast(Any, node)._dispatch(child, Kind.SUBSCRIBE, wire.subscribe(ALL_STRIPES)[5:])
    assert bin(child.subscribed_mask).count("1") == 1, "one stripe fits the new cap"
    node.set_upload_cap(None)  # "No limit"
    assert node.uplink.rate_bps is None and max(cast(Any, node)._tree.slots(neighbours)) == 3
