"""Bundle covers, fetched in the background and cached in memory and on disk.

``CoverCache.request(url)`` answers at once from memory; otherwise it reads the disk cache or fetches the
image on the task runner and emits ``cover_ready(url, pixmap)`` when it arrives. The image is decoded (and scaled
to at most ``MAX_COVER`` pixels high) on the worker as a ``QImage``; the main thread only turns it into a pixmap, so
a Library of 1,000 covers never decodes PNGs on the UI thread. The disk cache is a folder of files named by the
SHA-256 of the URL's path (the embedded store's port changes every launch; the path does not), written atomically.
Shared by the Store and Library sections.

Main thread; fetching, disk reads and decoding run on the task runner.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap

from app.atomic_write import write_atomically
from app.ui.tasks import TaskRunner

MAX_COVER = 240  # px high: the largest cover on screen (the bundle page's); 1,000 covers then hold ~170 MB


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

    def _load(self, url: str, path: Path) -> QImage:
        """Worker: the disk copy, or a fresh download written to disk; decoded and scaled here, off the UI."""
        try:
            data = path.read_bytes()
        except OSError:
            data = self._fetch(url)
            with contextlib.suppress(OSError):  # a cache that cannot be written is only slower next time
                write_atomically(path, data)
        image = QImage()
        image.loadFromData(data)
        if image.height() > MAX_COVER:
            image = image.scaledToHeight(MAX_COVER, Qt.TransformationMode.SmoothTransformation)
        return image

    def _on_loaded(self, url: str, image: QImage) -> None:
        self._in_flight.discard(url)
        if not image.isNull():
            pixmap = QPixmap.fromImage(image)
            self._pixmaps[url] = pixmap
            self.cover_ready.emit(url, pixmap)
