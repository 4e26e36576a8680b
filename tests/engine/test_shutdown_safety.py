"""Engine shutdown while the alert thread is busy, through real libtorrent, in a child process (a segfault there
fails the test instead of killing pytest). See tests/engine/shutdown_load.py for what the child does; the long
version with CPU burners is bench/shutdown_under_load.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.engine.processes import REPO


def test_shutdown_behind_a_slow_subscriber_saves_everything_from_one_thread_and_never_crashes(tmp_path: Path) -> None:
    torrents = 12
    child = subprocess.run(
        [sys.executable, "-m", "tests.engine.shutdown_load", str(tmp_path), "--torrents", str(torrents),
         "--slow", "1.0", "--linger", "2.0"],
        cwd=REPO, capture_output=True, text=True, timeout=150, check=False,
    )
    assert child.returncode == 0, f"exit {child.returncode} (-11 is a segfault)\n{child.stderr[-3000:]}"
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["handler_failures"] == 0, result["failures"]  # the ArgumentErrors of stale alerts land here
    assert result["threads_that_popped_alerts"] == ["engine-alerts"]  # a second popper invalidates alerts
    assert result["alert_thread_alive_after_shutdown"] is False  # else the session dies under it
    assert result["complete_resume_files"] == torrents  # every torrent's verified pieces saved
