"""Engine shutdown while the alert thread is busy, through real libtorrent, in a child process (a segfault there
fails the test instead of killing pytest). See tests/engine/shutdown_load.py for what the child does; the long
version with CPU burners is bench/shutdown_under_load.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.processes import REPO


def _shut_down_in_a_child(workdir: Path, *args: str) -> dict[str, object]:
    child = subprocess.run(
        [sys.executable, "-m", "tests.engine.shutdown_load", str(workdir), "--torrents", "12", *args],
        cwd=REPO, capture_output=True, text=True, timeout=150, check=False,
    )
    assert child.returncode == 0, f"exit {child.returncode} (-11 is a segfault)\n{child.stderr[-3000:]}"
    result: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "scenario",
    [
        # The alert thread is slow (6 s, longer than the old 5 s join) on an event ahead of save_resume_data
        # alerts of its batch: before the fix the shutdown thread popped meanwhile and the stale alerts crashed.
        ("--scenario", "stale-batch", "--slow", "6", "--linger", "2"),
        # A subscriber slow on every event (1 s each) during a burst of pauses and saves.
        ("--scenario", "every-event", "--slow", "1", "--linger", "2"),
    ],
    ids=["slow-before-save-alerts", "slow-on-every-event"],
)
def test_shutdown_behind_a_slow_alert_thread_saves_everything_from_one_thread_and_never_crashes(
    tmp_path: Path, scenario: tuple[str, ...]
) -> None:
    result = _shut_down_in_a_child(tmp_path, *scenario)
    assert result["handler_failures"] == 0, result["failures"]  # the ArgumentErrors of stale alerts land here
    assert result["threads_that_popped_alerts"] == ["engine-alerts"]  # a second popper invalidates alerts
    assert result["alert_thread_alive_after_shutdown"] is False  # else the session dies under it
    assert result["complete_resume_files"] == result["torrents"]  # every torrent's verified pieces saved
