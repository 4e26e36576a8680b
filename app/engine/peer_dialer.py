"""Dialing peers at once: the peers given to ``connect_peer``, and known peers again after a failure or a drop.

Measured with libtorrent 2.1.1 (tests/integration/test_engine_dialing.py):

* **A new peer waits for the once-a-second connect round.** ``connect_peer`` only adds the address to the
  torrent's peer list; libtorrent dials candidates in ``try_connect_more_peers``, which its session tick runs once a
  second whatever ``tick_interval`` says (2.1 gates it behind a one-second check). A peer given by hand was
  therefore dialed 0-1 s later, depending on where the round stood (0.9 s seen in bench/transfer.py). The one path
  that dials at once is libtorrent's *connect boost*, run after a tracker's reply and when a torrent resumes. For a
  torrent with no connection yet (nothing to disturb) and no tracker (whose reply boosts on its own, and which a
  pause would tell "stopped"), ``dial`` pauses and resumes the torrent right after adding the peer: measured 1 ms to
  the connection instead of 0-1 s. A torrent still checking cannot be boosted (it wants no peers yet); it is
  boosted when its check ends.
* **A failed or dropped peer is not dialed again for a minute or two.** libtorrent waits
  ``(failcount + 1) * min_reconnect_time`` (60 s) from the last attempt, and ``connect_peer`` of an address already
  in the list changes nothing: a seed that came up 8 s late was reached after 120 s, a restarted one after 131 s;
  a tracker's peer that requires encryption, dialed in plaintext first (tracker peers are), refused, and the
  encrypted retry came after 60-71 s. ``rescue`` (engine tick, alert thread) handles the case that matters — a
  torrent that wants data and has **no** connection: for its known peers it calls ``connect_peer`` with the tracker
  as source (libtorrent then lowers the peer's fail count by one, so it stays a candidate) and switches upload mode
  on and off, which is libtorrent's own way of forgetting every peer's last attempt (``set_upload_mode(false)``
  resets ``last_connected``); the next connect round dials them, encrypted when plaintext failed before. With no
  connection there is no request to cancel. Rescues repeat after 1, 2, 4 ... up to 60 s while nothing connects.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable

import libtorrent as lt

from app.engine.errors import EngineError
from app.engine.registry import TorrentRecord

log = logging.getLogger(__name__)

_LT = lt.torrent_status.states
_DIALING_STATES = frozenset({_LT.downloading, _LT.downloading_metadata, _LT.finished, _LT.seeding})
_WANTS_DATA = frozenset({_LT.downloading, _LT.downloading_metadata})
_PAUSED = lt.torrent_flags.paused
_UPLOAD_MODE = lt.torrent_flags.upload_mode
_FROM_TRACKER = int(lt.peer_info.tracker)  # connect_peer's source: lowers the peer's fail count (peer_list.cpp)
RESCUE_FIRST_S = 1.0
RESCUE_MAX_S = 60.0

Endpoint = tuple[str, int]


def resolve(host: str, port: int) -> str:
    """The IP address to dial for ``host`` (an address, or a name looked up here: blocking)."""
    if not 0 < port < 65536:
        raise EngineError(f"{port} is not a valid port number.")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return str(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0])
    except (OSError, IndexError) as exc:
        log.info("cannot resolve peer %s: %s", host, exc)
        raise EngineError(f"Cannot find the computer “{host}” on the network.") from exc


class PeerDialer:
    """Connect boosts for new peers and rescues for torrents left without any connection."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock

    # --- connect_peer (any thread) -------------------------------------------------------------------------
    def dial(self, record: TorrentRecord, endpoint: Endpoint) -> None:
        """Add ``endpoint`` to the torrent's peers and have it dialed now rather than at the next connect round."""
        record.handle.connect_peer(endpoint)  # default flags: try encryption first, fall back at once
        self.boost(record)

    def boost(self, record: TorrentRecord) -> None:
        """Pause and resume a torrent that has no connection and no tracker: libtorrent then dials at once."""
        handle = record.handle
        status = handle.status()
        if status.state not in _DIALING_STATES:
            record.boost_pending = True  # still checking: boosted by on_checked
            return
        record.boost_pending = False
        if (
            status.num_peers
            or int(status.flags) & int(_PAUSED | _UPLOAD_MODE)
            or status.errc.value()
            or record.storage_error is not None
            or handle.trackers()
        ):
            return  # peers to keep, the user's pause, a disk error's hold, or a tracker whose reply boosts
        handle.pause()
        handle.resume()

    def on_checked(self, record: TorrentRecord) -> None:
        """The torrent's check ended (alert thread): boost it if a peer was given meanwhile."""
        if record.boost_pending:
            self.boost(record)

    # --- torrents left without peers (alert thread) ----------------------------------------------------------
    def rescue(self, records: Iterable[TorrentRecord], connected: Callable[[TorrentRecord], int | None]) -> None:
        """Redial the known peers of every torrent that wants data and has no connection, on a growing delay.

        ``connected`` gives a torrent's number of connections from the latest snapshot (None: unknown).
        """
        now = self._clock()
        for record in records:
            peers = connected(record)
            if peers is None or peers > 0 or not (record.known_peers or record.dialed_peers):
                record.rescue_at = None
                record.rescue_delay = RESCUE_FIRST_S
                continue
            if record.rescue_at is None:
                record.rescue_at = now + record.rescue_delay
                continue
            if now < record.rescue_at:
                continue
            record.rescue_delay = min(RESCUE_MAX_S, record.rescue_delay * 2)
            record.rescue_at = now + record.rescue_delay
            self._redial_now(record)

    def _redial_now(self, record: TorrentRecord) -> None:
        handle = record.handle
        status = handle.status()
        if (
            status.state not in _WANTS_DATA
            or status.num_peers
            or int(status.flags) & int(_PAUSED | _UPLOAD_MODE)
            or record.storage_error is not None
        ):
            return
        for endpoint in sorted(record.known_peers | record.dialed_peers.keys()):
            handle.connect_peer(endpoint, _FROM_TRACKER)
        # Leaving upload mode resets every peer's last attempt: the next connect round may dial them all.
        handle.set_flags(_UPLOAD_MODE)
        handle.unset_flags(_UPLOAD_MODE)
        log.info(
            "torrent %s has no connection: redialing its %d known peers",
            record.torrent_id,
            len(record.known_peers | record.dialed_peers.keys()),
        )
