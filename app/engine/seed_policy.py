"""The seeding policy: which seeding torrents reached their share-ratio or seeding-time limit.

Pure functions, called on the alert thread with each batch of statuses. A torrent's own limits (``seed_limits``)
override the global ones in ``EngineSettings``: "use the global limit", "no limit", or its own value, separately
for the ratio and the time. libtorrent's own ratio limit only re-queues auto-managed torrents, so the engine stops
(pauses) them itself.
"""

from __future__ import annotations

from typing import Any

from app.engine.seed_limits import LimitChoice, SeedLimits
from app.engine.settings import EngineSettings

_GLOBAL = SeedLimits()


def effective_limits(own: SeedLimits, settings: EngineSettings) -> tuple[float | None, int | None]:
    """The ratio and the seeding minutes that apply to a torrent with ``own`` limits; None = no limit."""
    ratio: float | None
    if own.ratio_choice is LimitChoice.GLOBAL:
        ratio = settings.seed_ratio_limit
    else:
        ratio = own.ratio if own.ratio_choice is LimitChoice.OWN else None
    minutes: int | None
    if own.time_choice is LimitChoice.GLOBAL:
        minutes = settings.seed_time_limit_minutes
    else:
        minutes = own.minutes if own.time_choice is LimitChoice.OWN else None
    return ratio, minutes


def over_seed_limit(status: Any, settings: EngineSettings, own: SeedLimits = _GLOBAL) -> bool:
    """True when a seeding torrent passed the ratio or seeding time that applies to it."""
    if not status.is_seeding or status.paused:
        return False
    ratio_limit, minutes_limit = effective_limits(own, settings)
    if ratio_limit is not None:
        # A torrent seeded from our own files downloaded nothing: measure the ratio against its size then.
        basis = max(int(status.all_time_download), int(status.total_wanted_done), 1)
        if int(status.all_time_upload) / basis >= ratio_limit:
            return True
    if minutes_limit is not None:
        seconds = status.seeding_duration.total_seconds()
        if seconds >= minutes_limit * 60:
            return True
    return False
