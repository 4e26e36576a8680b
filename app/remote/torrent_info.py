"""Engine snapshots as qBittorrent's Web API describes torrents: ``torrents/info`` entries, ``torrents/properties``,
``transfer/info``, and its ``filter=`` values and state names.

Pure functions over immutable values, any thread.
"""

from __future__ import annotations

from typing import Any

from app.engine.labels import Labels
from app.engine.types import SessionTotals, TorrentSnapshot, TorrentState

INFINITE_ETA = 8_640_000  # qBittorrent's "∞"


_PLAIN = {
    TorrentState.FETCHING_METADATA: "metaDL",
    TorrentState.MOVING: "moving",
}
_SUFFIXED = {TorrentState.CHECKING: "checking", TorrentState.QUEUED: "queued"}


def qbt_state(snap: TorrentSnapshot) -> str:
    """qBittorrent's state name for a snapshot (``downloading``, ``stalledUP``, ``pausedDL``, …)."""
    suffix = "UP" if snap.has_metadata and snap.progress >= 1.0 else "DL"
    if snap.state is TorrentState.ERROR or snap.error:
        name = "error"
    elif snap.paused:
        name = f"paused{suffix}"
    elif snap.state in _PLAIN:
        name = _PLAIN[snap.state]
    elif snap.state in _SUFFIXED:
        name = _SUFFIXED[snap.state] + suffix
    elif snap.state is TorrentState.DOWNLOADING:
        name = "downloading" if snap.download_rate > 0 else "stalledDL"
    else:
        name = "uploading" if snap.upload_rate > 0 else "stalledUP"
    return name


def matches_filter(snap: TorrentSnapshot, name: str) -> bool:
    """qBittorrent's ``filter=`` values (``stopped``/``running`` are the 5.x names of paused/resumed)."""
    state = qbt_state(snap)
    complete = snap.has_metadata and snap.progress >= 1.0
    active = snap.download_rate > 0 or snap.upload_rate > 0
    checks = {
        "all": True,
        "downloading": not complete and not snap.paused and state != "error",
        "seeding": complete and not snap.paused and state in ("uploading", "stalledUP", "queuedUP"),
        "completed": complete,
        "paused": snap.paused,
        "stopped": snap.paused,
        "resumed": not snap.paused,
        "running": not snap.paused,
        "active": active,
        "inactive": not active,
        "stalled": state in ("stalledUP", "stalledDL"),
        "stalled_uploading": state == "stalledUP",
        "stalled_downloading": state == "stalledDL",
        "errored": state == "error",
    }
    return checks.get(name, False)


def info_entry(snap: TorrentSnapshot, labels: Labels) -> dict[str, Any]:
    """One entry of ``torrents/info``."""
    complete = snap.has_metadata and snap.progress >= 1.0
    return {
        "hash": snap.id,
        "infohash_v1": snap.id if len(snap.id) == 40 else "",
        "name": snap.name,
        "size": snap.wanted_size,
        "total_size": snap.total_size,
        "progress": snap.progress,
        "dlspeed": snap.download_rate,
        "upspeed": snap.upload_rate,
        "downloaded": snap.total_downloaded,
        "uploaded": snap.total_uploaded,
        "amount_left": max(0, snap.wanted_size - snap.wanted_done),
        "completed": snap.wanted_done,
        "state": qbt_state(snap),
        "category": labels.category(snap.id),
        "tags": ", ".join(sorted(labels.torrent_tags(snap.id))),
        "save_path": snap.save_path,
        "added_on": int(snap.added_at),
        "num_seeds": snap.num_seeds,
        "num_leechs": max(0, snap.num_peers - snap.num_seeds),
        "ratio": snap.ratio,
        "eta": snap.eta_seconds if snap.eta_seconds is not None and not complete else INFINITE_ETA,
        "dl_limit": snap.download_limit or -1,
        "up_limit": snap.upload_limit or -1,
    }


def properties(snap: TorrentSnapshot) -> dict[str, Any]:
    """``torrents/properties`` for one torrent."""
    return {
        "save_path": snap.save_path,
        "total_size": snap.total_size,
        "dl_speed": snap.download_rate,
        "up_speed": snap.upload_rate,
        "total_downloaded": snap.total_downloaded,
        "total_uploaded": snap.total_uploaded,
        "share_ratio": snap.ratio,
        "eta": snap.eta_seconds if snap.eta_seconds is not None else INFINITE_ETA,
        "nb_connections": snap.num_peers,
        "seeds": snap.num_seeds,
        "peers": max(0, snap.num_peers - snap.num_seeds),
        "addition_date": int(snap.added_at),
        "dl_limit": snap.download_limit or -1,
        "up_limit": snap.upload_limit or -1,
        "progress": snap.progress,
    }


def transfer_info(totals: SessionTotals, limits: tuple[int, int], dht_nodes: int) -> dict[str, Any]:
    return {
        "dl_info_speed": totals.download_rate,
        "dl_info_data": totals.total_downloaded,
        "up_info_speed": totals.upload_rate,
        "up_info_data": totals.total_uploaded,
        "dl_rate_limit": limits[0],
        "up_rate_limit": limits[1],
        "dht_nodes": dht_nodes,
        "connection_status": "connected" if totals.listen_port else "disconnected",
    }
