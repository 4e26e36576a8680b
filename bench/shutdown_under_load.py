"""Engine shutdown under load: the long version of tests/engine/test_shutdown_safety.py.

Runs tests/engine/shutdown_load.py (one child process per run: N torrents checked, periodic saves off, the alert
thread held slow — by default 6 s on an event ahead of save_resume_data alerts of its batch — CPU burners, and
shutdown while the alert thread is there) many times
and counts, per code tree: crashes (exit code not 0, -11 is a segfault), runs with handler failures
(``ArgumentError``s of stale alerts), runs where a second thread popped alerts, runs where the alert thread
outlived ``shutdown`` (the session could be destroyed under it), and torrents whose resume file missed the
verified pieces. ``--tree`` adds another checkout (e.g. ``git archive <commit> | tar -x -C /tmp/old``) measured
in the same run, runs interleaved. The machine is shared: repeat and report the spread. Last line: JSON.

Usage: .venv/bin/python bench/shutdown_under_load.py [--runs 6] [--torrents 24] [--burners 4]
       [--scenario stale-batch|every-event] [--tree /tmp/old]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Tally:
    runs: int = 0
    crashes: int = 0
    runs_with_handler_failures: int = 0
    argument_errors: int = 0
    runs_with_two_poppers: int = 0
    runs_alert_thread_outlived_shutdown: int = 0
    torrents_missing_resume: int = 0
    slowest_shutdown_s: float = 0.0


def one_run(tree: Path, options: argparse.Namespace, tally: Tally) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bc-shutdown-"))
    args = [sys.executable, "-m", "tests.engine.shutdown_load", str(workdir), "--torrents", str(options.torrents),
            "--burners", str(options.burners), "--slow", str(options.slow), "--linger", str(options.linger),
            "--scenario", options.scenario]
    try:
        child = subprocess.run(args, cwd=tree, capture_output=True, text=True, timeout=300, check=False)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    tally.runs += 1
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        tally.crashes += 1
        print(f"  {tree}: exit {child.returncode}: {child.stderr.strip().splitlines()[-1:]}", flush=True)
        return
    result = json.loads(lines[-1])
    tally.runs_with_handler_failures += result["handler_failures"] > 0
    tally.argument_errors += result["argument_errors"]
    tally.runs_with_two_poppers += len(result["threads_that_popped_alerts"]) > 1
    tally.runs_alert_thread_outlived_shutdown += bool(result["alert_thread_alive_after_shutdown"])
    tally.torrents_missing_resume += result["torrents"] - result["complete_resume_files"]
    tally.slowest_shutdown_s = max(tally.slowest_shutdown_s, result["shutdown_s"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--torrents", type=int, default=24)
    parser.add_argument("--burners", type=int, default=4)
    parser.add_argument("--slow", type=float, default=6.0)
    parser.add_argument("--scenario", choices=["every-event", "stale-batch"], default="stale-batch")
    parser.add_argument("--linger", type=float, default=3.0)
    parser.add_argument("--tree", type=Path, action="append", default=[])
    options = parser.parse_args()
    trees = [REPO, *options.tree]
    tallies = {str(tree): Tally() for tree in trees}
    for _ in range(options.runs):
        for tree in trees:
            one_run(tree, options, tallies[str(tree)])
    columns = list(asdict(Tally()))
    print(f"{'tree':<40}" + "".join(f"{c[:14]:>16}" for c in columns))
    for name, tally in tallies.items():
        print(f"{name[-40:]:<40}" + "".join(f"{v:>16}" for v in asdict(tally).values()))
    print(json.dumps({name: asdict(tally) for name, tally in tallies.items()}))


if __name__ == "__main__":
    main()
