"""The watched folder: every .torrent file dropped into it is added once, then moved to ``added/`` or deleted.

``WatchedFolder.scan()`` looks at the folder's top level (it polls — no file-system notifications to miss across
network shares and sleeps). A file is taken only when it is a regular ``*.torrent`` (any case), not hidden or a
temporary name (``.foo.torrent``, ``x.torrent.part``, ``~x.torrent``), and *settled*: the same size and modification
time as at the previous scan — a download or copy still writing it is left alone. A settled file that libtorrent
refuses is given ``YOUNG_FILE_S`` more seconds (a writer may pause); after that it moves to ``failed/`` with a
sentence, so junk is reported once and never retried. After a successful add the file moves to ``added/`` (a
free name is chosen there) or is deleted, as the user chose; if neither works, the file is remembered by path, size
and time so it is not added twice. Each scan returns what happened (``ScanResult``) for the caller to show.

No Qt. ``scan`` touches the disk and the engine: call it from a worker, one scan at a time (a lock guards it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.engine.errors import EngineError, InvalidTorrentError
from app.engine.types import TorrentId

log = logging.getLogger(__name__)

ADDED_DIR = "added"
FAILED_DIR = "failed"
YOUNG_FILE_S = 30.0


@dataclass(frozen=True, slots=True)
class ScanResult:
    added: tuple[tuple[str, TorrentId], ...] = ()  # (file name, torrent id)
    refused: tuple[tuple[str, str], ...] = ()  # (file name, sentence)


def is_candidate(path: Path) -> bool:
    name = path.name
    return name.lower().endswith(".torrent") and not name.startswith((".", "~")) and path.is_file()


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    counter = 1
    while target.exists():
        target = folder / f"{Path(name).stem} ({counter}){Path(name).suffix}"
        counter += 1
    return target


class WatchedFolder:
    """Adds the .torrent files that appear in ``folder`` through ``add`` (e.g. ``engine.add_torrent_file``)."""

    def __init__(
        self,
        folder: Path,
        add: Callable[[Path], TorrentId],
        *,
        delete_after: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = folder
        self._add = add
        self._delete_after = delete_after
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[Path, tuple[int, int]] = {}  # at the previous scan: size, mtime_ns
        self._done: set[tuple[Path, int, int]] = set()  # added, but could not be moved away

    def set_delete_after(self, delete_after: bool) -> None:
        self._delete_after = delete_after

    def scan(self) -> ScanResult:
        with self._lock:
            try:
                entries = sorted(path for path in self.folder.iterdir() if is_candidate(path))
            except OSError as exc:
                return ScanResult(refused=((str(self.folder), f"Cannot read the watched folder: {exc.strerror}."),))
            added: list[tuple[str, TorrentId]] = []
            refused: list[tuple[str, str]] = []
            now_seen: dict[Path, tuple[int, int]] = {}
            for path in entries:
                try:
                    stat = path.stat()
                except OSError:
                    continue
                key = (stat.st_size, stat.st_mtime_ns)
                now_seen[path] = key
                if self._seen.get(path) != key or (path, *key) in self._done:
                    continue  # new or still changing: look again next time
                self._take(path, key, stat.st_mtime, added, refused)
            self._seen = now_seen
            return ScanResult(tuple(added), tuple(refused))

    def _take(
        self,
        path: Path,
        key: tuple[int, int],
        mtime: float,
        added: list[tuple[str, TorrentId]],
        refused: list[tuple[str, str]],
    ) -> None:
        try:
            tid = self._add(path)
        except InvalidTorrentError as exc:
            if self._clock() - mtime < YOUNG_FILE_S:
                return  # perhaps still being written after a pause
            refused.append((path.name, str(exc)))
            self._move(path, FAILED_DIR)
            return
        except EngineError as exc:
            refused.append((path.name, str(exc)))  # the engine could not take it now: tried again next scan
            return
        added.append((path.name, tid))
        if not self._dispose(path):
            self._done.add((path, *key))

    def _dispose(self, path: Path) -> bool:
        if self._delete_after:
            try:
                path.unlink()
                return True
            except OSError as exc:
                log.warning("could not delete %s from the watched folder: %s", path.name, exc)
                return False
        return self._move(path, ADDED_DIR)

    def _move(self, path: Path, subfolder: str) -> bool:
        try:
            target_dir = self.folder / subfolder
            target_dir.mkdir(exist_ok=True)
            path.replace(_free_name(target_dir, path.name))
            return True
        except OSError as exc:
            log.warning("could not move %s to %s/: %s", path.name, subfolder, exc)
            return False
