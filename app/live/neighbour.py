"""One connection to another peer of the live swarm: what it told us, and a bounded, deadline-aware send queue.

Control frames (HAVE, WANT, SUBSCRIBE, STATUS) go first and are few. Blocks wait in a queue of at most
``MAX_QUEUED_BLOCKS``: when it is full the oldest is dropped, and a block whose play-out deadline has passed when
its turn comes is dropped unsent — a slow peer costs itself blocks, never memory or other peers' time. Sending
passes the peer's shared ``Uplink`` (its upload cap), then this link's ``DelayLine`` (the emulated delay and
loss), then the socket, whose ``drain`` pushes back when the other side reads slowly. Runs on the node's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from dataclasses import dataclass, field

from app.live.cut_through import PartAssembler
from app.live.link import DelayLine, LinkProfile, Uplink
from app.live.wire import NO_ROUTE, Have, Status

log = logging.getLogger(__name__)

MAX_QUEUED_BLOCKS = 24
MAX_QUEUED_BYTES = 1_500_000  # of parts and blocks; past this the oldest is dropped
MAX_QUEUED_CONTROL = 256
_MAX_IN_FLIGHT = 256  # messages past the uplink, waiting out the emulated delay
_ABANDONED_MEMORY = 128


@dataclass(slots=True)
class _QueuedBlock:
    seq: int
    deadline: float  # wall-clock seconds after which the block is useless to this peer
    frame: bytes
    last: bool = True  # a whole block, or the part that completes one
    part: bool = False


@dataclass(slots=True)
class NeighbourCounters:
    blocks_sent: int = 0
    bytes_sent: int = 0
    blocks_dropped_late: int = 0
    blocks_dropped_full: int = 0
    blocks_dropped_link: int = 0
    bytes_received: int = 0
    strikes: int = 0  # out-of-window or otherwise useless blocks this peer sent


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
    _control: deque[bytes] = field(default_factory=deque)
    _blocks: deque[_QueuedBlock] = field(default_factory=deque)
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
        if len(self._blocks) >= MAX_QUEUED_BLOCKS:
            self._drop(self._blocks.popleft())
            self.counters.blocks_dropped_full += 1
        self._enqueue(_QueuedBlock(seq, deadline, frame))

    def send_part(self, seq: int, deadline: float, frame: bytes, *, first: bool, last: bool) -> None:
        """One part of a pushed block. Once a part of ``seq`` was dropped its later parts are not sent (the other
        side could not use them) — until the block is sent again from its first part."""
        if self.closed:
            return
        if first:
            self._abandoned.pop(seq, None)
        elif seq in self._abandoned:
            return
        while self._queued_bytes + len(frame) > MAX_QUEUED_BYTES and self._blocks:
            self._drop(self._blocks.popleft())
            self.counters.blocks_dropped_full += 1
        self._enqueue(_QueuedBlock(seq, deadline, frame, last, part=True))

    def abandoned(self, seq: int) -> bool:
        return seq in self._abandoned

    def _enqueue(self, item: _QueuedBlock) -> None:
        self._blocks.append(item)
        self._queued_bytes += len(item.frame)
        self._wake.set()

    def _drop(self, item: _QueuedBlock) -> None:
        """Forget a queued item (already off the queue); the rest of a dropped part's block goes too."""
        self._queued_bytes -= len(item.frame)
        if not item.part:
            return
        self._abandoned[item.seq] = None
        while len(self._abandoned) > _ABANDONED_MEMORY:
            del self._abandoned[next(iter(self._abandoned))]

    def queued_blocks(self) -> int:
        """Roughly how many blocks' worth of bytes wait here (parts count by their share)."""
        return -(-self._queued_bytes // 40_000)

    async def _send_loop(self) -> None:
        try:
            while not self.closed:
                if not self._control and not self._blocks:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                if self._control:
                    data = self._control.popleft()
                    departs = self.uplink.reserve(len(data))
                else:
                    async with self.uplink.turn:
                        await self.uplink.wait_turn()
                        item = self._next_block()
                        if item is None:
                            continue
                        data = item.frame
                        self.counters.blocks_sent += item.last
                        departs = self.uplink.reserve(len(data))
                self.counters.bytes_sent += len(data)
                await self._put_in_flight(data, departs)
        except (ConnectionError, asyncio.CancelledError):
            pass

    def _next_block(self) -> _QueuedBlock | None:
        """The oldest queued block still useful (late ones are dropped here, at the last moment)."""
        now = time.time()
        while self._blocks:
            item = self._blocks.popleft()
            if item.part and item.seq in self._abandoned:
                self._queued_bytes -= len(item.frame)
                continue
            if now <= item.deadline:
                self._queued_bytes -= len(item.frame)
                return item
            newly = not item.part or item.seq not in self._abandoned
            self._drop(item)
            self.counters.blocks_dropped_late += newly
        return None

    async def _put_in_flight(self, data: bytes, departs: float) -> None:
        assert self._line is not None
        arrival = self._line.arrival_time(len(data), departs)
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
        self._wake.set()
        self._in_flight_wake.set()
        with contextlib.suppress(Exception):
            self.writer.close()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
