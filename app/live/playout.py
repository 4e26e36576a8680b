"""The play-out buffer: verified blocks in, blocks out in order at a steady delay behind the source.

Block ``seq`` is due at its capture time + ``delay_s`` + the lag accumulated by stalls. Play starts at a keyframe
block that is not already late. A block still missing when due stalls play (the lag grows); when a later keyframe
block is there and the wait passes ``max_wait_s``, or the lag passes ``catch_up_s``, play skips ahead to the
keyframe that brings the delay back to its target, and the skipped sequence numbers are reported as a gap. Lag
the blocks no longer need (they have come early for ``TRIM_CALM_S``) is given back by one short skip to a
keyframe (``_trim_lag``), also reported as a gap.
A block at or before what was already played (a replay), or captured more than ``max_age_s`` ago or implausibly in
the future, is rejected and counted; the buffer keeps only the newest ``window`` blocks. Sequence numbers may jump
ahead (a broadcaster that restarted): a stall then ends at the first keyframe after the jump. Pure logic driven by
``tick(now)``; the viewer's loop calls it. Times are wall-clock seconds (capture times are the broadcaster's
wall clock: both ends keep NTP time).
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from app.live.blocks import Block

CATCH_UP_S = 1.5  # the most lag (delay beyond the target, from stalls) play holds before it skips to catch up
# Lag play gives back once its blocks have come early enough for a while (see ``PlayoutBuffer._trim_lag``).
TRIM_CALM_S = 12.0  # seconds without a stall (or a start, skip or trim) before lag is given back
TRIM_MARGIN_S = 0.25  # kept above the latest arrival (after capture) of those calm seconds
# Repairs are asked a set time before the deadline play holds now, so when they come says nothing about the lag the
# path needs (with less lag they are asked sooner): the trim judges by the pushes (stripe trees, the origin's node).
REPAIR_ROUTES = frozenset({"pull", "http"})
ARRIVAL_BIN_S = 0.1
ARRIVAL_BINS = 100


class Offer(enum.Enum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REPLAYED = "replayed"  # at or before what was already played
    OUT_OF_WINDOW = "out_of_window"  # too far ahead, or too old to ever play


@dataclass(slots=True)
class PlayoutStats:
    played: int = 0
    gaps: int = 0  # blocks skipped
    replayed: int = 0
    out_of_window: int = 0
    duplicates: int = 0
    stall_s: float = 0.0
    # Stall seconds by what ended them: the missing block came late (by its route: ``push`` down the stripe tree,
    # ``pull`` from a neighbour, ``origin`` from the origin's node, ``http`` from its HTTP), or play ``skip``ped.
    stall_by_cause: dict[str, float] = field(default_factory=dict)
    stalls: int = 0  # stall events
    # Arrival of each accepted block after its capture, by route: 100 ms bin -> blocks (bounded: at most 100 bins).
    arrival: dict[str, dict[int, int]] = field(default_factory=dict)
    started_at: float | None = None  # wall time the first block played
    playing_since: float | None = None
    # Where a viewer's join time and held lag come from (bench/live_join.py): when the first block and the first
    # keyframe block arrived, the lag play began with, the lag stalls added since, and the lag catch-ups gave back.
    first_block_at: float | None = None
    first_keyframe_at: float | None = None
    start_lag_s: float = 0.0
    lag_from_stalls_s: float = 0.0
    lag_recovered_s: float = 0.0


class PlayoutBuffer:
    def __init__(
        self,
        *,
        delay_s: float,
        on_play: Callable[[Block], None],
        on_gap: Callable[[int, int], None],
        window: int = 64,
        max_wait_s: float = 0.75,
        catch_up_s: float = CATCH_UP_S,
        max_age_s: float = 20.0,
        max_ahead_s: float = 10.0,
        block_s: float = 0.25,
    ) -> None:
        self.delay_s = delay_s
        self._on_play = on_play
        self._on_gap = on_gap
        self._window = window
        self._max_wait_s = max_wait_s
        self._catch_up_s = catch_up_s
        self._max_age_s = max_age_s
        self._max_ahead_s = max_ahead_s
        self._block_s = block_s
        self._last_capture_s: float | None = None
        self._last_seq = 0
        self._blocks: dict[int, Block] = {}
        self._via: dict[int, str] = {}  # seq -> the route it came by, for the stall's cause
        self.next_seq: int | None = None
        self.lag_s = 0.0  # delay beyond delay_s, from stalls
        self._stalled_since: float | None = None
        self._calm_since = 0.0  # the last start, stall, skip or trim
        # Pushed blocks' (wall time, seconds after capture), for the trim.
        self._arrivals: deque[tuple[float, float]] = deque(maxlen=128)
        self.stats = PlayoutStats()

    def offer(self, block: Block, now: float, via: str = "push") -> Offer:
        """Take a verified block (``via``: the route it came by, for stall causes); returns what became of it."""
        capture_s = block.capture_ms / 1000
        if capture_s < now - self._max_age_s or capture_s > now + self._max_ahead_s:
            self.stats.out_of_window += 1
            return Offer.OUT_OF_WINDOW
        if self.next_seq is not None and block.seq < self.next_seq:
            self.stats.replayed += 1
            return Offer.REPLAYED
        if block.seq in self._blocks:
            self.stats.duplicates += 1
            return Offer.DUPLICATE
        self._blocks[block.seq] = block
        self._via[block.seq] = via
        if self.stats.first_block_at is None:
            self.stats.first_block_at = now
        if block.keyframe and self.stats.first_keyframe_at is None:
            self.stats.first_keyframe_at = now
        if via not in REPAIR_ROUTES:
            self._arrivals.append((now, now - capture_s))
        bins = self.stats.arrival.setdefault(via, {})
        arrival_bin = min(ARRIVAL_BINS - 1, max(0, int((now - capture_s) / ARRIVAL_BIN_S)))
        bins[arrival_bin] = bins.get(arrival_bin, 0) + 1
        self._trim()
        return Offer.ACCEPTED

    def _trim(self) -> None:
        if len(self._blocks) <= self._window:
            return
        for seq in sorted(self._blocks)[: len(self._blocks) - self._window]:
            del self._blocks[seq]
            self._via.pop(seq, None)

    def clear(self) -> None:
        """Forget the blocks waiting to play (a stopped viewer)."""
        self._blocks.clear()
        self._via.clear()

    def held(self) -> int:
        return len(self._blocks)

    def _due(self, block: Block) -> float:
        return block.capture_ms / 1000 + self.delay_s + self.lag_s

    def wanted_from(self) -> int | None:
        """The first sequence number still useful to this viewer (None before play has started)."""
        return self.next_seq

    def tick(self, now: float) -> None:
        if self.next_seq is None:
            self._start(now)
            if self.next_seq is None:
                return
        while True:
            block = self._blocks.get(self.next_seq)
            if block is not None:
                if self._stalled_since is not None:
                    stalled = now - self._stalled_since
                    self._count_stall(self._via.get(block.seq, "push"), stalled)
                    self.lag_s += stalled
                    self.stats.lag_from_stalls_s += stalled
                    self._stalled_since = None
                    self._calm_since = now
                    if self.lag_s > self._catch_up_s and self._skip_to_keyframe(now):
                        continue
                if now < self._due(block):
                    return
                if self._trim_lag(now):
                    continue
                self._play(block, now)
                continue
            # The next block is missing: has it become due?
            expected_due = self._expected_due(self.next_seq)  # None before the first play
            if expected_due is None or now < expected_due:
                return
            if self._stalled_since is None:
                self._stalled_since = expected_due
            waited = now - self._stalled_since
            if waited > self._max_wait_s and self._skip_to_keyframe(now):
                continue
            return

    def _expected_due(self, seq: int) -> float | None:
        if self._last_capture_s is None:
            return None
        # Blocks are about ``block_s`` long: the missing one was due one block after the last one played.
        return self._last_capture_s + (seq - self._last_seq) * self._block_s + self.delay_s + self.lag_s

    def _start(self, now: float) -> None:
        keyframes = sorted(s for s, b in self._blocks.items() if b.keyframe)
        if not keyframes:
            return
        # The earliest keyframe that is not late yet; else the newest one, played at once with the lag it has.
        for seq in keyframes:
            block = self._blocks[seq]
            if self._due(block) >= now - 0.05:
                self._calm_since = now
                self._begin_at(seq)
                return
        newest = self._blocks[keyframes[-1]]
        self.lag_s = max(0.0, now - self._due(newest))
        self.stats.start_lag_s = self.lag_s
        self._calm_since = now
        self._begin_at(newest.seq)

    def _trim_lag(self, now: float) -> bool:
        """Give back lag that the blocks no longer need: True when play skipped ahead to a keyframe to do it.

        Lag only grows (each stall adds its length) and a viewer keeps what it took while its trees formed; past
        ``catch_up_s`` it is thrown away at once. Below that, once ``TRIM_CALM_S`` passed without a stall and every
        push of those seconds came ``TRIM_MARGIN_S`` before the delay play would hold with less lag, play skips
        from the block now due to the next keyframe — at the block where that jump is the largest one no larger
        than the lag to give back — and plays the keyframe at once: the delay falls by the skipped blocks' length,
        and they are reported as a gap. At most one trim each ``TRIM_CALM_S``.
        """
        assert self.next_seq is not None
        if self.lag_s < self._block_s or now - self._calm_since < TRIM_CALM_S:
            return False
        recent = [after for at, after in self._arrivals if at >= now - TRIM_CALM_S]
        if not recent:
            return False
        spare = self.delay_s + self.lag_s - max(self.delay_s, max(recent) + TRIM_MARGIN_S)
        keyframes = [s for s, b in self._blocks.items() if b.keyframe and s > self.next_seq]
        if not keyframes:
            return False
        target, current = self._blocks[min(keyframes)], self._blocks[self.next_seq]
        jump_s = (target.capture_ms - current.capture_ms) / 1000
        # The largest jump the spare lag allows: a shorter one now would only mean another gap later.
        if jump_s > spare or (jump_s + self._block_s <= spare and not current.keyframe):
            return False
        self.stats.gaps += target.seq - self.next_seq
        self._on_gap(self.next_seq, target.seq - 1)
        self.lag_s -= jump_s
        self.stats.lag_recovered_s += jump_s
        self._calm_since = now
        self._begin_at(target.seq)
        return True

    def _begin_at(self, seq: int) -> None:
        self.next_seq = seq
        for old in [s for s in self._blocks if s < seq]:
            del self._blocks[old]
            self._via.pop(old, None)

    def _skip_to_keyframe(self, now: float) -> bool:
        """Jump to the first keyframe that restores the delay held before this stall (after a catch-up: the target
        delay itself), else the newest one; False when no later keyframe is held.

        A lost block is a hole, not a sign the blocks come sooner: jumping to the delay target would leave a viewer
        whose blocks arrive later than that stalled again at once, and skipping again (a cycle that was most of the
        52 % stall at 40 viewers).
        """
        assert self.next_seq is not None
        keyframes = sorted(s for s, b in self._blocks.items() if b.keyframe and s > self.next_seq)
        if not keyframes:
            return False
        keep_lag = 0.0 if self.lag_s > self._catch_up_s else self.lag_s
        target = keyframes[-1]
        for seq in keyframes:
            if self._blocks[seq].capture_ms / 1000 + self.delay_s + keep_lag >= now - 0.05:
                target = seq
                break
        block = self._blocks[target]
        self._calm_since = now
        if self._stalled_since is not None:  # the wait before a skip is stall time too
            self._count_stall("skip", max(0.0, now - self._stalled_since))
        self.stats.gaps += target - self.next_seq
        self._on_gap(self.next_seq, target - 1)
        self._stalled_since = None
        lag_before = self.lag_s
        self.lag_s = max(keep_lag, now - (block.capture_ms / 1000 + self.delay_s))
        self.stats.lag_recovered_s += max(0.0, lag_before - self.lag_s)
        self._begin_at(target)
        return True

    def _count_stall(self, cause: str, seconds: float) -> None:
        self.stats.stall_s += seconds
        self.stats.stalls += 1
        self.stats.stall_by_cause[cause] = self.stats.stall_by_cause.get(cause, 0.0) + seconds

    def _play(self, block: Block, now: float) -> None:
        del self._blocks[block.seq]
        self._via.pop(block.seq, None)
        assert self.next_seq is not None
        self.next_seq = block.seq + 1
        self._last_capture_s = block.capture_ms / 1000
        self._last_seq = block.seq
        self.stats.played += 1
        if self.stats.started_at is None:
            self.stats.started_at = now
        self._on_play(block)

    def next_wake(self, now: float) -> float:
        """Seconds until ``tick`` has something to do (a block falls due), capped: the viewer sleeps this long."""
        if self.next_seq is None or self._stalled_since is not None:
            return 0.05
        block = self._blocks.get(self.next_seq)
        if block is not None:
            return max(0.0, min(0.25, self._due(block) - now))
        expected = self._expected_due(self.next_seq)
        return 0.05 if expected is None else max(0.0, min(0.25, expected - now))

    def stalled_now(self, now: float) -> float:
        """How long play has been stalled at ``now`` (0 when playing)."""
        return 0.0 if self._stalled_since is None else max(0.0, now - self._stalled_since)
