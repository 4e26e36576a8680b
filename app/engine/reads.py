"""Per-torrent detail reads: files, peers, trackers and the verified byte ranges of one file.

Pure conversions from libtorrent objects to our frozen values; called on the caller's thread (they use
blocking handle getters, so the UI calls them from a worker).
"""

from __future__ import annotations

from typing import Any

import libtorrent as lt

from app.engine.errors import EngineError
from app.engine.types import ByteRange, FileEntry, PeerEntry, TrackerEntry


def file_entries(handle: lt.torrent_handle) -> list[FileEntry]:
    info = handle.torrent_file()
    if info is None:
        return []
    files = info.layout()
    progress = handle.file_progress(int(lt.file_progress_flags_t.piece_granularity))
    priorities = handle.get_file_priorities()
    return [
        FileEntry(
            index=i,
            path=files.file_path(i).replace("\\", "/"),
            size=files.file_size(i),
            downloaded=int(progress[i]) if i < len(progress) else 0,
            priority=int(priorities[i]) if i < len(priorities) else 4,
        )
        for i in range(files.num_files())
        if not files.file_flags(i) & lt.file_storage.flag_pad_file
    ]


def peer_entries(handle: lt.torrent_handle) -> list[PeerEntry]:
    entries = []
    for peer in handle.get_peer_info():
        host, port = peer.ip
        entries.append(
            PeerEntry(
                address=f"{host}:{port}",
                client=_text(peer.client),
                download_rate=int(peer.payload_down_speed),
                upload_rate=int(peer.payload_up_speed),
                progress=float(peer.progress),
                is_seed=bool(peer.flags & lt.peer_info.seed),
            )
        )
    return entries


def tracker_entries(handle: lt.torrent_handle) -> list[TrackerEntry]:
    entries = []
    for tracker in handle.trackers():
        entries.append(_tracker_entry(tracker))
    return entries


def _tracker_entry(tracker: Any) -> TrackerEntry:
    status = "not contacted"
    seeds: int | None = None
    peers: int | None = None
    for endpoint in tracker.get("endpoints", []):
        for info in endpoint.get("info_hashes", [endpoint]):
            message = info.get("last_error", {})
            error_text = message.get("message", "") if isinstance(message, dict) else ""
            if error_text and (info.get("fails", 0) or 0) > 0:
                status = f"error: {error_text}"
            elif info.get("updating") or info.get("start_sent"):
                status = "working"
            complete = info.get("scrape_complete", -1)
            incomplete = info.get("scrape_incomplete", -1)
            if isinstance(complete, int) and complete >= 0:
                seeds = complete
            if isinstance(incomplete, int) and incomplete >= 0:
                peers = incomplete
    if tracker.get("verified"):
        status = "working"
    return TrackerEntry(url=str(tracker.get("url", "")), tier=int(tracker.get("tier", 0)),
                        status=status, seeds=seeds, peers=peers)


def checked_file_info(handle: lt.torrent_handle, file_index: int) -> lt.torrent_info:
    """The torrent's metadata, after checking that it has arrived and has a file number ``file_index``."""
    info = handle.torrent_file()
    if info is None:
        raise EngineError("The torrent's metadata has not arrived yet; its files are unknown.")
    if not 0 <= file_index < info.num_files():
        raise EngineError(f"This torrent has no file number {file_index}.")
    return info


def verified_ranges(handle: lt.torrent_handle, file_index: int) -> list[ByteRange]:
    """Half-open byte ranges of the file covered by verified pieces, merged."""
    info = handle.torrent_file()
    if info is None:
        return []
    files = info.layout()
    offset = files.file_offset(file_index)
    size = files.file_size(file_index)
    if size == 0:
        return []
    piece_length = info.piece_length()
    pieces = handle.status(int(lt.status_flags_t.query_pieces)).pieces
    first = offset // piece_length
    last = (offset + size - 1) // piece_length
    ranges: list[ByteRange] = []
    for piece in range(first, last + 1):
        if not pieces[piece]:
            continue
        start = max(0, piece * piece_length - offset)
        end = min(size, (piece + 1) * piece_length - offset)
        if ranges and ranges[-1].end == start:
            ranges[-1] = ByteRange(ranges[-1].start, end)
        else:
            ranges.append(ByteRange(start, end))
    return ranges


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
