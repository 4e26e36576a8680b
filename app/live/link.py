"""Our transport's shaping: a per-peer upload cap, and an emulated link (delay, loss, rate) for tests and the bench.

This kernel has no netem (FIELD-NOTES), so links are emulated inside the transport. Every message a peer sends
passes ``Uplink.transmit`` (one token bucket per peer, shared by all its connections: the upload cap) and then a
``LinkProfile``: a fixed one-way delay per link, and loss. Our overlay runs on TCP, so a lost segment is not a
lost message but a retransmission: each 1,448-byte segment is lost with probability ``loss`` and costs one round
trip (fast retransmit: three later segments bring three duplicate ACKs) — or 200 ms plus a round trip (Linux's
minimum RTO) when too few segments follow it — and head-of-line blocks the messages behind it on that link. The
segments that follow are the rest of the message and what the connection sends right after it: a pushed part that
is not its block's last is followed by the next parts (relayed as they come, a few part-times apart), so a loss
they reveal costs ``FOLLOW_GAP_S`` more than a round trip, not a timeout. Only what nothing follows at once (a
block's last part, a pull answer, a lone control frame) waits for the timeout. ``drop_messages=True``
instead drops whole messages, a harsher model that exercises the pull path. Runs on the node's event loop.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

SEGMENT = 1448
MIN_RTO_S = 0.2
# A loss revealed by segments queued behind the message: they leave within about three part-times of a capped uplink
# (8 KB at 3 Mbit/s is 22 ms; a parent serves up to three children in turn).
FOLLOW_GAP_S = 0.07


@dataclass(frozen=True, slots=True)
class LinkProfile:
    delay_s: float = 0.0  # one way
    loss: float = 0.0  # per TCP segment (or per message with drop_messages)
    drop_messages: bool = False

    def extra_delay(self, size: int, rng: random.Random, *, followed: bool = False) -> float | None:
        """The retransmission delay a message of ``size`` bytes suffers, or None if it is dropped; ``followed``:
        the connection sends more right after it (enough segments for fast retransmit)."""
        if self.loss <= 0:
            return 0.0
        if self.drop_messages:
            return None if rng.random() < self.loss else 0.0
        segments = max(1, -(-size // SEGMENT))
        extra = 0.0
        rtt = 2 * self.delay_s
        for index in range(segments):
            if rng.random() < self.loss:
                followers = segments - index - 1
                if followers >= 3:
                    extra += rtt
                elif followed:
                    extra += rtt + FOLLOW_GAP_S
                else:
                    extra += MIN_RTO_S + rtt
        return extra


class Uplink:
    """A peer's upload cap: messages leave one after another at ``rate_bps`` (None: unlimited)."""

    def __init__(self, rate_bps: float | None) -> None:
        self.rate_bps = rate_bps
        self._free_at = 0.0
        self.bytes_sent = 0
        self._second_lane = asyncio.Lock()
        self.turn = asyncio.Lock()  # block senders take turns: one waits for the uplink at a time

    async def transmit(self, size: int) -> None:
        """Wait until ``size`` bytes have left at the capped rate (reserve the slot first: fair in FIFO order)."""
        self.bytes_sent += size
        if not self.rate_bps:
            return
        now = time.monotonic()
        start = max(now, self._free_at)
        self._free_at = start + size * 8 / self.rate_bps
        wait = self._free_at - now
        if wait > 0:
            await asyncio.sleep(wait)

    def reserve(self, size: int) -> float:
        """Book ``size`` bytes on the uplink without waiting; the monotonic time they will have left.

        Senders that keep a little backlog booked (``wait_turn``) keep the uplink busy even when the event loop wakes
        them late: a sender that slept until its bytes had left lost the wake-up latency on every message, which on
        a loaded machine cost a large share of the rate once blocks travel in small parts.
        """
        self.bytes_sent += size
        now = time.monotonic()
        if not self.rate_bps:
            return now
        self._free_at = max(now, self._free_at) + size * 8 / self.rate_bps
        return self._free_at

    async def transmit_when_idle(self, size: int, *, idle_s: float = 0.05, give_up_at: float | None = None) -> bool:
        """Like ``transmit``, but only once the uplink's backlog is under ``idle_s``: second priority.

        The origin's HTTP answers yield to its stripe pushes, which feed whole subtrees. Past ``give_up_at`` (wall
        clock) it returns False without sending: the caller drops the answer.
        """
        # One at a time (waiters woken together would each reserve a slot), and the wait for the lane counts against
        # the deadline too: an answer behind a slow one gives up at its own deadline, not once it holds the lane.
        try:
            async with asyncio.timeout(None if give_up_at is None else max(0.0, give_up_at - time.time())):
                await self._second_lane.acquire()
        except TimeoutError:
            return False
        try:
            # ``turn`` is held while a block sender waits for the uplink: pushes pending, so the answer waits too.
            while self.rate_bps and (self.backlog_s() > idle_s or self.turn.locked()):
                if give_up_at is not None and time.time() > give_up_at:
                    return False
                await asyncio.sleep(min(0.05, max(0.005, self.backlog_s())))
            await self.transmit(size)
            return True
        finally:
            self._second_lane.release()

    async def wait_turn(self, *, idle_s: float = 0.05) -> None:
        """Wait until the uplink has at most ``idle_s`` of bytes queued (hold ``turn`` while calling this).

        A sender picks what to send only then, so blocks wait in their bounded, deadline-aware queues — where a late
        one can still be dropped — not in reservations of the uplink's future time.
        """
        while self.rate_bps and self.backlog_s() > idle_s:
            await asyncio.sleep(min(0.05, self.backlog_s()))

    def backlog_s(self) -> float:
        """How long a message queued now would wait for the uplink."""
        return max(0.0, self._free_at - time.monotonic())


class DelayLine:
    """One link's delivery schedule: in order, ``delay`` after leaving the uplink, plus retransmission time."""

    def __init__(self, profile: LinkProfile, rng: random.Random) -> None:
        self.profile = profile
        self._rng = rng
        self._last_arrival = 0.0

    def arrival_time(self, size: int, departs: float | None = None, *, followed: bool = False) -> float | None:
        """The monotonic time a message that leaves at ``departs`` (now) arrives, or None if the link drops it;
        ``followed``: more leaves on this connection right after it."""
        extra = self.profile.extra_delay(size, self._rng, followed=followed)
        if extra is None:
            return None
        departs = time.monotonic() if departs is None else departs
        arrival = max(departs + self.profile.delay_s + extra, self._last_arrival)  # TCP keeps order
        self._last_arrival = arrival
        return arrival
