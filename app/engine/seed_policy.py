"""The seeding policy: which seeding torrents reached the share-ratio or seeding-time limit.

Pure function, called on the alert thread with each batch of statuses. libtorrent's own ratio limit only
re-queues auto-managed torrents, so the engine stops (pauses or removes) them itself.
"""

from __future__ import annotations

from typing import Any

from app.engine.settings import EngineSettings


def over_seed_limit(status: Any, settings: EngineSettings) -> bool:
    """True when a seeding torrent passed the configured ratio or seeding time."""
    if not status.is_seeding or status.paused:
        return False
    if settings.seed_ratio_limit is not None:
        # A torrent seeded from our own files downloaded nothing: measure the ratio against its size then.
        basis = max(int(status.all_time_download), int(status.total_wanted_done), 1)
        if int(status.all_time_upload) / basis >= settings.seed_ratio_limit:
            return True
    if settings.seed_time_limit_minutes is not None:
        seconds = status.seeding_duration.total_seconds()
        if seconds >= settings.seed_time_limit_minutes * 60:
            return True
    return False
