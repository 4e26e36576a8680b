"""``inspect_torrent(bytes)``: what a .torrent describes — name, info-hashes, files and sizes — without adding it.

The store's signed manifest pins a bundle's info-hash; the library checks a downloaded .torrent against it and
builds file priorities by path before the engine ever adds it. libtorrent parses the bytes (with the same size and
bencode limits as ``add_torrent_bytes``); the answer is a frozen ``TorrentInfo``, so no ``lt.*`` object leaves the
engine. Pure; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import libtorrent as lt

from app.engine.torrent_source import params_from_bytes, torrent_id_of
from app.engine.types import TorrentId


@dataclass(frozen=True, slots=True)
class TorrentFileInfo:
    """One file of a torrent, by libtorrent's file index (pad files of hybrid torrents included, flagged)."""

    index: int
    path: str  # '/'-joined, relative to the torrent's top folder (the name alone for a single-file torrent)
    size: int
    pad: bool


@dataclass(frozen=True, slots=True)
class TorrentInfo:
    id: TorrentId  # the id the engine will give the torrent once added
    name: str
    info_hash_v1: str | None  # 40 hex
    info_hash_v2: str | None  # full 64 hex SHA-256
    files: tuple[TorrentFileInfo, ...]  # in torrent order: one per libtorrent file index
    total_size: int

    @property
    def multi_file(self) -> bool:
        return len(self.files) != 1 or self.files[0].path != self.name

    @property
    def file_paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)


def inspect_torrent(data: bytes) -> TorrentInfo:
    """Read a .torrent's bytes; ``InvalidTorrentError`` (a sentence) when they are not a usable torrent."""
    info = params_from_bytes(data).ti
    assert info is not None  # params_from_bytes always sets it
    storage = info.layout()
    name = info.name()
    files = []
    for index in range(storage.num_files()):
        full = storage.file_path(index).replace("\\", "/")
        path = full.split("/", 1)[1] if "/" in full and full.startswith(name + "/") else full
        pad = bool(storage.file_flags(index) & lt.file_storage.flag_pad_file)
        files.append(TorrentFileInfo(index, path, storage.file_size(index), pad))
    hashes = info.info_hashes()
    return TorrentInfo(
        id=torrent_id_of(hashes),
        name=name,
        info_hash_v1=str(hashes.v1) if hashes.has_v1() else None,
        info_hash_v2=str(hashes.v2) if hashes.has_v2() else None,
        files=tuple(files),
        total_size=info.total_size(),
    )
