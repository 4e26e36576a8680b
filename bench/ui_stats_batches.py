"""How long does the UI thread stall while the real window takes stats batches of 10,000 changing torrents? The
stats half of bench/ui_lag.py without the swarm, for a machine where 10,000 torrents cannot be added and set moving
in time (ui_lag's add phase gives up after 90 s).

Builds the real desktop window (``app.ui.desktop.Desktop``) over a real, empty engine, with the real Library page
(1,000 bundles tied to the synthetic torrents) wired to the bridge as ``app.ui.assembly`` wires it. A thread stands
in for the engine's alert thread: every second it makes ``--torrents`` new snapshots (every one changed: progress,
rates, some with no peer) and hands them to the bridge as a ``StatsUpdated`` event, as the engine does. The first
batch adds the rows, the next ones update every row and card. A 5 ms QTimer measures the gaps between its ticks (a
stall is a gap minus the interval); every turn that hands out stats is timed with the slots on ``stats_updated``,
and garbage collections are timed by thread (a full collection holds the GIL on whichever thread triggers it).

Run: xvfb-run -a .venv/bin/python bench/ui_stats_batches.py [--torrents 10000] [--batches 12] [--status-filter all]
The last line is one JSON object: max_stall_ms and p99_stall_ms while updating, baseline_max_stall_ms,
slowest_stats_turn_ms, mean_stats_turn_ms, most_snapshots_per_turn, slowest_gc_ms, torrents, status_filter.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.engine import Engine
from app.engine.events import StatsUpdated
from app.engine.types import SessionTotals, TorrentSnapshot, TorrentState
from app.main import settle_heap_for_ui, tune_interpreter_for_ui
from app.settings import SettingsStore
from app.ui.bridge import EngineBridge
from app.ui.desktop import Desktop, DesktopConfig
from app.ui.library.page import LibraryPage
from bench.library_fill import FilledLibrary, make_shelf
from bench.ui_lag import busy_settings

TICK_MS = 5
LIBRARY = 1000


def snapshot(torrent_id: str, number: int, batch: int) -> TorrentSnapshot:
    return TorrentSnapshot(
        id=torrent_id, name=f"item-{number:05d}.bin", state=TorrentState.DOWNLOADING,
        progress=min(1.0, batch * 0.01 + (number % 7) * 0.001), download_rate=8000 + (batch * 13 + number) % 500,
        upload_rate=0 if number % 3 else 100 + batch, num_peers=1 if number % 11 else 0, num_seeds=1,
        eta_seconds=100 - batch, ratio=0.0, total_size=131072, wanted_size=131072, wanted_done=batch * 1000,
        total_uploaded=batch * 10 * (number % 3 == 0), total_downloaded=batch * 1000, save_path="/tmp/bench",
        has_metadata=True, paused=False, error=None, added_at=1.0)


def run(count: int, batches: int, status_filter: str) -> dict[str, Any]:
    tune_interpreter_for_ui()
    app = QApplication.instance() or QApplication([])
    turns: list[tuple[float, float, int]] = []  # (start, ms, snapshots)
    handed = [0]
    flush, on_stats = EngineBridge._flush_stats, Desktop._on_stats

    def timed_flush(bridge: EngineBridge) -> None:
        handed[0] = 0
        started = time.perf_counter()
        flush(bridge)
        turns.append((started, (time.perf_counter() - started) * 1000, handed[0]))

    def counted(desktop: Desktop, snapshots: tuple[TorrentSnapshot, ...], totals: SessionTotals) -> None:
        handed[0] += len(snapshots)
        on_stats(desktop, snapshots, totals)

    EngineBridge._flush_stats = timed_flush  # type: ignore[method-assign]
    Desktop._on_stats = counted  # type: ignore[method-assign]
    collections: list[tuple[float, str]] = []  # (ms, thread)
    gc_started: dict[int, float] = {}

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        ident = threading.get_ident()
        if phase == "start":
            gc_started[ident] = time.perf_counter()
        elif ident in gc_started:
            collections.append(((time.perf_counter() - gc_started.pop(ident)) * 1000,
                                threading.current_thread().name))

    work = Path(tempfile.mkdtemp(prefix="ui-stats-"))
    engine = Engine(busy_settings("127.0.77.5"), work / "state")
    engine.start()
    store = SettingsStore(work / "config")
    desktop = Desktop(engine, store, store.load(),
                      DesktopConfig(work / "config", work / "downloads", busy_settings("127.0.77.5")))
    ids = [f"{number:040x}" for number in range(count)]
    source = FilledLibrary(make_shelf([ids[number % count] for number in range(LIBRARY)]))
    library = LibraryPage(source, desktop.tasks, None, parent=desktop.window)  # type: ignore[arg-type]
    desktop.add_page(library, "Library")
    desktop.bridge.stats_updated.connect(library.apply_stats)
    desktop.start([])
    desktop.window.resize(1400, 900)
    source.fill()
    library.refresh(sync=False)
    if status_filter != "all":
        desktop.window.show_page(desktop.transfers)
        section = desktop.transfers.sidebar.statuses
        section.setCurrentRow(next(r for r in range(section.count())
                                   if section.item(r).text().lower().startswith(status_filter)))
    else:
        desktop.window.show_page(library)
    settle_heap_for_ui()  # as app.main does once the window is built
    gc.callbacks.append(on_gc)

    ticks: list[float] = []
    meter = QTimer()
    meter.setInterval(TICK_MS)
    meter.timeout.connect(lambda: ticks.append(time.perf_counter()))
    marks: dict[str, float] = {}
    finished = threading.Event()

    def feed() -> None:  # the engine's alert thread, as far as the bridge can tell
        for batch in range(batches):
            made = tuple(snapshot(torrent_id, number, batch) for number, torrent_id in enumerate(ids))
            if batch == 2:
                marks["updating"] = time.perf_counter()  # rows added and sorted: every batch now updates rows
            desktop.bridge._on_event(StatsUpdated(made, SessionTotals(0, 0, 0, 0, count, None)))
            time.sleep(1.0)
        finished.set()

    feeder = threading.Thread(target=feed, name="bench-alert-thread", daemon=True)
    QTimer.singleShot(3000, feeder.start)  # the first three seconds: the baseline
    stopper = QTimer()
    stopper.setInterval(100)
    stopper.timeout.connect(lambda: app.quit() if finished.is_set() else None)
    stopper.start()
    started = time.perf_counter()
    meter.start()
    app.exec()
    meter.stop()

    def stalls(start: float, end: float) -> list[float]:
        return [max(0.0, (ticks[i] - ticks[i - 1]) * 1000 - TICK_MS) for i in range(1, len(ticks))
                if start <= ticks[i - 1] < end] or [0.0]

    baseline = stalls(started + 0.5, started + 3.0)
    updating = stalls(marks["updating"], float("inf"))
    p99 = statistics.quantiles(updating, n=100)[98] if len(updating) >= 100 else max(updating)
    measured = [(ms, n) for start, ms, n in turns if start >= marks["updating"]] or [(0.0, 0)]
    slowest = max(measured)
    slowest_gc = max(collections, default=(0.0, ""))
    rows, shown = desktop.transfers.model.rowCount(), desktop.transfers.proxy.rowCount()
    sidebar = desktop.transfers.sidebar.statuses
    print()
    print(f"{'phase':<36}{'ticks':>8}{'max stall ms':>15}{'p99 ms':>9}")
    for name, values in (("baseline: window open, nothing sent", baseline),
                         (f"{count:,} torrents updating each second", updating)):
        quantile = statistics.quantiles(values, n=100)[98] if len(values) >= 100 else max(values)
        print(f"{name:<36}{len(values):>8}{max(values):>15.1f}{quantile:>9.1f}")
    print(f"turns handing out stats: {len(measured)}; slowest {slowest[0]:.1f} ms for {slowest[1]} snapshots; "
          f"mean {statistics.fmean(ms for ms, _ in measured):.1f} ms; most snapshots in one turn: "
          f"{max(n for _, n in measured)}")
    print(f"slowest garbage collection: {slowest_gc[0]:.1f} ms on {slowest_gc[1] or '-'}; "
          f"objects frozen at start: {gc.get_freeze_count()}")
    print(f"rows: {rows}, shown: {shown} (status filter: {status_filter}); sidebar: "
          + ", ".join(sidebar.item(r).text() for r in range(sidebar.count())))
    print("goal: max stall <= 50 ms")
    result: dict[str, Any] = {
        "max_stall_ms": round(max(updating), 1),
        "p99_stall_ms": round(p99, 1),
        "baseline_max_stall_ms": round(max(baseline), 1),
        "slowest_stats_turn_ms": round(slowest[0], 1),
        "mean_stats_turn_ms": round(statistics.fmean(ms for ms, _ in measured), 2),
        "most_snapshots_per_turn": max(n for _, n in measured),
        "slowest_gc_ms": round(slowest_gc[0], 1),
        "torrents": count,
        "status_filter": status_filter,
    }
    print(json.dumps(result), flush=True)
    desktop.close()
    engine.shutdown()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torrents", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--status-filter", default="all", help="pick this status in the sidebar (e.g. downloading)")
    args = parser.parse_args()
    run(args.torrents, args.batches, args.status_filter)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
