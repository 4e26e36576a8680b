"""The table of torrents in the session: id → handle plus the engine's own bookkeeping per torrent.

Read and written from any thread under one lock. The bookkeeping is what the resume guards need: whether the
torrent's first check has finished (saving before it can record 0 pieces, FIELD-NOTES), how many pieces the
last saved resume file claims, and whether a recheck was asked for (the only time fewer pieces may be saved).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import libtorrent as lt

from app.engine.errors import UnknownTorrentError
from app.engine.types import TorrentId


@dataclass
class TorrentRecord:
    torrent_id: TorrentId
    handle: lt.torrent_handle
    added_at: float
    checked: bool = False
    saved_pieces: int = 0
    saved_has_metadata: bool = False
    recheck_requested: bool = False
    save_pending: bool = False
    open_streams: int = 0
    sequential_before_stream: bool = False
    needs_save: bool = False
    only_counters_change: bool = False  # complete and not paused: a save would only record upload totals
    last_periodic_save: float = float("-inf")  # monotonic time of the last periodic request
    magnet_name: str = ""  # a magnet's (sanitized) dn: libtorrent drops it from its own resume data
    known_peers: set[tuple[str, int]] = field(default_factory=set)  # from connect_peer: redialed (see redial)
    # Peers this torrent dialed itself (from a tracker, PEX, …), newest last and bounded: redialed too (see redial).
    dialed_peers: dict[tuple[str, int], None] = field(default_factory=dict)
    # The sentence of the last disk error (disk full, no permission …) until the user resumes or rechecks:
    # libtorrent answers a full disk by holding the torrent in upload mode, which its status shows as downloading.
    storage_error: str | None = None
    # A disk error or libtorrent's inconsistent-hashes error: Resume and Force recheck add the torrent again
    # (disk_error_reload), because libtorrent's own torrent object keeps pieces that never reached the disk.
    reload_on_resume: bool = False
    reload_alerts: int = 0  # alerts of such a reload (removed, added) still to come: not news for subscribers
    boost_pending: bool = False  # a peer was given while the torrent was checking: boosted when it ends (peer_dialer)
    rescue_at: float | None = None  # when peer_dialer next redials a torrent left without connections (monotonic)
    rescue_delay: float = 1.0  # grows while the redials find nobody
    download_limit: int = 0  # what set_torrent_limits set (bytes/s, 0 = unlimited): libtorrent's getter blocks
    upload_limit: int = 0


class Registry:
    """Thread-safe map of torrent id to its record."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._records: dict[TorrentId, TorrentRecord] = {}
        self._by_handle: dict[lt.torrent_handle, TorrentRecord] = {}

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def add(self, record: TorrentRecord) -> None:
        with self._lock:
            self._records[record.torrent_id] = record
            self._by_handle[record.handle] = record

    def pop(self, torrent_id: TorrentId) -> TorrentRecord | None:
        with self._lock:
            record = self._records.pop(torrent_id, None)
            if record is not None:
                self._by_handle.pop(record.handle, None)
            return record

    def rehandle(self, record: TorrentRecord, handle: lt.torrent_handle) -> None:
        """The record's torrent was added again (disk_error_reload): alerts of the old handle find nothing."""
        with self._lock:
            self._by_handle.pop(record.handle, None)
            record.handle = handle
            self._by_handle[handle] = record

    def by_handle(self, handle: lt.torrent_handle) -> TorrentRecord | None:
        """The record of a handle (handles hash and compare by torrent), without a call into libtorrent."""
        with self._lock:
            return self._by_handle.get(handle)

    def find(self, torrent_id: TorrentId) -> TorrentRecord | None:
        with self._lock:
            return self._records.get(torrent_id)

    def get(self, torrent_id: TorrentId) -> TorrentRecord:
        with self._lock:
            record = self._records.get(torrent_id)
        if record is None:
            raise UnknownTorrentError("That torrent is no longer in Bundlecast.")
        return record

    def ids(self) -> list[TorrentId]:
        with self._lock:
            return list(self._records)

    def records(self) -> list[TorrentRecord]:
        with self._lock:
            return list(self._records.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
