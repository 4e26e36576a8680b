"""Resume positions: where the user left each file, kept as one small JSON file in the state folder.

Written atomically (temp file, fsync, rename) so a crash never leaves half a file; a missing or damaged file
reads as "no positions". Used from the UI thread (a few hundred bytes, written on pause, stop and close).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

# Near either end a position is not worth resuming: the start is the start, the end means "watched"
# (the last 10 s, or the last tenth of a short file).
_MIN_RESUME_S = 5.0
_END_MARGIN_S = 10.0
_END_MARGIN_SHARE = 0.1


class ResumePositions:
    """Positions in seconds by key (``PlayItem.resume_key``)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._positions = self._load()

    def _load(self) -> dict[str, float]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("resume positions unreadable, starting fresh: %s", error)
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): float(v) for k, v in data.get("positions", {}).items() if isinstance(v, int | float)}

    def position(self, key: str) -> float:
        """Where to start ``key`` (0.0 when unknown)."""
        return self._positions.get(key, 0.0)

    def remember(self, key: str, position_s: float, duration_s: float | None) -> None:
        """Save the position of ``key``; near the start or the end it forgets instead."""
        margin = min(_END_MARGIN_S, _END_MARGIN_SHARE * duration_s) if duration_s else 0.0
        near_end = duration_s is not None and position_s > duration_s - margin
        if position_s < _MIN_RESUME_S or near_end:
            if self._positions.pop(key, None) is None:
                return
        else:
            self._positions[key] = round(position_s, 1)
        self._save()

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".resume-", dir=self._path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"version": 1, "positions": self._positions}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).replace(self._path)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise
