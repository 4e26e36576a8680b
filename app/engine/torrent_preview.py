"""What a .torrent or a magnet link holds, read before it is added (the add dialog shows it).

``preview_torrent_file(path)`` / ``preview_torrent_bytes(data)`` parse a .torrent with the same guards as adding
(size cap, decode limits, sentences for every refusal) and list its files without pad files — the same file list
and order ``Engine.files`` gives once it is added, so the dialog's priorities map one to one. ``preview_magnet``
checks a magnet link and returns its id and (sanitized) name; its files are known only once its metadata arrives.

Pure functions, any thread; ``preview_torrent_file`` reads the disk (call it from a worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import libtorrent as lt

from app.engine.torrent_source import params_from_bytes, params_from_file, params_from_magnet, torrent_id_of
from app.engine.types import FileEntry, TorrentId


@dataclass(frozen=True, slots=True)
class TorrentPreview:
    torrent_id: TorrentId
    name: str
    files: tuple[FileEntry, ...]  # empty for a magnet (until its metadata arrives)
    total_size: int


def preview_torrent_file(path: Path) -> TorrentPreview:
    return _preview(params_from_file(Path(path)))


def preview_torrent_bytes(data: bytes) -> TorrentPreview:
    return _preview(params_from_bytes(data))


def preview_magnet(uri: str) -> TorrentPreview:
    params = params_from_magnet(uri)
    return TorrentPreview(torrent_id_of(params.info_hashes), params.name, (), 0)


def _preview(params: lt.add_torrent_params) -> TorrentPreview:
    info = params.ti
    assert info is not None  # params_from_* refuse a .torrent without metadata
    layout = info.layout()
    files = tuple(
        FileEntry(index=i, path=layout.file_path(i).replace("\\", "/"), size=layout.file_size(i), downloaded=0,
                  priority=4)
        for i in range(layout.num_files())
        if not layout.file_flags(i) & lt.file_storage.flag_pad_file
    )
    return TorrentPreview(torrent_id_of(info.info_hashes()), info.name(), files, sum(f.size for f in files))
