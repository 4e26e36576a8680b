"""The test suite's own guards (a pytest plugin, loaded by tests/conftest.py): nothing may hang silently.

- **No modal dialog outlives its test.** After each test that ran with a Qt application, any visible modal window
  (a dialog opened with ``open()`` or ``exec()``, a ``QMessageBox``) is closed and the test fails with its title:
  a dialog nobody closes nests an event loop that ``qtbot.waitUntil`` cannot leave.
- **Hangs fail.** pyproject runs pytest-timeout with the ``thread`` method (the ``signal`` method cannot interrupt Qt's
  C++ event loop). Its timer is set here: a test past its timeout is reported by name as failed, with its captured
  output and the stack of every thread, then the run ends with a closing count ("timeout: N passed, M failed").
- **The demo media are generated before the first test, not inside one.** On a machine that never ran the suite the
  demo catalog's media take a minute or more to generate; done at collection time (once, for any run that selects a
  test using the demo store), that minute does not count against a single test's timeout. Bounded on its own: a build
  that takes longer than ``DEMO_MEDIA_LIMIT_S`` dumps every stack and ends the run.

Main thread (pytest's).
"""

from __future__ import annotations

import faulthandler
import gc
import os
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from _pytest._io import TerminalWriter

DEMO_MEDIA_LIMIT_S = 900
_USES_DEMO = {"demo_media_cache", "build_demo_store", "ensure_demo_catalog"}
_DEMO_FIXTURES = {"demo_store_url", "store_window"}


def _open_modal_windows() -> list[object]:
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is None:
        return []
    app = widgets.QApplication.instance()
    if app is None:
        return []
    return [w for w in widgets.QApplication.topLevelWidgets() if w.isVisible() and w.isModal()]


@pytest.fixture(autouse=True)
def no_modal_dialog_left_open() -> Iterator[None]:
    yield
    left = _open_modal_windows()
    if not left:
        return
    titles = [f"{type(w).__name__} {w.windowTitle()!r}" for w in left]  # type: ignore[attr-defined]
    for window in left:
        window.close()  # type: ignore[attr-defined]
    pytest.fail(f"the test left modal dialog(s) open: {', '.join(titles)}", pytrace=False)


@pytest.fixture(autouse=True)
def qt_garbage_collected_on_the_main_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """A Qt test's garbage is collected here, on the main thread, once its fixtures are torn down. Qt objects a test
    leaves in reference cycles (an unparented QObject whose timer calls one of its own methods) otherwise wait for a
    garbage collection that any thread may trigger — an engine's alert thread, a worker — and a QObject destroyed
    there leaves its timers to fire into freed memory on the main thread (SIGSEGV in QTimerInfoList::activateTimers
    → QApplicationPrivate::notify_helper, seen once i12-engine's alert-thread work met i12-transfers' tests)."""
    yield
    if "qtbot" in request.fixturenames or "qapp" in request.fixturenames:
        gc.collect()


def _uses_demo_media(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    if module is not None and _USES_DEMO & set(vars(module)):
        return True
    return bool(_DEMO_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly or not any(_uses_demo_media(item) for item in session.items):
        return
    from storefront.demo.build import ensure_media
    from tests.support.demo import demo_media_cache

    cache = demo_media_cache()
    started = time.monotonic()
    faulthandler.dump_traceback_later(DEMO_MEDIA_LIMIT_S, exit=True)
    try:
        _media, cached = ensure_media(cache)
    finally:
        faulthandler.cancel_dump_traceback_later()
    if not cached:
        line = f"demo media generated into {cache} in {time.monotonic() - started:.0f} s"
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and not hasattr(session.config, "workerinput"):
            reporter.write_line(line)
        else:  # a pytest-xdist worker: its reporter is silent, its stderr goes to the run's terminal
            print(line, file=sys.__stderr__, flush=True)


_counts = {"passed": 0, "failed": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        _counts["passed"] += 1
    elif report.failed:
        _counts["failed"] += 1


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    """pytest-timeout's ``thread`` method, reporting the test by name; the other methods stay pytest-timeout's."""
    if settings.method != "thread":
        return None
    timer = threading.Timer(settings.timeout, _report_timeout_and_exit, (item, float(settings.timeout)))
    timer.name = f"timeout of {item.nodeid}"
    timer.daemon = True

    def cancel() -> None:
        timer.cancel()
        timer.join()

    item.cancel_timeout = cancel  # type: ignore[attr-defined]  # pytest-timeout's cancel hook calls it
    timer.start()
    return True


def _report_timeout_and_exit(item: pytest.Item, timeout: float) -> None:
    # A pytest-xdist worker's terminal writer reports to nobody once the worker dies; its stderr is the run's terminal.
    in_worker = hasattr(item.config, "workerinput")
    terminal = TerminalWriter(sys.__stderr__) if in_worker else item.config.get_terminal_writer()
    try:
        capman = item.config.pluginmanager.getplugin("capturemanager")
        captured = ("", "")
        if capman is not None:
            capman.suspend_global_capture(item)
            captured = capman.read_global_capture()
        terminal.line()
        terminal.sep("+", f"Timeout: {item.nodeid} did not finish within {timeout:g} s", red=True)
        for title, text in zip(("Captured stdout", "Captured stderr"), captured, strict=True):
            if text:
                terminal.sep("~", title)
                terminal.write(text)
        current = threading.current_thread().ident
        names = {t.ident: t.name for t in threading.enumerate()}
        for ident, frame in sys._current_frames().items():
            if ident != current:
                terminal.sep("~", f"Stack of {names.get(ident, '<unknown>')} ({ident})")
                terminal.write("".join(traceback.format_stack(frame)))
        terminal.sep("+", "Timeout")
        terminal.line(f"FAILED {item.nodeid} - Timeout after {timeout:g} s")
        terminal.line(f"timeout: {_counts['passed']} passed, {_counts['failed'] + 1} failed")
    except Exception:
        traceback.print_exc()
    finally:
        terminal.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
