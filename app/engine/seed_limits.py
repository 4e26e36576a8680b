"""Each torrent's own seeding limits (share ratio, seeding time) that override the global ones, kept beside the
resume files.

Like qBittorrent, every torrent — so every bundle — has for the ratio and for the seeding time one of three choices:
use the global limit (the default), no limit at all, or its own value. ``SeedLimitBook`` holds the choices of the
torrents that have any; every change is written at once to ``state_dir/seed_limits.json`` (temp file → fsync →
rename → fsync(dir), like ``labels.json``), so a choice the caller saw succeed survives a kill or a restart. When a
torrent reaches its limit the engine pauses it (``seed_policy``). Qt-free, shared by the desktop and the seedbox.

Any thread: every verb takes the book's lock; writes touch the disk (call them from a worker, not the UI thread).
A file that cannot be read is set aside (``seed_limits.json.corrupt-<time>``) with a log line; the book starts empty.
"""

from __future__ import annotations

import enum
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.engine.errors import EngineError, StorageError, UnknownTorrentError
from app.engine.resume_store import atomic_write
from app.engine.types import TorrentId

log = logging.getLogger(__name__)

SEED_LIMITS_FILE_NAME = "seed_limits.json"
_FORMAT_VERSION = 1
MAX_RATIO = 9998.0  # qBittorrent's ceiling
MAX_SEEDING_MINUTES = 525_600  # one year


class SeedLimitError(EngineError):
    """A ratio or seeding time that cannot be used; the message says which and why."""


class LimitChoice(enum.Enum):
    GLOBAL = "global"  # follow the limit in Settings
    NONE = "none"  # seed for ever, whatever Settings say
    OWN = "own"  # this torrent's own value


@dataclass(frozen=True, slots=True)
class SeedLimits:
    """One torrent's choices; the values count only when their choice is ``OWN``."""

    ratio_choice: LimitChoice = LimitChoice.GLOBAL
    ratio: float = 0.0
    time_choice: LimitChoice = LimitChoice.GLOBAL
    minutes: int = 0

    @property
    def follows_global(self) -> bool:
        return self.ratio_choice is LimitChoice.GLOBAL and self.time_choice is LimitChoice.GLOBAL

    def checked(self) -> SeedLimits:
        """These limits, or SeedLimitError for a value out of range (values of non-OWN choices are zeroed)."""
        ratio, minutes = 0.0, 0
        if self.ratio_choice is LimitChoice.OWN:
            ratio = float(self.ratio)
            if not 0.0 <= ratio <= MAX_RATIO:
                raise SeedLimitError(f"A share ratio limit must be between 0 and {MAX_RATIO:g}.")
        if self.time_choice is LimitChoice.OWN:
            minutes = int(self.minutes)
            if not 0 <= minutes <= MAX_SEEDING_MINUTES:
                raise SeedLimitError(f"A seeding time limit must be between 0 and {MAX_SEEDING_MINUTES} minutes.")
        return SeedLimits(self.ratio_choice, ratio, self.time_choice, minutes)


_FOLLOW_GLOBAL = SeedLimits()


class SeedLimitBook:
    """Thread-safe per-torrent seeding limits, saved to one JSON file on every change."""

    def __init__(self, state_dir: Path, has_torrent: Callable[[TorrentId], bool]) -> None:
        self._path = state_dir / SEED_LIMITS_FILE_NAME
        self._has_torrent = has_torrent
        self._lock = threading.Lock()
        self._limits: dict[TorrentId, SeedLimits] = {}
        self._view: Mapping[TorrentId, SeedLimits] = MappingProxyType({})  # replaced whole on every change

    def get(self, torrent_id: TorrentId) -> SeedLimits:
        """The torrent's limits (all "use the global limit" when it has none of its own). Never waits: it reads
        the last published mapping, not under the lock a write holds while it saves (the UI thread may call it)."""
        return self._view.get(torrent_id, _FOLLOW_GLOBAL)

    def set(self, torrent_id: TorrentId, limits: SeedLimits) -> SeedLimits:
        """Give a torrent its limits (saved before returning); the stored value, or SeedLimitError / StorageError."""
        clean = limits.checked()
        if not self._has_torrent(torrent_id):
            raise UnknownTorrentError(f"No torrent {torrent_id} in this session.")
        with self._lock:
            if clean.follows_global:
                self._limits.pop(torrent_id, None)
            else:
                self._limits[torrent_id] = clean
            self._save()
        return clean

    def forget(self, torrent_id: TorrentId) -> None:
        """A removed torrent leaves its limits."""
        with self._lock:
            if self._limits.pop(torrent_id, None) is not None:
                self._save()

    def load(self, known: Iterable[TorrentId]) -> None:
        """Read the saved limits; torrents no longer in the session are dropped."""
        try:
            loaded = _parsed(json.loads(self._path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, KeyError, SeedLimitError) as exc:
            target = self._path.with_name(f"{SEED_LIMITS_FILE_NAME}.corrupt-{int(time.time())}")
            log.error("seeding limits unreadable (%s); moved aside to %s", exc, target.name)
            self._path.replace(target)
            return
        alive = set(known)
        with self._lock:
            self._limits = {tid: limits for tid, limits in loaded.items() if tid in alive}
            self._view = MappingProxyType(dict(self._limits))

    def _save(self) -> None:
        """Write every torrent's limits, then publish them (lock held): a reader that sees a change sees it saved.
        A failed write keeps the change in memory but says so."""
        payload = {
            "version": _FORMAT_VERSION,
            "torrents": {
                tid: {
                    "ratio": limits.ratio_choice.value,
                    "ratio_limit": limits.ratio,
                    "time": limits.time_choice.value,
                    "minutes": limits.minutes,
                }
                for tid, limits in sorted(self._limits.items())
            },
        }
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self._path, json.dumps(payload, indent=1).encode("utf-8"))
        except OSError as exc:
            raise StorageError(f"Cannot save the seeding limits to {self._path}: {exc.strerror or exc}.") from exc
        finally:
            self._view = MappingProxyType(dict(self._limits))


def _parsed(raw: Any) -> dict[TorrentId, SeedLimits]:
    if not isinstance(raw, dict) or raw.get("version") != _FORMAT_VERSION:
        raise ValueError("not a seeding-limits file of a known version")
    limits: dict[TorrentId, SeedLimits] = {}
    for tid, entry in dict(raw["torrents"]).items():
        limits[str(tid)] = SeedLimits(
            LimitChoice(entry["ratio"]),
            float(entry.get("ratio_limit", 0.0)),
            LimitChoice(entry["time"]),
            int(entry.get("minutes", 0)),
        ).checked()
    return limits
