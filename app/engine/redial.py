"""Getting torrents that want data again back to their peers at once; called on the engine's alert thread.

Measured with libtorrent 2.1.1 (tests/integration/test_engine_wanted_growth.py): a torrent that finishes its
wanted files (the free pilot) drops its seeds. When it wants more later (buying the episodes, or resuming it),
its peer list still counts no connect candidate: the count was taken while the torrent was finished, and
libtorrent recounts only when a new address is inserted or ``max_failcount`` changes — so it dialed nobody for
60 s and more. ``connect_peer`` to an address already in the list, a tracker's answer, ``min_reconnect_time``
or pause/resume did not recount it. What works: change ``max_failcount`` (every torrent recounts), then
``connect_peer`` the peers the engine was told of (a candidate is dialed at once, back-off or not).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import libtorrent as lt

from app.engine.registry import TorrentRecord

_FAILCOUNTS = (3, 4)  # libtorrent's default and one more: flipping between them is what makes it recount


class Redialer:
    """Makes libtorrent recount connect candidates and redials each torrent's known peers."""

    def __init__(self, session: Callable[[], lt.session | None]) -> None:
        self._session = session
        self._lock = threading.Lock()
        self._flip = 0

    def redial(self, records: Sequence[TorrentRecord]) -> None:
        """For torrents that just went back to downloading; one settings change for the whole batch."""
        session = self._session()
        if session is None or not records:
            return
        with self._lock:
            self._flip = 1 - self._flip
            value = _FAILCOUNTS[self._flip]
        session.apply_settings({"max_failcount": value})  # queued before the connects below: recounted first
        for record in records:
            for endpoint in sorted(record.known_peers):
                record.handle.connect_peer(endpoint)
