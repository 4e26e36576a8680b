"""Getting torrents that want data again back to their peers at once; called on the engine's alert thread.

Measured with libtorrent 2.1.1 (tests/integration/test_engine_wanted_growth.py): a torrent that finishes its
wanted files (the free pilot) drops its seeds. When it wants more later (buying the episodes, or resuming it),
its peer list still counts no connect candidate: the count was taken while the torrent was finished, and
libtorrent recounts only when a new address is inserted or ``max_failcount`` changes — so it dialed nobody for
60 s and more. ``connect_peer`` to an address already in the list, a tracker's answer, ``min_reconnect_time``
or pause/resume did not recount it. What works: change ``max_failcount`` (every torrent recounts), then
``connect_peer`` the peers the engine was told of.

Peers learned from a tracker are not dialed after the recount either (measured: a seed found through the tracker
was not back 90 s after buying, with ``min_reconnect_time`` at 5 s too), so the engine remembers the peers each
torrent dialed itself — their addresses carry their listening ports — and redials those as well. Only outgoing
connections are remembered: an incoming one's port is the remote's ephemeral port, nobody listens there.

A peer found through a tracker also keeps libtorrent's reconnect back-off (``min_reconnect_time``, 60 s) from the
moment the pilot's end dropped it: buying 3 s later waited 57 s. So for a short while after a redial the back-off
is shortened session-wide to 1 s (measured: the episode was back 1.0 s after buying), then the configured
value comes back (``tick``). Test: tests/integration/test_engine_wanted_growth.py, the tracker case.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import libtorrent as lt

from app.engine.registry import TorrentRecord

_FAILCOUNTS = (3, 4)  # libtorrent's default and one more: flipping between them is what makes it recount
MAX_DIALED_PEERS = 32  # per torrent, newest kept: enough to find the swarm again, few enough to dial at once
# libtorrent 2.1.1's Python binding leaves peer_connect_alert's direction out; its message names it.
_OUTGOING = "outgoing connection"
SHORT_RECONNECT_S = 1  # libtorrent's min_reconnect_time while torrents find their peers again
SHORT_RECONNECT_FOR_S = 20.0  # then the session's own value returns


def remember_dialed_peer(record: TorrentRecord, alert: lt.peer_connect_alert) -> None:
    """Keep the address of a peer the torrent dialed (alert thread); incoming connections are left out."""
    if _OUTGOING not in alert.message():
        return
    host, port = alert.endpoint
    endpoint = (str(host), int(port))
    peers = record.dialed_peers
    peers.pop(endpoint, None)
    peers[endpoint] = None
    while len(peers) > MAX_DIALED_PEERS:
        del peers[next(iter(peers))]


class Redialer:
    """Makes libtorrent recount connect candidates and redials each torrent's known peers."""

    def __init__(self, session: Callable[[], lt.session | None], reconnect_s: int) -> None:
        self._session = session
        self._reconnect_s = reconnect_s  # the session's configured min_reconnect_time
        self._lock = threading.Lock()
        self._flip = 0
        self._restore_at: float | None = None

    def redial(self, records: Sequence[TorrentRecord]) -> None:
        """For torrents that just went back to downloading; one settings change for the whole batch."""
        session = self._session()
        if session is None or not records:
            return
        with self._lock:
            self._flip = 1 - self._flip
            value = _FAILCOUNTS[self._flip]
            self._restore_at = time.monotonic() + SHORT_RECONNECT_FOR_S
        # Queued before the connects below: recounted first.
        session.apply_settings({"max_failcount": value, "min_reconnect_time": SHORT_RECONNECT_S})
        for record in records:
            for endpoint in sorted(record.known_peers | record.dialed_peers.keys()):
                record.handle.connect_peer(endpoint)

    def tick(self) -> None:
        """Give the session its own reconnect back-off again once the short spell is over (alert thread)."""
        session = self._session()
        with self._lock:
            due = self._restore_at is not None and time.monotonic() >= self._restore_at
            if due:
                self._restore_at = None
        if due and session is not None:
            session.apply_settings({"min_reconnect_time": self._reconnect_s})
