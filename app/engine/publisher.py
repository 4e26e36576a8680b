"""Delivers engine events to subscribers.

``publish`` is called on the engine's alert thread; subscribers must return quickly. A failing subscriber is
logged and never stops the others. ``close`` (shutdown) ends delivery: a slow subscriber cannot hold up the
shutdown count-down, which runs on the same thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from app.engine.events import EngineEvent

log = logging.getLogger(__name__)

Subscriber = Callable[[EngineEvent], None]


class Publisher:
    """A thread-safe list of subscribers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self._closed = False

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Add a subscriber; the returned function removes it (calling it twice is harmless)."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def close(self) -> None:
        """Deliver nothing from now on (the engine is shutting down)."""
        with self._lock:
            self._closed = True

    def publish(self, event: EngineEvent) -> None:
        with self._lock:
            if self._closed:
                return
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("engine event subscriber failed on %s", type(event).__name__)
