"""Bundle covers, fetched in the background and cached in memory and on disk.

``CoverCache.request(url)`` answers at once from memory; otherwise it reads the disk cache or fetches the
image on the task runner and emits ``cover_ready(url, pixmap)`` when it arrives. The disk cache is a folder
of files named by the SHA-256 of the URL's path (the embedded store's port changes every launch; the path
does not).

Main thread; fetching and disk reads run on the task runner.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QPixmap

from app.ui.tasks import TaskRunner


def _cache_name(url: str) -> str:
    parts = urlsplit(url)
    return hashlib.sha256(f"{parts.path}?{parts.query}".encode()).hexdigest()[:32] + ".img"


class CoverCache(QObject):
    cover_ready = Signal(str, QPixmap)

    def __init__(
        self, fetch: Callable[[str], bytes], tasks: TaskRunner, folder: Path, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._tasks = tasks
        self._folder = folder
        self._pixmaps: dict[str, QPixmap] = {}
        self._in_flight: set[str] = set()

    def cached(self, url: str) -> QPixmap | None:
        return self._pixmaps.get(url)

    def request(self, url: str) -> QPixmap | None:
        """The cover if already in memory; otherwise None now and ``cover_ready`` later."""
        if not url:
            return None
        if url in self._pixmaps:
            return self._pixmaps[url]
        if url not in self._in_flight:
            self._in_flight.add(url)
            path = self._folder / _cache_name(url)
            self._tasks.run(lambda: self._load(url, path), lambda data: self._on_loaded(url, data),
                            lambda _exc: self._in_flight.discard(url))
        return None

    def _load(self, url: str, path: Path) -> bytes:
        """Worker: the disk copy, or a fresh download written to disk."""
        try:
            return path.read_bytes()
        except OSError:
            pass
        data = self._fetch(url)
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        except OSError:
            pass  # a cache that cannot be written is only slower next time
        return data

    def _on_loaded(self, url: str, data: bytes) -> None:
        self._in_flight.discard(url)
        pixmap = QPixmap()
        if pixmap.loadFromData(data):
            self._pixmaps[url] = pixmap
            self.cover_ready.emit(url, pixmap)
