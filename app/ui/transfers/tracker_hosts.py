"""Which tracker hosts each torrent announces to, for the sidebar's Trackers section.

``engine.trackers(tid)`` asks libtorrent and blocks briefly, so the hosts are looked up on a worker, at most
``CHUNK`` torrents per task, one task at a time, once per torrent (a restore of 10,000 torrents becomes 50 small
tasks, and the UI thread only merges their answers). A torrent the engine no longer knows is skipped.

Main thread, with the look-ups on the task runner's pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Signal

from app.engine.errors import EngineError
from app.engine.types import TorrentId, TrackerEntry
from app.ui.tasks import TaskRunner

CHUNK = 200


def tracker_host(url: str) -> str:
    """The host name of a tracker URL ("tracker.example.org"), or the URL itself when it has none."""
    host = urlsplit(url).hostname
    return host or url


class TrackerHostLookup(QObject):
    """Looks up tracker hosts of new torrents off the UI thread; ``hosts_found`` delivers each answer."""

    hosts_found = Signal(object)  # dict[TorrentId, tuple[str, ...]]

    def __init__(
        self, trackers: Callable[[TorrentId], list[TrackerEntry]], tasks: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._trackers = trackers
        self._tasks = tasks
        self._queue: dict[TorrentId, None] = {}
        self._asked: set[TorrentId] = set()
        self._running = False

    def want(self, torrent_ids: Iterable[TorrentId]) -> None:
        """Look these torrents up (once each)."""
        for tid in torrent_ids:
            if tid not in self._asked:
                self._asked.add(tid)
                self._queue[tid] = None
        self._next()

    def forget(self, torrent_id: TorrentId) -> None:
        self._asked.discard(torrent_id)
        self._queue.pop(torrent_id, None)

    def _next(self) -> None:
        if self._running or not self._queue:
            return
        chunk = list(self._queue)[:CHUNK]
        for tid in chunk:
            del self._queue[tid]
        self._running = True
        self._tasks.run(lambda: self._look_up(chunk), self._on_found, self._on_failed)

    def _look_up(self, chunk: list[TorrentId]) -> dict[TorrentId, tuple[str, ...]]:
        found: dict[TorrentId, tuple[str, ...]] = {}
        for tid in chunk:
            try:
                entries = self._trackers(tid)
            except EngineError:
                continue
            found[tid] = tuple(dict.fromkeys(tracker_host(entry.url) for entry in entries))
        return found

    def _on_found(self, found: dict[TorrentId, tuple[str, ...]]) -> None:
        self._running = False
        if found:
            self.hosts_found.emit(found)
        self._next()

    def _on_failed(self, _exc: BaseException) -> None:
        self._running = False
        self._next()
