"""Stall accounting and the skip after a lost block, in the play-out buffer (pure logic, simulated clock).

What a viewer would see: a stall is counted once, by what ended it (the late block's route, or a skip), and a viewer
whose blocks come later than the stream's delay keeps the delay it settled on when a block is lost — it skips the
hole and plays on, instead of jumping to the target delay and stalling again for the very next block. Lag a stall
left behind is given back by one short skip once the pushed blocks have come early for a while, never while they
still need it; each played block tells the player how much stream time was skipped before it and how much later
(or sooner) than its capture time it plays — the player's clock moves by the latter, so VLC's keeps pace.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live.blocks import BlockVerifier, StreamSigner
from app.live.node import NodeConfig
from app.live.playout import TRIM_CALM_S, PlayoutBuffer
from app.live.viewer import PlayedBlock, Viewer

NOW = 1_800_000_000.0
BLOCK_S = 0.25
STEP_S = 0.01
DELAY_S = 1.0


@dataclass
class Run:
    buffer: PlayoutBuffer
    played: list[int]
    gaps: list[tuple[int, int]]


def _run(arrival_after_capture: dict[int, float], via: dict[int, str], blocks: int) -> Run:
    """Blocks 0..blocks-1 (a keyframe every 4th) arrive at capture + their delay (missing: lost); tick every 10 ms."""
    signer = StreamSigner.generate(os.urandom(16))
    made = {
        seq: signer.make_block(seq, int((NOW + seq * BLOCK_S) * 1000), b"ts" * 32, keyframe=seq % 4 == 0)
        for seq in arrival_after_capture
    }
    played: list[int] = []
    gaps: list[tuple[int, int]] = []
    buffer = PlayoutBuffer(
        delay_s=DELAY_S, on_play=lambda b: played.append(b.seq), on_gap=lambda a, z: gaps.append((a, z))
    )
    run = Run(buffer, played, gaps)
    arrivals = sorted((NOW + seq * BLOCK_S + after, seq) for seq, after in arrival_after_capture.items())
    now, index = NOW, 0
    while now < NOW + blocks * BLOCK_S + DELAY_S + 2.0:
        while index < len(arrivals) and arrivals[index][0] <= now:
            seq = arrivals[index][1]
            run.buffer.offer(made[seq], now, via.get(seq, "push"))
            index += 1
        run.buffer.tick(now)
        now += STEP_S
    return run


def test_a_stall_is_counted_once_by_the_route_of_the_block_that_ended_it() -> None:
    arrival = {seq: 0.3 for seq in range(16)}
    arrival[6] = 1.6  # pulled from a neighbour, 0.6 s after it was due
    run = _run(arrival, {6: "pull"}, 16)
    stats = run.buffer.stats
    assert run.played == list(range(16)) and not run.gaps
    assert stats.stalls == 1
    assert set(stats.stall_by_cause) == {"pull"}
    assert stats.stall_by_cause["pull"] == pytest.approx(0.6, abs=0.03)
    assert stats.stall_s == pytest.approx(sum(stats.stall_by_cause.values()))


def test_a_lost_block_skips_to_the_keyframe_that_keeps_the_delay_and_play_goes_on_without_stalling() -> None:
    # Keyframe blocks come early (a short path), the others 0.6 s later than the stream's delay allows: the viewer
    # settles at 0.6 s of lag after its first stall. Block 5 is lost.
    arrival = {seq: (0.3 if seq % 4 == 0 else DELAY_S + 0.6) for seq in range(32) if seq != 5}
    run = _run(arrival, {}, 32)
    stats = run.buffer.stats
    assert run.gaps == [(5, 7)]  # the hole up to the next keyframe, not up to the one at the target delay
    assert run.played == [s for s in range(32) if s not in (5, 6, 7)]
    # Two stalls: settling at the lag (block 1), and the wait before the skip; none after it.
    assert stats.stalls == 2
    assert set(stats.stall_by_cause) == {"push", "skip"}
    assert run.buffer.lag_s == pytest.approx(0.6, abs=0.03)


def test_after_a_long_stall_play_catches_up_to_the_target_delay() -> None:
    # Blocks 8-19 are held up and come all at once with 19 (a parent that froze, then sent its backlog): the stall
    # passes the catch-up bound, so play skips to the keyframe at the target delay rather than keep that lag.
    arrival = {seq: 0.3 for seq in range(40)}
    burst_at = 19 * BLOCK_S + 0.3
    arrival.update({seq: burst_at - seq * BLOCK_S for seq in range(8, 20)})
    run = _run(arrival, {}, 40)
    assert run.gaps == [(8, 15)]
    assert run.played == [s for s in range(40) if not 8 <= s <= 15]
    assert run.buffer.lag_s < 0.1


def test_lag_taken_in_a_stall_is_given_back_by_one_short_skip_once_blocks_come_early_again() -> None:
    # Blocks 4-7 come 0.6 s later than the delay allows (the trees forming): play stalls 0.6 s and holds that lag.
    # Every later block comes 0.3 s after capture, so TRIM_CALM_S after the late ones play skips to a keyframe at
    # most 0.6 s ahead — two blocks, the largest such jump — and plays on 0.5 s nearer the source, stall-free.
    arrival = {seq: 0.3 for seq in range(64)}
    arrival.update({seq: DELAY_S + 0.6 for seq in range(4, 8)})
    run = _run(arrival, {}, 64)
    stats = run.buffer.stats
    assert stats.stalls == 1
    assert len(run.gaps) == 1
    first, last = run.gaps[0]
    assert last - first + 1 == 2 and (last + 1) % 4 == 0  # up to a keyframe
    assert first * BLOCK_S >= 7 * BLOCK_S + TRIM_CALM_S  # not before the calm seconds after the late blocks
    assert run.played == [s for s in range(64) if not first <= s <= last]
    assert run.buffer.lag_s == pytest.approx(0.1, abs=0.03)
    assert stats.lag_recovered_s == pytest.approx(0.5)


def test_lag_the_blocks_still_need_is_kept_without_skipping() -> None:
    # Every block after the first keyframe comes 0.6 s later than the delay allows: the 0.6 s of lag is the delay
    # this viewer's path needs, and giving any of it back would stall on the very next block.
    arrival = {seq: (0.3 if seq == 0 else DELAY_S + 0.6) for seq in range(64)}
    run = _run(arrival, {}, 64)
    assert not run.gaps and run.played == list(range(64))
    assert run.buffer.stats.stalls == 1
    assert run.buffer.lag_s == pytest.approx(0.6, abs=0.03)


def test_repairs_timed_by_the_deadline_do_not_hold_back_the_lag_the_pushes_no_longer_need() -> None:
    # As above, but one block in four after the stall is pulled and comes just before its deadline (repairs are
    # asked a set time before the delay play holds): when it comes tells nothing of the path, so the trim still
    # takes the two blocks the pushes allow, not one.
    arrival = {seq: 0.3 for seq in range(64)}
    arrival.update({seq: DELAY_S + 0.6 for seq in range(4, 8)})
    pulled = {seq: "pull" for seq in range(8, 64) if seq % 4 == 2}
    arrival.update({seq: DELAY_S + 0.08 for seq in pulled})
    run = _run(arrival, pulled, 64)
    assert len(run.gaps) == 1
    first, last = run.gaps[0]
    assert last - first + 1 == 2 and (last + 1) % 4 == 0
    assert run.buffer.stats.stalls == 1


def _played_by_viewer(arrival: dict[int, float], blocks: int) -> list[PlayedBlock]:
    """What a viewer hands its player when blocks 0..blocks-1 (a keyframe every 4th) arrive at capture + their
    delay (missing: lost); ticks every 10 ms of a simulated clock."""
    signer = StreamSigner.generate(os.urandom(16))
    verifier = BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))
    played: list[PlayedBlock] = []
    config = NodeConfig(stream_id=signer.stream_id, host="127.0.0.1", port=0, delay_s=DELAY_S)
    viewer = Viewer(config, verifier, on_play=played.append)
    assert viewer.playout is not None
    made = {
        seq: signer.make_block(seq, int((NOW + seq * BLOCK_S) * 1000), b"ts", keyframe=seq % 4 == 0) for seq in arrival
    }
    now = NOW
    while now < NOW + blocks * BLOCK_S + DELAY_S + 2.0:
        for seq, after in arrival.items():
            if NOW + seq * BLOCK_S + after <= now < NOW + seq * BLOCK_S + after + STEP_S:
                viewer.playout.offer(made[seq], now)
        viewer.playout.tick(now)
        now += STEP_S
    return played


def test_after_a_lost_block_the_player_learns_the_time_skipped_and_that_its_clock_need_not_move() -> None:
    # Play waited for block 5, then skipped to keyframe 8 when it fell due: the stream time jumped by a second and
    # so did the wall time, so the player's clock keeps pace without a move (tests/live/test_live_restamp.py) —
    # the old rule moved it back by the 750 ms skipped, and VLC saw block 8 that late.
    played = _played_by_viewer({seq: 0.3 for seq in range(24) if seq != 5}, 24)
    assert [b.seq for b in played] == [s for s in range(24) if s not in (5, 6, 7)]
    assert {b.seq: b.skipped_ms for b in played if b.skipped_ms} == {8: 750}  # blocks 5, 6 and 7
    assert all(abs(b.lag_change_ms) <= 1000 * STEP_S for b in played)  # at most the simulated clock's tick


def test_a_block_that_came_late_tells_the_player_how_much_later_it_plays_than_its_capture_says() -> None:
    # Block 5 comes 0.3 s after it was due: play stalls, and it and every later block play 0.3 s later — the player
    # stamps them that much later, so for VLC they are on time (no late data, no delay VLC keeps for good).
    arrival = {seq: 0.3 for seq in range(24)}
    arrival[5] = DELAY_S + 0.3
    played = _played_by_viewer(arrival, 24)
    assert [b.seq for b in played] == list(range(24))
    changes = {b.seq: b.lag_change_ms for b in played if b.lag_change_ms}
    assert list(changes) == [5] and 290 <= changes[5] <= 310
    assert all(b.skipped_ms == 0 for b in played)
