"""Frozen snapshots from libtorrent's batched status updates, and the book that keeps the latest ones.

``snapshot_from_status`` is pure. ``SnapshotBook`` is written by the alert thread (state_update_alert after
``post_torrent_updates``) and read from any thread under a lock; readers never wait on libtorrent.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import libtorrent as lt

from app.engine.errors import UnknownTorrentError
from app.engine.types import SessionTotals, TorrentId, TorrentSnapshot, TorrentState

_WANTING_STATES = frozenset({TorrentState.DOWNLOADING, TorrentState.FETCHING_METADATA})

_LT = lt.torrent_status.states
_CHECKING = {_LT.checking_files, _LT.checking_resume_data, _LT.allocating}
# queued_for_checking is gone from 2.x's state list but kept in the enum; it reads as checking too.
_CHECKING.add(getattr(_LT, "queued_for_checking", _LT.checking_files))
# States in which payload can come in (a torrent held in upload mode by a full disk reads ERROR and receives none).
_RECEIVING = frozenset({TorrentState.DOWNLOADING, TorrentState.FETCHING_METADATA})


def state_of(status: Any) -> TorrentState:  # noqa: PLR0911 - one answer per state
    """What a user would call the torrent's current activity."""
    if status.errc.value() != 0 or status.error:
        return TorrentState.ERROR
    if status.moving_storage:
        return TorrentState.MOVING
    flags = int(status.flags)
    if flags & int(lt.torrent_flags.paused):
        if not flags & int(lt.torrent_flags.auto_managed):
            return TorrentState.PAUSED  # the user's pause wins over whatever libtorrent is doing meanwhile
        if status.is_finished and status.has_metadata and status.state not in _CHECKING:
            return TorrentState.FINISHED  # stopped by the queue or the seeding policy
        return TorrentState.QUEUED
    if status.state in _CHECKING:
        return TorrentState.CHECKING
    if status.state == _LT.downloading_metadata:
        return TorrentState.FETCHING_METADATA
    if status.state == _LT.seeding:
        return TorrentState.SEEDING
    if status.state == _LT.finished:
        return TorrentState.FINISHED
    return TorrentState.DOWNLOADING


def snapshot_from_status(  # noqa: PLR0917 - the record's own facts that torrent_status lacks
    torrent_id: TorrentId,
    status: Any,
    added_at: float,
    fallback_name: str = "",
    limits: tuple[int, int] = (0, 0),
    storage_error: str | None = None,
    rates: tuple[int, int] | None = None,
) -> TorrentSnapshot:
    """A frozen snapshot of one torrent_status; ``fallback_name`` covers a magnet libtorrent has not named yet.

    ``limits`` are the torrent's own (download, upload) limits the engine keeps: torrent_status has none.
    ``rates`` are (download, upload) bytes/s measured from the byte counters (``rates.RateMeter``); without them
    libtorrent's own slow averages are shown. ``storage_error`` is the last disk error's sentence: libtorrent holds
    a torrent whose disk is full in upload mode (its status still says downloading), and a hybrid torrent whose
    writes failed may then stop with "v1 and v2 hashes do not describe the same data" — either way the fan must
    read the cause, the full disk.
    """
    state = state_of(status)
    held_by_disk = storage_error is not None and bool(int(status.flags) & int(lt.torrent_flags.upload_mode))
    if held_by_disk:
        state = TorrentState.ERROR
    wanted = int(status.total_wanted)
    done = int(status.total_wanted_done)
    rate, upload_rate = (
        rates if rates is not None else (int(status.download_payload_rate), int(status.upload_payload_rate))
    )
    paused = bool(int(status.flags) & int(lt.torrent_flags.paused))
    if paused or state not in _RECEIVING:
        rate = 0  # finished, seeding, paused: nothing comes in, whatever libtorrent's slow average still says
    if paused:
        upload_rate = 0
    eta = None
    if state is TorrentState.DOWNLOADING and rate > 0 and wanted > done:
        eta = (wanted - done + rate - 1) // rate
    downloaded = int(status.all_time_download)
    uploaded = int(status.all_time_upload)
    error = None
    if state is TorrentState.ERROR:
        error = storage_error or status.error or status.errc.message()
    return TorrentSnapshot(
        id=torrent_id,
        name=status.name or fallback_name or torrent_id,
        state=state,
        progress=float(done) / wanted if wanted > 0 else (1.0 if status.is_finished else 0.0),
        download_rate=rate,
        upload_rate=upload_rate,
        num_peers=int(status.num_peers),
        num_seeds=int(status.num_seeds),
        eta_seconds=eta,
        ratio=uploaded / downloaded if downloaded > 0 else 0.0,
        total_size=int(status.total) if status.has_metadata else 0,
        wanted_size=wanted,
        wanted_done=done,
        total_uploaded=uploaded,
        total_downloaded=downloaded,
        save_path=status.save_path,
        has_metadata=bool(status.has_metadata),
        paused=paused,
        error=error,
        added_at=added_at,
        download_limit=limits[0],
        upload_limit=limits[1],
    )


