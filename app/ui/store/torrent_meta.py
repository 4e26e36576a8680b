"""What the UI must know of a bundle's .torrent before handing it to the engine: its info-hashes and file paths.

The signed manifest pins the bundle's info-hash; ``read_torrent_meta`` computes the hashes of the .torrent's
raw ``info`` dictionary (SHA-1 for v1, SHA-256 for v2) so a torrent that does not match is refused before
the engine sees it, and lists the files in the torrent's order (pad files included) so file priorities can
be built by path. A minimal bencode reader; bounded by the input's length. Pure, any thread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.ui.errors import TorrentMetaError

__all__ = ["TorrentMeta", "TorrentMetaError", "read_torrent_meta"]


@dataclass(frozen=True, slots=True)
class TorrentMeta:
    info_hash_v1: str
    info_hash_v2: str | None  # full SHA-256 hex when the torrent has a v2 part
    name: str
    file_paths: tuple[str, ...]  # '/'-joined, relative to the torrent's top folder, in torrent order


def _decode(data: bytes, pos: int) -> tuple[object, int]:
    token = data[pos : pos + 1]
    if token == b"i":
        end = data.index(b"e", pos)
        return int(data[pos + 1 : end]), end + 1
    if token in (b"l", b"d"):
        pos += 1
        items: list[object] = []
        while data[pos : pos + 1] != b"e":
            if pos >= len(data):
                raise TorrentMetaError("The .torrent is truncated.")
            item, pos = _decode(data, pos)
            items.append(item)
        if token == b"l":
            return items, pos + 1
        return {items[i]: items[i + 1] for i in range(0, len(items) - 1, 2)}, pos + 1
    if token.isdigit():
        colon = data.index(b":", pos)
        length = int(data[pos:colon])
        end = colon + 1 + length
        if end > len(data):
            raise TorrentMetaError("The .torrent is truncated.")
        return data[colon + 1 : end], end
    raise TorrentMetaError("This is not a .torrent file.")


def _info_span(data: bytes) -> tuple[int, int]:
    """Start and end offsets of the raw ``info`` value in the top-level dictionary."""
    if data[:1] != b"d":
        raise TorrentMetaError("The .torrent is not a dictionary.")
    pos = 1
    while data[pos : pos + 1] != b"e":
        key, pos = _decode(data, pos)
        start = pos
        _, pos = _decode(data, pos)
        if key == b"info":
            return start, pos
    raise TorrentMetaError("The .torrent has no info dictionary.")


def read_torrent_meta(data: bytes) -> TorrentMeta:
    """Hashes, name and file list of a .torrent; ``TorrentMetaError`` when it cannot be read."""
    try:
        start, end = _info_span(data)
        info, _ = _decode(data, start)
    except (ValueError, IndexError, RecursionError) as exc:
        if isinstance(exc, TorrentMetaError):
            raise
        raise TorrentMetaError("The .torrent is malformed.") from exc
    if not isinstance(info, dict):
        raise TorrentMetaError("The .torrent's info is not a dictionary.")
    raw = data[start:end]
    name = info.get(b"name", b"")
    name_text = name.decode("utf-8", "replace") if isinstance(name, bytes) else ""
    paths: list[str] = []
    files = info.get(b"files")
    if isinstance(files, list):
        for entry in files:
            parts = entry.get(b"path", []) if isinstance(entry, dict) else []
            paths.append("/".join(p.decode("utf-8", "replace") for p in parts if isinstance(p, bytes)))
    else:
        paths.append(name_text)
    has_v2 = b"file tree" in info
    return TorrentMeta(
        info_hash_v1=hashlib.sha1(raw).hexdigest(),  # noqa: S324 -- BitTorrent v1's identifier is SHA-1
        info_hash_v2=hashlib.sha256(raw).hexdigest() if has_v2 else None,
        name=name_text,
        file_paths=tuple(paths),
    )
