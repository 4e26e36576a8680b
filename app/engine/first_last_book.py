"""Which torrents download their files' first and last pieces first, kept beside the resume files.

The choice is ours, not libtorrent's (it only sees piece priorities), so ``FirstLastBook`` keeps the set of torrents
that have it on and writes it at once to ``state_dir/first_last_pieces.json`` (temp file → fsync → rename →
fsync(dir), like ``labels.json``): a choice the caller saw succeed survives a kill or a restart, and the engine gives
those torrents their first and last pieces' priority again when it starts (``TorrentControls.restore``).

Any thread: every verb takes the book's lock; writes touch the disk (call them from a worker, not the UI thread).
A file that cannot be read is set aside (``first_last_pieces.json.corrupt-<time>``) with a log line; the book starts
empty.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from app.engine.errors import StorageError
from app.engine.resume_store import atomic_write
from app.engine.types import TorrentId

log = logging.getLogger(__name__)

FIRST_LAST_FILE_NAME = "first_last_pieces.json"
_FORMAT_VERSION = 1


class FirstLastBook:
    """The torrents with "first and last pieces first" on."""

    def __init__(self, state_dir: Path) -> None:
        self._path = state_dir / FIRST_LAST_FILE_NAME
        self._lock = threading.Lock()
        self._on: set[TorrentId] = set()

    def set(self, torrent_id: TorrentId, on: bool) -> None:
        """Turn the choice on or off for one torrent and save it."""
        with self._lock:
            if (torrent_id in self._on) == on:
                return
            if on:
                self._on.add(torrent_id)
            else:
                self._on.discard(torrent_id)
            self._save()

    def is_on(self, torrent_id: TorrentId) -> bool:
        with self._lock:
            return torrent_id in self._on

    def forget(self, torrent_id: TorrentId) -> None:
        """A removed torrent leaves the book."""
        self.set(torrent_id, False)

    def load(self, known: Iterable[TorrentId]) -> list[TorrentId]:
        """Read the saved choices; torrents no longer in the session are dropped. Returns the torrents with it on."""
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict) or raw.get("version") != _FORMAT_VERSION:
                raise ValueError("not a first-and-last-pieces file of this version")
            saved = [str(tid) for tid in raw["torrents"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError, KeyError) as exc:
            target = self._path.with_name(f"{FIRST_LAST_FILE_NAME}.corrupt-{int(time.time())}")
            log.error("first-and-last-pieces choices unreadable (%s); moved aside to %s", exc, target.name)
            self._path.replace(target)
            return []
        alive = set(known)
        with self._lock:
            self._on = {tid for tid in saved if tid in alive}
            return sorted(self._on)

    def _save(self) -> None:
        payload = {"version": _FORMAT_VERSION, "torrents": sorted(self._on)}
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self._path, json.dumps(payload, indent=1).encode("utf-8"))
        except OSError as exc:
            raise StorageError(f"Cannot save the first-and-last-pieces choices to {self._path}: "
                               f"{exc.strerror or exc}.") from exc
