"""Crash safety through the real parts: the headless leecher is killed with SIGKILL at random points of a
download and restarted on the same state dir (the long version is bench/crash_stress.py)."""

from __future__ import annotations

import random
from pathlib import Path

from tests.engine.crash_loop import run_crash_loop, run_magnet_crash


def test_kill_9_at_random_points_never_loses_the_torrent_nor_verified_pieces(tmp_path: Path) -> None:
    rng = random.Random()
    report = run_crash_loop(tmp_path, kills=11, rng=rng, unlimited_finish=True)  # the tail after the last kill fast
    assert report.kills == 11 and report.restarts == 11
    assert report.lost_torrents == 0
    assert report.kills_mid_download >= 10, report
    assert report.refetched_pieces_violations == 0, report.claimed_then_restored
    assert report.claimed_but_corrupt == 0
    # Saves really happened between kills: progress was carried over restarts, not only the final run.
    assert any(claimed > 0 for claimed, _ in report.claimed_then_restored), report.claimed_then_restored
    assert report.byte_identical


def test_magnet_killed_before_its_metadata_arrived_comes_back_and_completes(tmp_path: Path) -> None:
    still_there, identical = run_magnet_crash(tmp_path, random.Random())
    assert still_there
    assert identical
