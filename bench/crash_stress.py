"""Crash stress: the long version of tests/integration/test_engine_crash.py.

Kills a headless leecher with SIGKILL at random points of a download, many times (default 60, in rounds of
20 kills per download), restarting it on the same state dir each time. Counts lost torrents, restarts that
reported fewer verified bytes than the last saved resume file claimed (pieces fetched again), claimed pieces
whose bytes on disk were wrong at the kill, and whether each download ended byte-identical. Last line: JSON.

Usage: .venv/bin/python bench/crash_stress.py [--kills 60] [--per-round 20] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.engine.crash_loop import CrashReport, run_crash_loop, run_magnet_crash


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=60)
    parser.add_argument("--per-round", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    total = CrashReport()
    rounds = 0
    identical_rounds = 0
    magnets_ok = 0
    left = options.kills
    while left > 0:
        kills = min(options.per_round, left)
        workdir = Path(tempfile.mkdtemp(prefix="bc-crash-"))
        try:
            # A larger file than the test's, so every kill of the round lands mid-download.
            report = run_crash_loop(workdir, kills, rng, file_size=16 * 1024 * 1024, upload_limit=400_000,
                                    pause_range=(0.2, 2.5))
            magnet_dir = workdir / "magnet"
            magnet_dir.mkdir()
            still_there, identical = run_magnet_crash(magnet_dir, rng)
            magnets_ok += int(still_there and identical)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        rounds += 1
        identical_rounds += int(report.byte_identical)
        total.kills += report.kills
        total.kills_mid_download += report.kills_mid_download
        total.lost_torrents += report.lost_torrents
        total.refetched_pieces_violations += report.refetched_pieces_violations
        total.claimed_but_corrupt += report.claimed_but_corrupt
        total.seconds += report.seconds
        left -= kills
        print(f"round {rounds}: {report.kills} kills ({report.kills_mid_download} mid-download), "
              f"lost {report.lost_torrents}, refetched {report.refetched_pieces_violations}, "
              f"corrupt claims {report.claimed_but_corrupt}, identical {report.byte_identical}, "
              f"magnet ok {still_there and identical}, {report.seconds:.0f} s", flush=True)
    print("crash stress: kill -9 of a headless leecher at random points, restart on the same state dir")
    rows = [
        ("kills (mid-download)", f"{total.kills} ({total.kills_mid_download})"),
        ("torrents lost", str(total.lost_torrents)),
        ("restarts that refetched verified pieces", str(total.refetched_pieces_violations)),
        ("claimed-but-corrupt pieces", str(total.claimed_but_corrupt)),
        ("downloads byte-identical", f"{identical_rounds}/{rounds}"),
        ("magnets killed before metadata, recovered", f"{magnets_ok}/{rounds}"),
        ("time", f"{total.seconds:.0f} s"),
    ]
    for name, value in rows:
        print(f"  {name:<44} {value}")
    print(json.dumps({
        "kills": total.kills, "kills_mid_download": total.kills_mid_download, "lost": total.lost_torrents,
        "refetched_violations": total.refetched_pieces_violations, "claimed_but_corrupt": total.claimed_but_corrupt,
        "identical_rounds": identical_rounds, "rounds": rounds, "magnets_ok": magnets_ok,
    }))


if __name__ == "__main__":
    main()
