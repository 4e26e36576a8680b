"""Transfer rates the way a user reads them: bytes that actually moved over the last second, 0 when nothing can move.

libtorrent 2.1's ``download_payload_rate``/``upload_payload_rate`` are slow averages: after a download finished the
rate decayed for ~10 s instead of dropping to 0, and a download that started took 3.5-4 s to show half its true
rate. ``RateMeter`` computes each torrent's rates from its payload byte counters (``total_payload_download`` /
``_upload``, counted since the torrent last started) over a window of ``RATE_WINDOW_S``, and the snapshot code
reports 0 for what a torrent cannot be doing (downloading when finished, anything when paused).

Used on the engine's alert thread only (state_update_alert), so it keeps no lock.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from app.engine.types import TorrentId

RATE_WINDOW_S = 1.0


class RateMeter:
    """Per-torrent download and upload rates from byte counters sampled at each status batch."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._samples: dict[TorrentId, deque[tuple[float, int, int]]] = {}

    def measure(self, torrent_id: TorrentId, downloaded: int, uploaded: int) -> tuple[int, int] | None:
        """(download, upload) bytes/s over the last window; None for a torrent's first sample (no window yet)."""
        now = self._clock()
        samples = self._samples.setdefault(torrent_id, deque())
        if samples and (downloaded < samples[-1][1] or uploaded < samples[-1][2]):
            samples.clear()  # the counters restart when a torrent is paused and resumed
        samples.append((now, downloaded, uploaded))
        # Keep one sample at or before the window's start as the anchor, and everything after it.
        while len(samples) > 2 and samples[1][0] <= now - RATE_WINDOW_S:
            samples.popleft()
        if len(samples) < 2:
            return None
        start, down0, up0 = samples[0]
        elapsed = now - start
        if elapsed <= 0:
            return None
        return round((downloaded - down0) / elapsed), round((uploaded - up0) / elapsed)

    def forget(self, torrent_id: TorrentId) -> None:
        self._samples.pop(torrent_id, None)
