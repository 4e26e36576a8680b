"""Blocking work runs off the main thread and comes back on it; engine events arrive as queued signals."""

from __future__ import annotations

import threading

import pytest

from app.engine.events import StatsUpdated, TorrentFinished
from app.ui.bridge import EngineBridge
from app.ui.tasks import SynchronousTaskRunner, ThreadPoolTaskRunner
from tests.ui.fakes import TOTALS, FakeEngine, snapshot


def test_work_runs_on_a_pool_thread_and_the_result_comes_back_on_the_main_thread(qtbot) -> None:
    runner = ThreadPoolTaskRunner()
    main = threading.get_ident()
    seen: dict[str, int] = {}

    def work() -> int:
        seen["work"] = threading.get_ident()
        return 42

    results: list[int] = []

    def done(value: int) -> None:
        seen["done"] = threading.get_ident()
        results.append(value)

    runner.run(work, done)
    qtbot.waitUntil(lambda: results == [42], timeout=5000)
    assert seen["work"] != main
    assert seen["done"] == main


def test_errors_come_back_to_on_error(qtbot) -> None:
    runner = ThreadPoolTaskRunner()
    errors: list[BaseException] = []

    def fail() -> None:
        raise ValueError("The store can't be reached")

    runner.run(fail, None, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert str(errors[0]) == "The store can't be reached"
    assert not runner.busy


def test_synchronous_runner_calls_back_inline() -> None:
    out: list[object] = []
    SynchronousTaskRunner().run(lambda: 1, out.append)
    SynchronousTaskRunner().run(lambda: 1 / 0, None, out.append)
    assert out[0] == 1
    assert isinstance(out[1], ZeroDivisionError)


def test_bridge_delivers_alert_thread_events_on_the_main_thread(qtbot) -> None:
    engine = FakeEngine()
    bridge = EngineBridge(engine)
    main = threading.get_ident()
    finished: list[tuple[str, str, int]] = []
    bridge.torrent_finished.connect(lambda tid, name: finished.append((tid, name, threading.get_ident())))
    engine.publish_from_thread(TorrentFinished("a" * 40, "Album"))
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)
    assert finished == [("a" * 40, "Album", main)]
    bridge.close()


def test_bridge_coalesces_stats_batches_the_ui_has_not_taken_yet(qtbot) -> None:
    engine = FakeEngine()
    bridge = EngineBridge(engine)
    batches: list[tuple[object, ...]] = []
    bridge.stats_updated.connect(lambda snaps, totals: batches.append(snaps))
    # Three batches before the event loop runs: the UI receives one, with the newest snapshot of each torrent.
    engine.publish_from_thread(StatsUpdated((snapshot("a" * 40, progress=0.1),), TOTALS))
    engine.publish_from_thread(StatsUpdated((snapshot("b" * 40),), TOTALS))
    engine.publish_from_thread(StatsUpdated((snapshot("a" * 40, progress=0.2),), TOTALS))
    qtbot.waitUntil(lambda: bool(batches), timeout=5000)
    qtbot.wait(50)
    assert len(batches) == 1
    progress = {s.id: s.progress for s in batches[0]}  # type: ignore[attr-defined]
    assert progress == {"a" * 40: pytest.approx(0.2), "b" * 40: 0.0}
    bridge.close()
