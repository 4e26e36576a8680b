"""Run blocking work off the UI thread and hand its result or error back to the main thread.

``ThreadPoolTaskRunner.run(work, on_done, on_error)`` puts ``work`` on a ``QThreadPool``; when it returns
(or raises) the runner's relay object — which lives on the main thread — receives a queued signal and calls
``on_done(result)`` or ``on_error(exc)`` there (MusicBrainz Picard's ``run_task``). Store HTTP, keyring,
exports and engine calls that can block go through here, so the UI thread never waits.

``SynchronousTaskRunner`` runs work inline, for unit tests of page logic.

Work runs on pool threads; callbacks always run on the thread that created the runner (the main thread).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")
ErrorCallback = Callable[[BaseException], None]


class TaskRunner(Protocol):
    """Where pages send work that may block."""

    def run(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None: ...


def _log_error(exc: BaseException) -> None:
    log.error("Background task failed: %s", exc, exc_info=exc)


@dataclass(slots=True)
class _Pending:
    on_done: Callable[[Any], None] | None
    on_error: ErrorCallback | None


class _Relay(QObject):
    # (task number, ok, result-or-exception): emitted on a pool thread, delivered queued on the main thread.
    finished = Signal(int, bool, object)


class _Job(QRunnable):
    def __init__(self, number: int, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._number = number
        self._work = work
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as exc:  # handed to on_error on the main thread
            self._relay.finished.emit(self._number, False, exc)
        else:
            self._relay.finished.emit(self._number, True, result)


class ThreadPoolTaskRunner(QObject):
    """Runs work on a private ``QThreadPool``; callbacks come back on the main thread."""

    def __init__(self, max_threads: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._deliver)
        self._numbers = itertools.count(1)
        self._pending: dict[int, _Pending] = {}

    def run(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        number = next(self._numbers)
        self._pending[number] = _Pending(on_done, on_error)
        self._pool.start(_Job(number, work, self._relay))

    @property
    def busy(self) -> bool:
        """True while some work has not been delivered yet."""
        return bool(self._pending)

    def wait_for_done(self, timeout_ms: int = 30_000) -> bool:
        """Block until the pool is idle (shutdown only). Callbacks still arrive through the event loop."""
        return bool(self._pool.waitForDone(timeout_ms))

    def _deliver(self, number: int, ok: bool, payload: object) -> None:
        pending = self._pending.pop(number, None)
        if pending is None:
            return
        try:
            if ok:
                if pending.on_done is not None:
                    pending.on_done(payload)
            else:
                assert isinstance(payload, BaseException)
                (pending.on_error or _log_error)(payload)
        except RuntimeError as exc:
            # The widget that asked was closed meanwhile (its C++ object is gone); nothing to show.
            if "already deleted" not in str(exc):
                raise
            log.debug("Task callback skipped: %s", exc)


class SynchronousTaskRunner:
    """Runs work inline and calls the callbacks at once — for unit tests of page logic."""

    def run(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        try:
            result = work()
        except Exception as exc:
            (on_error or _log_error)(exc)
            return
        if on_done is not None:
            on_done(result)
