"""The engine → Qt bridge: engine events, delivered on the engine's alert thread, become queued Qt signals.

``EngineBridge`` subscribes to an engine's events. Its callback runs on the alert thread and does nothing
but emit a signal; because the bridge object lives on the main thread, Qt queues every emission and the
slots run on the main thread. Stats batches are coalesced: if the UI has not taken the previous batch yet,
the new one is merged into it (latest snapshot per torrent wins), so a busy UI never builds a backlog. A big batch
is handed out ``STATS_CHUNK`` snapshots per turn of the event loop (each ``stats_updated`` carries the newest
totals): 10,000 torrents changing at once cost ten short turns instead of one long stall (``bench/ui_lag.py``).
Every snapshot is delivered; one that is renewed before its turn is delivered once, newest.

Built on the main thread; ``_on_event`` runs on the engine's alert thread.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.engine.events import (
    EngineEvent,
    StatsUpdated,
    TorrentFinished,
    TorrentRemoved,
)
from app.engine.types import SessionTotals, TorrentId, TorrentSnapshot

STATS_CHUNK = 1000  # snapshots handed to the UI per turn of the event loop

class EventSource(Protocol):
    """The part of the engine the bridge needs."""

    def subscribe(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]: ...


class EngineBridge(QObject):
    """Re-emits engine events as Qt signals on the main thread."""

    torrent_finished = Signal(str, str)  # id, name
    torrent_removed = Signal(str)  # id
    # tuple[TorrentSnapshot, ...], SessionTotals — only torrents that changed since the last batch
    stats_updated = Signal(object, object)

    _stats_ready = Signal()

    def __init__(self, engine: EventSource, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: dict[TorrentId, TorrentSnapshot] = {}
        self._pending_totals: SessionTotals | None = None
        # Queued even when emitted on the main thread: the rest of a big batch waits for the next turn.
        self._stats_ready.connect(self._flush_stats, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe: Callable[[], None] | None = engine.subscribe(self._on_event)

    def close(self) -> None:
        """Stop listening to the engine (before it shuts down)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_event(self, event: EngineEvent) -> None:
        """Alert thread: emit only; never touch widgets here."""
        match event:
            case StatsUpdated(snapshots=snapshots, totals=totals):
                with self._lock:
                    first = self._pending_totals is None
                    for snap in snapshots:
                        self._pending[snap.id] = snap
                    self._pending_totals = totals
                if first:
                    self._stats_ready.emit()
            case TorrentFinished(torrent_id=tid, name=name):
                self.torrent_finished.emit(tid, name)
            case TorrentRemoved(torrent_id=tid):
                self.torrent_removed.emit(tid)
            case _:
                pass

    @Slot()
    def _flush_stats(self) -> None:
        """Hand out the oldest ``STATS_CHUNK`` pending snapshots; the rest on the next turn."""
        with self._lock:
            pending = self._pending
            if len(pending) <= STATS_CHUNK:
                snapshots = tuple(pending.values())
                self._pending = {}
            else:
                snapshots = tuple(pending.pop(tid) for tid in list(itertools.islice(pending, STATS_CHUNK)))
            totals = self._pending_totals
            more = bool(self._pending)
            if not more:
                self._pending_totals = None  # the alert thread signals the next batch itself
        if more:
            self._stats_ready.emit()
        if totals is not None:
            self.stats_updated.emit(snapshots, totals)
