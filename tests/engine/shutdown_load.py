"""A child process that shuts an engine down while its alert thread is busy — the shutdown-safety harness.

Run as ``python -m tests.engine.shutdown_load WORKDIR [--torrents N] [--slow S] [--burners B]``; used by
tests/engine/test_shutdown_safety.py (one child per run, so a segfault fails the test instead of killing pytest)
and bench/shutdown_under_load.py (many runs, with CPU burners). The child:

1. adds N small torrents whose data is already on disk and waits until every one has been checked;
2. turns off the engine's periodic resume saves, so only the shutdown count-down can record the verified pieces;
3. lets a subscriber block for S seconds (what a loaded machine does to a slow subscriber: the colleague saw the
   alert thread miss the 5 s join) and calls ``Engine.shutdown`` while the alert thread is inside it;
4. prints one JSON line: the count-down's missing answers, the handler failures logged (the ``ArgumentError``s),
   and how many resume files on disk claim every piece. A segfault shows as the child's exit code (-11).
"""

from __future__ import annotations

import argparse
import dataclasses
import faulthandler
import json
import logging
import multiprocessing
import threading
import time
from pathlib import Path

import libtorrent as lt

import app.engine.engine as engine_module
from app.engine import Engine, EngineSettings, TorrentState
from app.engine.alert_pump import AlertPump
from app.engine.events import EngineEvent, TorrentAdded
from tests.engine.helpers import make_torrent, wait_until, write_payload
from tests.support.net import loopback_address

PIECE = 16384
FILE_SIZE = 6 * PIECE


class _FailureCounter(logging.Handler):
    """Counts the log records of failed alert handlers and pump rounds (the ArgumentErrors land here)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.failures: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.failures.append(f"{type(record.exc_info[1]).__name__}: {record.getMessage()}")


def _burn(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        sum(i * i for i in range(10_000))


def _complete_resume_files(state: Path, pieces: int) -> int:
    count = 0
    for path in (state / "resume").glob("*.resume"):
        params = lt.read_resume_data(path.read_bytes())
        if sum(1 for have in params.have_pieces if have) == pieces:
            count += 1
    return count


def run(workdir: Path, torrents: int, slow_s: float, burners: int, linger_s: float, scenario: str) -> dict[str, object]:
    counter = _FailureCounter()
    popping_threads: set[str] = set()
    original_pump_once = AlertPump.pump_once

    def recorded_pump_once(pump: AlertPump, wait_ms: int) -> None:
        popping_threads.add(threading.current_thread().name)
        original_pump_once(pump, wait_ms)

    AlertPump.pump_once = recorded_pump_once  # type: ignore[method-assign]
    logging.getLogger("app.engine").addHandler(counter)
    data = workdir / "data"
    sources = []
    for index in range(torrents):
        write_payload(data / f"t{index}", {"part.bin": FILE_SIZE}, seed=index + 1)
        sources.append(make_torrent(data / f"t{index}", PIECE, "v1"))
    engine_module.SAVE_CHECK_SECONDS = 1e9  # only the shutdown count-down saves the checked pieces
    state = workdir / "state"
    settings = dataclasses.replace(EngineSettings.for_loopback_tests(loopback_address()), active_seeds=torrents)
    engine = Engine(settings, state)
    engine.start()
    hold, release, held = threading.Event(), threading.Event(), threading.Event()
    blocking, inside = threading.Event(), threading.Event()

    def slow_subscriber(event: EngineEvent) -> None:
        if hold.is_set() and not release.is_set():
            held.set()
            release.wait(30)  # keeps the alert thread here while alerts pile up for its next batch
        elif blocking.is_set() and (scenario == "every-event" or isinstance(event, TorrentAdded)):
            inside.set()
            time.sleep(slow_s)

    engine.subscribe(slow_subscriber)
    write_payload(data / "late", {"part.bin": FILE_SIZE}, seed=999)
    late = make_torrent(data / "late", PIECE, "v1")
    ids = [engine.add_torrent_bytes(source, data) for source in sources]
    wait_until(lambda: all(engine.snapshot(t).state is TorrentState.SEEDING for t in ids), 60, "every torrent checked")
    procs = [multiprocessing.Process(target=_burn, args=(time.monotonic() + slow_s + 30,)) for _ in range(burners)]
    for proc in procs:
        proc.start()
    if scenario == "stale-batch":
        # The colleague's symptom: the alert thread is slow inside a batch that still holds save_resume_data
        # alerts when shutdown starts. Held in a subscriber, it gets [add_torrent, save_resume_data x N] as its
        # next batch and is slow (slow_s) on the add's event, before the save alerts.
        hold.set()
        held.wait(30)
        engine.add_torrent_bytes(late, data)
        for tid in ids:
            engine.set_torrent_limits(tid, upload=100_000 + len(tid))  # each answers with save_resume_data
        time.sleep(0.5)  # the disk thread answers the saves into the alert queue meanwhile
        blocking.set()
        release.set()
    else:
        blocking.set()
        for tid in ids:  # every torrent changes state and answers a save: a burst of events and save alerts
            engine.set_torrent_limits(tid, upload=100_000 + len(tid))
        engine.pause_all()
    inside.wait(30)
    in_session = len(engine.torrent_ids())
    started = time.monotonic()
    engine.shutdown()
    shutdown_s = time.monotonic() - started
    alert_thread_alive = any(t.name == "engine-alerts" for t in threading.enumerate())
    time.sleep(linger_s)  # the app goes on (closing its window) while a stray alert thread would still run
    for proc in procs:
        proc.terminate()
        proc.join()
    pieces = FILE_SIZE // PIECE
    return {
        "torrents": in_session,
        "complete_resume_files": _complete_resume_files(state, pieces),
        "handler_failures": len(counter.failures),
        "argument_errors": sum(1 for f in counter.failures if f.startswith("ArgumentError")),
        "failures": counter.failures[:5],
        "shutdown_s": round(shutdown_s, 2),
        "alert_thread_alive_after_shutdown": alert_thread_alive,
        "threads_that_popped_alerts": sorted(popping_threads),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--torrents", type=int, default=40)
    parser.add_argument("--slow", type=float, default=0.3)
    parser.add_argument("--burners", type=int, default=0)
    parser.add_argument("--linger", type=float, default=3.0)
    parser.add_argument("--scenario", choices=["every-event", "stale-batch"], default="every-event")
    options = parser.parse_args()
    faulthandler.enable()  # a segfault prints the Python stacks of every thread to stderr
    options.workdir.mkdir(parents=True, exist_ok=True)
    result = run(options.workdir, options.torrents, options.slow, options.burners, options.linger, options.scenario)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
