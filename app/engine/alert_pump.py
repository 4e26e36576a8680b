"""The engine's one alert thread: waits for libtorrent alerts, pops them, and dispatches each by its type.

Runs on its own daemon thread ("engine-alerts"), started by the Engine. ``set_alert_notify`` is not safe from
Python (FIELD-NOTES), so this thread blocks in ``wait_for_alert`` with a short timeout and also runs the
engine's periodic work (``on_tick``) between waits. Every handler is guarded: one failing handler logs and
never stops the pump. Dropped alerts are logged.

This thread is the only one that ever pops alerts (``pump_once`` refuses any other): a pop invalidates the
alerts of the previous one, so a second popper turned the first one's alerts into ``ArgumentError``s and
segfaults (docs/FIELD-NOTES-FOUND.md, "Engine shutdown under load"). The shutdown count-down therefore runs
here too (``finish``), and this thread holds the session's last reference: the session is destroyed on this
thread after its last pop, never under a pop still running.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import libtorrent as lt

log = logging.getLogger(__name__)

AlertHandler = Callable[[Any], None]


class AlertPump:
    """Pops alerts from one session and calls the handler registered for each alert's type."""

    def __init__(
        self,
        session: lt.session,
        handlers: Mapping[type, AlertHandler],
        on_tick: Callable[[], None],
        tick_seconds: float,
    ) -> None:
        self._session: lt.session | None = session
        self._handlers = dict(handlers)
        self._final_work: Callable[[lt.session], None] | None = None
        self._generation = 0  # counts pops: a batch is abandoned when a handler popped again (see pump_once)
        self._on_tick = on_tick
        self._tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="engine-alerts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def finish(self, final_work: Callable[[lt.session], None], wait_s: float) -> bool:
        """Hand the session's last work and its destruction to the alert thread, and wait for the thread to end.

        ``final_work(session)`` runs on the alert thread once the handler in progress has returned (it may call
        ``pump_once``: the shutdown count-down); then the thread drops the session — its destructor aborts it
        there — and ends. True when that happened within ``wait_s``; False leaves the session with the thread,
        which still finishes the work and destroys it when it gets there (never from under it). From the alert
        thread itself (a subscriber shutting down) the work runs at once and the pump ends after the handler.
        """
        if self._final_work is not None or self._stop.is_set():
            return not self._thread.is_alive()
        self._final_work = final_work
        self._stop.set()
        if self.is_alert_thread():
            self._run_final_work()
            return False
        if not self._thread.is_alive():  # never started: the caller's thread is the only one left
            self._run_final_work()
            self._session = None
            return True
        self._thread.join(wait_s)
        if self._thread.is_alive():
            log.error("the alert thread did not end within %.0f s; it destroys the session when it does", wait_s)
            return False
        return True

    def is_alive(self) -> bool:
        """Whether the thread still runs (and so may still hold the session)."""
        return self._thread.is_alive()

    def is_alert_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def pump_once(self, wait_ms: int) -> None:
        """Wait up to ``wait_ms`` for alerts and dispatch what arrived (also shutdown's count-down, on this thread).

        Handlers get each alert only while it is valid: anything they keep must be copied out (ids, bytes, params).
        """
        if self._thread.ident is not None and not self.is_alert_thread():
            raise RuntimeError("only the engine's alert thread may take the session's alerts (a programming error)")
        session = self._session
        if session is None or session.wait_for_alert(wait_ms) is None:
            return
        alerts = session.pop_alerts()
        self._generation += 1
        generation = self._generation
        for alert in alerts:
            if self._generation != generation:
                break  # a handler popped again (shutdown from a subscriber): the rest of this batch is invalid
            self._dispatch(alert)

    def _run(self) -> None:
        try:
            self._loop()
            if self._final_work is not None:
                self._run_final_work()
        finally:
            self._session = None  # the last reference: the session's destructor runs here, after the last pop

    def _run_final_work(self) -> None:
        work, session = self._final_work, self._session
        if work is None or session is None:
            return
        self._final_work = None
        try:
            work(session)
        except Exception:
            log.exception("the engine's final work failed")

    def _loop(self) -> None:
        next_tick = time.monotonic()
        while not self._stop.is_set():
            wait_ms = max(1, min(100, int((next_tick - time.monotonic()) * 1000)))
            try:
                self.pump_once(wait_ms)
            except Exception:  # the pump must survive anything a binding throws
                log.exception("alert pump failed while popping alerts")
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + self._tick_seconds
                try:
                    self._on_tick()
                except Exception:
                    log.exception("engine periodic work failed")

    def _dispatch(self, alert: Any) -> None:
        if isinstance(alert, lt.alerts_dropped_alert):
            log.warning("libtorrent dropped alerts (queue full): %s", alert.message())
            return
        handler = self._handlers.get(type(alert))
        if handler is None:
            return
        try:
            handler(alert)
        except Exception:
            log.exception("handler for %s failed", type(alert).__name__)
