"""One atomic resume file per torrent in the state dir, and the session parameters file beside them.

Called from the engine's alert thread (saves) and from the thread that starts the engine (loading). Writes
go temp file → fsync → rename → fsync(dir), so a kill -9 or a power cut leaves either the old file or the
new one, never half of one. A resume file that cannot be read is set aside (renamed ``*.corrupt``) with a
log line; the others still load.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libtorrent as lt

log = logging.getLogger(__name__)

_SUFFIX = ".resume"
_LIMITS: Any = {
    "max_buffer_size": 64_000_000,
    "max_decode_depth": 100,
    "max_decode_tokens": 10_000_000,
    "max_pieces": 0x200000,
}


@dataclass(frozen=True, slots=True)
class LoadedResume:
    torrent_id: str
    params: lt.add_torrent_params
    verified_pieces: int


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash at any moment leaves the old or the new content."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    temp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def count_pieces(params: lt.add_torrent_params) -> int:
    """How many pieces a resume record claims as verified."""
    return sum(1 for have in params.have_pieces if have)


def forget_progress(params: lt.add_torrent_params) -> None:
    """Claim no piece, so libtorrent checks every piece on disk (after a disk error, see disk_error_reload).

    The merkle trees stay: measured, a hybrid torrent added with verified trees over holes rechecks cleanly.
    """
    params.have_pieces = []
    params.verified_pieces = []
    params.unfinished_pieces = {}
    params.flags = int(params.flags) & ~(int(lt.torrent_flags.seed_mode) | int(lt.torrent_flags.upload_mode))


class ResumeStore:
    """The folder of resume files: save, delete, load all (setting corrupt ones aside)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Saves come from the alert thread and from verbs on callers' threads; one at a time keeps a
        # patch (read, change, write) from interleaving with another save of the same torrent.
        self._lock = threading.Lock()

    def path_for(self, torrent_id: str) -> Path:
        return self.folder / f"{torrent_id}{_SUFFIX}"

    def save(self, torrent_id: str, params: lt.add_torrent_params) -> None:
        with self._lock:
            atomic_write(self.path_for(torrent_id), lt.write_resume_data_buf(params))

    def patch(self, torrent_id: str, change: Callable[[lt.add_torrent_params], None]) -> bool:
        """Change the saved record in place (read, change, atomic write); False when there is none."""
        with self._lock:
            path = self.path_for(torrent_id)
            try:
                params = lt.read_resume_data(path.read_bytes(), _LIMITS)
            except (OSError, RuntimeError):
                return False
            change(params)
            atomic_write(path, lt.write_resume_data_buf(params))
            return True

    def load(self, torrent_id: str) -> lt.add_torrent_params | None:
        """The saved record of one torrent; None when there is none or it cannot be read."""
        with self._lock:
            try:
                return lt.read_resume_data(self.path_for(torrent_id).read_bytes(), _LIMITS)
            except (OSError, RuntimeError):
                return None

    def delete(self, torrent_id: str) -> None:
        with self._lock:
            self.path_for(torrent_id).unlink(missing_ok=True)

    def load_all(self) -> list[LoadedResume]:
        """Every readable resume record; unreadable files are renamed aside and logged."""
        loaded: list[LoadedResume] = []
        for path in sorted(self.folder.glob(f"*{_SUFFIX}")):
            torrent_id = path.name[: -len(_SUFFIX)]
            try:
                params = lt.read_resume_data(path.read_bytes(), _LIMITS)
            except (RuntimeError, OSError) as exc:
                self.set_aside(torrent_id, str(exc))
                continue
            loaded.append(LoadedResume(torrent_id, params, count_pieces(params)))
        return loaded

    def set_aside(self, torrent_id: str, reason: str) -> None:
        """Rename an unusable resume file out of the way (kept for a human to look at), with a log line."""
        path = self.path_for(torrent_id)
        target = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        log.error("resume file %s is unreadable (%s); moved aside to %s", path.name, reason, target.name)
        try:
            path.replace(target)
        except OSError:
            log.exception("could not move %s aside", path)
