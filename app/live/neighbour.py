"""One connection to another peer of the live swarm: what it told us, and a bounded, deadline-aware send queue.

Control frames (HAVE, WANT, SUBSCRIBE, STATUS) go first and are few. Blocks wait in a queue of at most
``MAX_QUEUED_BLOCKS``: when it is full the oldest is dropped, and a block whose play-out deadline has passed when
its turn comes is dropped unsent — a slow peer costs itself blocks, never memory or other peers' time. The
uplink serves all of a node's connections by urgency (``most_urgent``): pushed parts before pull answers, the
earliest deadline first, one block's parts to every child in turn. Sending passes the peer's shared ``Uplink``
(its upload cap), then this link's ``DelayLine`` (the emulated delay and loss), then the socket, whose ``drain``
pushes back when the other side reads slowly. Runs on the node's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.live.cut_through import PartAssembler
from app.live.link import DelayLine, LinkProfile, Uplink
from app.live.wire import NO_HOME, NO_ROUTE, Have, Status

log = logging.getLogger(__name__)

MAX_QUEUED_BLOCKS = 24
MAX_QUEUED_BYTES = 1_500_000  # of parts and blocks; past this the oldest is dropped
MAX_QUEUED_CONTROL = 256
_FOLLOW_BYTES = 3 * 1448  # queued behind a message: enough segments for three duplicate ACKs
_MAX_IN_FLIGHT = 256  # messages past the uplink, waiting out the emulated delay
_ABANDONED_MEMORY = 128


@dataclass(slots=True)
class _QueuedBlock:
    seq: int
    deadline: float  # wall-clock seconds after which the block is useless to this peer
    frame: bytes
    last: bool = True  # a whole block, or the part that completes one
    part: bool = False
    offset: int = 0  # of a part in its block: equal deadlines go part by part across children
    rank: int = 0  # 0: the child relays this stripe (served first), 1: a leaf of it


@dataclass(slots=True)
class NeighbourCounters:
    blocks_sent: int = 0
    bytes_sent: int = 0
    block_bytes_sent: int = 0  # of pushed parts and pull answers (not control frames)
    blocks_dropped_late: int = 0
    blocks_dropped_full: int = 0
    blocks_dropped_link: int = 0
    bytes_received: int = 0
    strikes: int = 0  # out-of-window or otherwise useless blocks this peer sent
    dropped_seqs: deque[int] = field(default_factory=lambda: deque(maxlen=32))  # the newest blocks dropped unsent


@dataclass(slots=True)
class Neighbour:
    node_id: bytes
    address: tuple[str, int]  # where it listens
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    uplink: Uplink
    profile: LinkProfile
    rng: random.Random
    is_origin: bool = False
    outbound: bool = False  # we dialled it
    have: Have | None = None
    have_at: float = 0.0  # monotonic: when its last HAVE came (a parent sends one at least every heartbeat)
    status: Status | None = None
    subscribed_mask: int = 0  # stripes it wants pushed from us
    my_stripes_mask: int = 0  # stripes we asked it to push to us
    subscribed_at: dict[int, float] = field(default_factory=dict)  # stripe -> when we subscribed
    last_block_at: dict[int, float] = field(default_factory=dict)  # stripe -> when it last sent us one
    last_seq: dict[int, int] = field(default_factory=dict)  # stripe -> the newest seq it sent us (or we held)
    asked_at: dict[int, int] = field(default_factory=dict)  # stripe -> our SUBSCRIBE count when we asked for it
    no_route_since: dict[int, float] = field(default_factory=dict)  # stripe -> since when it has had no route
    subscribes_sent: int = 0
    subscribes_received: int = 0
    counters: NeighbourCounters = field(default_factory=NeighbourCounters)
    assembler: PartAssembler = field(default_factory=PartAssembler)  # its pushed blocks in progress
    closed: bool = False
    # The node's connections (shared dict): whoever holds the uplink's turn sends the most urgent item of them all.
    siblings: dict[bytes, Neighbour] = field(default_factory=dict)
    _control: deque[bytes] = field(default_factory=deque)
    _blocks: deque[_QueuedBlock] = field(default_factory=deque)  # pushed parts
    _answers: deque[_QueuedBlock] = field(default_factory=deque)  # whole blocks answering pulls: after all pushes
    _queued_bytes: int = 0
    _abandoned: dict[int, None] = field(default_factory=dict)  # seqs whose parts we stopped sending (in order)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _in_flight: deque[tuple[float, bytes]] = field(default_factory=deque)
    _in_flight_wake: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _line: DelayLine | None = None

    def start(self) -> None:
        self._line = DelayLine(self.profile, self.rng)
        self._tasks = [asyncio.create_task(self._send_loop()), asyncio.create_task(self._deliver_loop())]

    def hops(self, stripe: int) -> int:
        if self.status is None or stripe >= len(self.status.hops):
            return NO_ROUTE
        return self.status.hops[stripe]

    def path(self, stripe: int) -> tuple[bytes, ...]:
        if self.status is None or stripe >= len(self.status.paths):
            return ()
        return self.status.paths[stripe]

    @property
    def home(self) -> int:
        """The stripe it gives most of its push slots to (``StripeTrees.home``), ``NO_HOME`` until it told us."""
        return NO_HOME if self.status is None else self.status.home

    def send_control(self, frame: bytes) -> None:
        if self.closed:
            return
        if len(self._control) >= MAX_QUEUED_CONTROL:
            self._control.popleft()
        self._control.append(frame)
        self._wake.set()

    def send_block(self, seq: int, deadline: float, frame: bytes) -> None:
        """A whole block in one frame (a pull's answer)."""
        if self.closed:
            return
        if len(self._answers) >= MAX_QUEUED_BLOCKS:
            self._drop(self._answers.popleft())
            self.counters.blocks_dropped_full += 1
        self._answers.append(_QueuedBlock(seq, deadline, frame))
        self._queued_bytes += len(frame)
        self._wake.set()

    def relays(self, stripe: int) -> bool:
        """True when this peer told us it pushes ``stripe`` to children of its own."""
        return self.status is not None and bool(self.status.relaying >> stripe & 1)

    def send_part(
        self, seq: int, deadline: float, frame: bytes, *, first: bool, last: bool, offset: int = 0, rank: int = 0
    ) -> None:
        """One part of a pushed block. Once a part of ``seq`` was dropped its later parts are not sent (the other
        side could not use them) — until the block is sent again from its first part. ``rank`` 0 (a child that
        relays the block's stripe) goes before rank 1 (a leaf) among parts of equal deadline."""
        if self.closed:
            return
        if first:
            self._abandoned.pop(seq, None)
            self._forget_parts(seq)  # a restart: an earlier attempt's parts would break the new assembly
        elif seq in self._abandoned:
            return
        while self._queued_bytes + len(frame) > MAX_QUEUED_BYTES and self._blocks:
            self._drop(self._blocks.popleft())
            self.counters.blocks_dropped_full += 1
        item = _QueuedBlock(seq, deadline, frame, last, part=True, offset=offset, rank=rank)
        # Kept in (deadline, seq, offset) order: the head is this connection's most urgent part. Parts come nearly
        # in that order, so the place is found from the tail in a step or two.
        key = (deadline, seq, offset)
        index = len(self._blocks)
        while (
            index
            and (self._blocks[index - 1].deadline, self._blocks[index - 1].seq, self._blocks[index - 1].offset) > key
        ):
            index -= 1
        self._blocks.insert(index, item)
        self._queued_bytes += len(frame)
        self._wake.set()

    def discard_blocks(self) -> None:
        """Forget every queued part and pull answer (control frames stay): the node stopped sharing. A block whose
        parts were under way is abandoned, so none of its later parts go either."""
        for queue in (self._blocks, self._answers):
            while queue:
                self._drop(queue.popleft())

    def _forget_parts(self, seq: int) -> None:
        if any(item.seq == seq for item in self._blocks):
            kept = deque(item for item in self._blocks if item.seq != seq)
            self._queued_bytes -= sum(len(item.frame) for item in self._blocks if item.seq == seq)
            self._blocks = kept

    def abandoned(self, seq: int) -> bool:
        return seq in self._abandoned

    def _drop(self, item: _QueuedBlock) -> None:
        """Forget a queued item (already off the queue); the rest of a dropped part's block goes too."""
        self._queued_bytes -= len(item.frame)
        if not self.counters.dropped_seqs or self.counters.dropped_seqs[-1] != item.seq:
            self.counters.dropped_seqs.append(item.seq)
        if not item.part:
            return
        self._abandoned[item.seq] = None
        while len(self._abandoned) > _ABANDONED_MEMORY:
            del self._abandoned[next(iter(self._abandoned))]

    def queued_blocks(self) -> int:
        """Roughly how many blocks' worth of bytes wait here (parts count by their share)."""
        return -(-self._queued_bytes // 40_000)

    def queued_bytes(self) -> int:
        return self._queued_bytes

    def urgency(self) -> tuple[int, float, int, int] | None:
        """How soon this connection's next item is due: pushes before pull answers, then the earliest deadline,
        then children that relay the stripe before its leaves, then the smallest offset (so one block's parts go
        to those children in turn); None when nothing waits.

        Relays first: a block reaches a relay at the full upload rate instead of a share of it, and the relay's
        own subtree waits less; a leaf gets its copy when it would have anyway, once all children's bytes left."""
        if self.closed:
            return None
        now = time.time()
        for queue in (self._blocks, self._answers):
            self._drop_stale_head(queue, now)
        if self._blocks:
            head = self._blocks[0]
            return (0, head.deadline, head.rank, head.offset)
        if self._answers:
            return (1, self._answers[0].deadline, 0, 0)
        return None

    async def _send_loop(self) -> None:
        try:
            while not self.closed:
                if not self._control and not self._blocks and not self._answers:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                sender, followed = self, False
                if self._control:
                    # All waiting control frames leave as one message: one booking, one timer, one write.
                    data = self._control.popleft() if len(self._control) == 1 else b"".join(self._control)
                    self._control.clear()
                    departs = self.uplink.reserve(len(data))
                    followed = self._queued_bytes >= _FOLLOW_BYTES
                else:
                    async with self.uplink.turn:
                        await self.uplink.wait_turn()
                        sender = most_urgent(self.siblings.values()) or self
                        item = sender.take_next()
                        if item is None:
                            continue
                        data = item.frame
                        sender.counters.blocks_sent += item.last
                        sender.counters.block_bytes_sent += len(data)
                        departs = self.uplink.reserve(len(data))
                        # A block's next parts follow on this connection (the loss model's fast retransmit).
                        followed = not item.last or sender._queued_bytes >= _FOLLOW_BYTES
                sender.counters.bytes_sent += len(data)
                await sender._put_in_flight(data, departs, followed=followed)
        except (ConnectionError, asyncio.CancelledError):
            pass

    def take_next(self) -> _QueuedBlock | None:
        """The oldest queued push still useful, else the oldest pull answer (late ones are dropped here, at the last
        moment)."""
        now = time.time()
        for queue in (self._blocks, self._answers):
            item = self._next_of(queue, now)
            if item is not None:
                return item
        return None

    def _next_of(self, queue: deque[_QueuedBlock], now: float) -> _QueuedBlock | None:
        self._drop_stale_head(queue, now)
        if not queue:
            return None
        item = queue.popleft()
        self._queued_bytes -= len(item.frame)
        return item

    def _drop_stale_head(self, queue: deque[_QueuedBlock], now: float) -> None:
        """Drop the queue's leading items that are late or belong to an abandoned block."""
        while queue:
            item = queue[0]
            if item.part and item.seq in self._abandoned:
                queue.popleft()
                self._queued_bytes -= len(item.frame)
                continue
            if now <= item.deadline:
                return
            queue.popleft()
            newly = not item.part or item.seq not in self._abandoned
            self._drop(item)
            self.counters.blocks_dropped_late += newly

    async def _put_in_flight(self, data: bytes, departs: float, *, followed: bool = False) -> None:
        assert self._line is not None
        arrival = self._line.arrival_time(len(data), departs, followed=followed)
        if arrival is None:
            self.counters.blocks_dropped_link += 1
            return
        while len(self._in_flight) >= _MAX_IN_FLIGHT and not self.closed:
            await asyncio.sleep(0.01)  # the socket pushes back: hold here, the bounded queue drops late blocks
        self._in_flight.append((arrival, data))
        self._in_flight_wake.set()

    async def _deliver_loop(self) -> None:
        try:
            while not self.closed:
                if not self._in_flight:
                    self._in_flight_wake.clear()
                    await self._in_flight_wake.wait()
                    continue
                wait = self._in_flight[0][0] - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                # Everything due by now leaves in one write: a send system call per frame was the largest cost of
                # a process hosting many viewers.
                now = time.monotonic()
                batch = [self._in_flight.popleft()[1]]
                while self._in_flight and self._in_flight[0][0] <= now:
                    batch.append(self._in_flight.popleft()[1])
                self.writer.write(batch[0] if len(batch) == 1 else b"".join(batch))
                await self.writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        # Nothing queued here will be sent or assembled now: free it at once (a departed viewer's objects wait for
        # the cyclic GC, which a host of many viewers runs rarely — its memory grew with every departure).
        self._control.clear()
        self._blocks.clear()
        self._answers.clear()
        self._in_flight.clear()
        self._queued_bytes = 0
        self.assembler.forget_before(1 << 64)
        self._wake.set()
        self._in_flight_wake.set()
        with contextlib.suppress(Exception):
            self.writer.close()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()


def most_urgent(neighbours: Iterable[Neighbour]) -> Neighbour | None:
    """The connection whose next item is due first (see ``Neighbour.urgency``), or None when nothing waits."""
    best: Neighbour | None = None
    best_key: tuple[int, float, int, int] | None = None
    for nb in neighbours:
        key = nb.urgency()
        if key is not None and (best_key is None or key < best_key):
            best, best_key = nb, key
    return best
