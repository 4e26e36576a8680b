"""The engine's one alert thread: waits for libtorrent alerts, pops them, and dispatches each by its type.

Runs on its own daemon thread ("engine-alerts"), started by the Engine. ``set_alert_notify`` is not safe from
Python (FIELD-NOTES), so this thread blocks in ``wait_for_alert`` with a short timeout and also runs the
engine's periodic work (``on_tick``) between waits. Every handler is guarded: one failing handler logs and
never stops the pump. Dropped alerts are logged.
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
        self._session = session
        self._handlers = dict(handlers)
        self._on_tick = on_tick
        self._tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="engine-alerts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to finish and wait for it (never from the alert thread itself)."""
        self._stop.set()
        if threading.current_thread() is not self._thread and self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the alert thread did not stop within %.0f s (a subscriber blocking?)", timeout)

    def is_alert_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def pump_once(self, wait_ms: int) -> None:
        """Wait up to ``wait_ms`` for alerts and dispatch what arrived (also used by shutdown's count-down)."""
        if self._session.wait_for_alert(wait_ms) is not None:
            for alert in self._session.pop_alerts():
                self._dispatch(alert)

    def _run(self) -> None:
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
