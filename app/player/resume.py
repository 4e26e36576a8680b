"""Resume positions and watch state: where the user left each file, which files were watched to the end, and when
each was last played — one small JSON file in the state folder (the Library's *Continue watching* reads it too).

Written atomically (``app.atomic_write``) so a crash never leaves half a file; a missing or damaged file reads as
"nothing played". Used from the UI thread (a few KB, written on pause, stop and close) and read by the Library's
worker through ``snapshot`` (a copy taken under a lock).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from app.atomic_write import write_atomically

log = logging.getLogger(__name__)

# Near either end a position is not worth resuming: the start is the start, the end means "watched"
# (the last 10 s, or the last tenth of a short file).
_MIN_RESUME_S = 5.0
_END_MARGIN_S = 10.0
_END_MARGIN_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class WatchState:
    """A copy of what was played: positions (s), watched keys, last-played times (unix s), all by key."""

    positions: dict[str, float]
    watched: frozenset[str]
    played_at: dict[str, float]


class ResumePositions:
    """Positions in seconds by key (``PlayItem.resume_key``), plus the watched files and when each was played."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._positions: dict[str, float] = {}
        self._watched: set[str] = set()
        self._played_at: dict[str, float] = {}
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as error:
            log.warning("resume positions unreadable, starting fresh: %s", error)
            return
        if not isinstance(data, dict):
            return
        self._positions = {str(k): float(v) for k, v in data.get("positions", {}).items() if isinstance(v, int | float)}
        self._watched = {str(k) for k in data.get("watched", []) if isinstance(k, str)}
        self._played_at = {str(k): float(v) for k, v in data.get("played_at", {}).items() if isinstance(v, int | float)}

    def snapshot(self) -> WatchState:
        with self._lock:
            return WatchState(dict(self._positions), frozenset(self._watched), dict(self._played_at))

    def is_watched(self, key: str) -> bool:
        return key in self._watched

    def position(self, key: str) -> float:
        """Where to start ``key`` (0.0 when unknown)."""
        return self._positions.get(key, 0.0)

    def remember(self, key: str, position_s: float, duration_s: float | None) -> None:
        """Save the position of ``key``; near the start it forgets it, near the end it marks the file watched."""
        margin = min(_END_MARGIN_S, _END_MARGIN_SHARE * duration_s) if duration_s else 0.0
        near_end = duration_s is not None and position_s > duration_s - margin
        with self._lock:
            self._played_at[key] = round(time.time(), 1)
            if near_end:
                self._watched.add(key)
            if position_s < _MIN_RESUME_S or near_end:
                self._positions.pop(key, None)
            else:
                self._positions[key] = round(position_s, 1)
            payload = {"version": 1, "positions": self._positions, "watched": sorted(self._watched),
                       "played_at": self._played_at}
            write_atomically(self._path, json.dumps(payload))