def snapshot_from_resume(torrent_id: TorrentId, params: Any, added_at: float) -> TorrentSnapshot:
    """What a restored torrent looks like before libtorrent's first status of it: its resume record's word."""
    info = params.ti
    flags = int(params.flags)
    paused = bool(flags & int(lt.torrent_flags.paused))
    auto = bool(flags & int(lt.torrent_flags.auto_managed))
    total = int(info.total_size()) if info is not None else 0
    done = 0
    if info is not None:
        done = sum(info.piece_size(i) for i, have in enumerate(params.have_pieces) if have)
    if paused:
        state = TorrentState.QUEUED if auto else TorrentState.PAUSED
    else:
        state = TorrentState.CHECKING if info is not None else TorrentState.FETCHING_METADATA
    return TorrentSnapshot(
        id=torrent_id,
        name=(info.name() if info is not None else params.name) or torrent_id,
        state=state,
        progress=done / total if total else 0.0,
        download_rate=0,
        upload_rate=0,
        num_peers=0,
        num_seeds=0,
        eta_seconds=None,
        ratio=params.total_uploaded / params.total_downloaded if params.total_downloaded else 0.0,
        total_size=total,
        wanted_size=total,
        wanted_done=done,
        total_uploaded=int(params.total_uploaded),
        total_downloaded=int(params.total_downloaded),
        save_path=params.save_path,
        has_metadata=info is not None,
        paused=paused,
        error=None,
        added_at=added_at,
        download_limit=max(0, int(params.download_limit)),
        upload_limit=max(0, int(params.upload_limit)),
    )


class SnapshotBook:
    """The latest snapshot of every torrent plus the session totals; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshots: dict[TorrentId, TorrentSnapshot] = {}
        self._listen_port: int | None = None

    def put(self, snapshot: TorrentSnapshot) -> TorrentSnapshot | None:
        """Store a snapshot and return the one it replaces."""
        with self._lock:
            old = self._snapshots.get(snapshot.id)
            self._snapshots[snapshot.id] = snapshot
            return old

    def set_limits(self, torrent_id: TorrentId, download: int, upload: int) -> None:
        """Show new limits at once: a torrent whose status did not change gets no new snapshot from libtorrent."""
        with self._lock:
            old = self._snapshots.get(torrent_id)
            if old is not None:
                self._snapshots[torrent_id] = replace(old, download_limit=download, upload_limit=upload)

    def drop(self, torrent_id: TorrentId) -> None:
        with self._lock:
            self._snapshots.pop(torrent_id, None)

    def get(self, torrent_id: TorrentId) -> TorrentSnapshot:
        with self._lock:
            try:
                return self._snapshots[torrent_id]
            except KeyError:
                raise UnknownTorrentError(f"No torrent with id {torrent_id} in this session.") from None

    def connections_while_wanting(self, torrent_id: TorrentId) -> int | None:
        """Connections of a torrent that wants data (latest snapshot); None when it wants none, is paused or unknown."""
        with self._lock:
            snapshot = self._snapshots.get(torrent_id)
        if snapshot is None or snapshot.paused or snapshot.state not in _WANTING_STATES:
            return None
        return snapshot.num_peers

    def all(self) -> list[TorrentSnapshot]:
        with self._lock:
            return sorted(self._snapshots.values(), key=lambda s: (s.added_at, s.id))

    def set_listen_port(self, port: int | None) -> None:
        with self._lock:
            self._listen_port = port

    def totals(self) -> SessionTotals:
        with self._lock:
            values = list(self._snapshots.values())
            port = self._listen_port
        return SessionTotals(
            download_rate=sum(s.download_rate for s in values),
            upload_rate=sum(s.upload_rate for s in values),
            total_downloaded=sum(s.total_downloaded for s in values),
            total_uploaded=sum(s.total_uploaded for s in values),
            num_torrents=len(values),
            listen_port=port,
        )
