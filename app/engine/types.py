"""Immutable values the engine hands out: torrent snapshots, files, peers, trackers, totals.

Every value here is a frozen dataclass and safe to pass between threads. Torrent ids are lower-case hex
info-hashes (the v1 SHA-1 hash when the torrent has one, otherwise the truncated v2 hash, as libtorrent's
``info_hash_t.get_best()`` would give) — strings, never libtorrent objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

TorrentId = str


class TorrentState(enum.Enum):
    """What a torrent is doing, as a user would name it."""

    QUEUED = "queued"
    CHECKING = "checking"
    FETCHING_METADATA = "fetching_metadata"
    DOWNLOADING = "downloading"
    SEEDING = "seeding"
    FINISHED = "finished"  # complete for what is wanted, not uploading (e.g. stopped by the seeding policy)
    PAUSED = "paused"
    MOVING = "moving"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class TorrentSnapshot:
    """One torrent's status at one moment; produced in batches, never per row on demand."""

    id: TorrentId
    name: str
    state: TorrentState
    progress: float  # 0.0 … 1.0 of the wanted bytes
    download_rate: int  # bytes per second (payload)
    upload_rate: int
    num_peers: int
    num_seeds: int
    eta_seconds: int | None  # None when unknown or not downloading
    ratio: float
    total_size: int  # bytes of the whole torrent (0 until metadata arrives)
    wanted_size: int
    wanted_done: int
    total_uploaded: int
    total_downloaded: int
    save_path: str
    has_metadata: bool
    paused: bool
    error: str | None
    added_at: float  # unix time
    # This torrent's own rate limits as the engine set them (bytes/s, 0 = unlimited); kept across restarts.
    download_limit: int = 0
    upload_limit: int = 0


@dataclass(frozen=True, slots=True)
class FileEntry:
    index: int
    path: str  # relative to the save path, '/'-separated
    size: int
    downloaded: int
    priority: int  # 0 = skip, 1 … 7 (4 is normal)


@dataclass(frozen=True, slots=True)
class PeerEntry:
    address: str  # "host:port"
    client: str
    download_rate: int
    upload_rate: int
    progress: float
    is_seed: bool


@dataclass(frozen=True, slots=True)
class TrackerEntry:
    url: str
    tier: int
    status: str  # "working", "announcing", "not contacted", "error: <what the tracker or the network said>"
    seeds: int | None
    peers: int | None


@dataclass(frozen=True, slots=True)
class SessionTotals:
    download_rate: int
    upload_rate: int
    total_downloaded: int
    total_uploaded: int
    num_torrents: int
    listen_port: int | None


@dataclass(frozen=True, slots=True)
class ByteRange:
    """A half-open range [start, end) of a file's bytes."""

    start: int
    end: int
