"""What a creator's hybrid torrent says about its content: files, where each starts in the piece space, and the
v1 piece hashes each uploaded piece must match.

A hybrid (v1+v2) torrent pads every file but the last to a piece boundary (BEP 47 pad files), so each piece
belongs to exactly one file: piece ``first_piece + k`` of a file is the file's bytes ``[k*P, (k+1)*P)``, and its
last piece is followed by ``pad_after`` zero bytes of the pad file. That lets the store check any piece-aligned
chunk of any file on its own, in any order. Pure; safe from any thread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from storefront.errors import InvalidInputError
from storefront.torrents import TorrentError, bdecode, info_hashes

MAX_TORRENT_BYTES = 32 * 1024 * 1024
_MIN_PIECE = 16 * 1024
_MAX_PIECE = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LaidOutFile:
    position: int  # among the real files
    torrent_index: int  # among all files, pad files included
    path: str
    size: int
    first_piece: int
    pad_after: int


@dataclass(frozen=True, slots=True)
class TorrentLayout:
    name: str
    piece_size: int
    files: tuple[LaidOutFile, ...]
    piece_hashes: bytes  # the v1 SHA-1s, 20 bytes each
    info_hash_v1: str
    info_hash_v2: str

    def file(self, position: int) -> LaidOutFile:
        if not 0 <= position < len(self.files):
            raise InvalidInputError(f"this bundle has no file number {position}.", code="unknown_file")
        return self.files[position]

    def check_chunk(self, entry: LaidOutFile, offset: int, data: bytes) -> None:
        """Refuse a chunk unless it is whole pieces of ``entry`` whose SHA-1s match the torrent's."""
        size = self.piece_size
        if offset % size:
            raise InvalidInputError(f"an upload starts at a piece boundary (a multiple of {size} bytes).")
        end = offset + len(data)
        if end > entry.size:
            raise InvalidInputError(f"{entry.path} has {entry.size} bytes; this upload runs past its end.")
        if len(data) % size and end != entry.size:
            raise InvalidInputError("an upload is whole pieces, or ends where the file ends.")
        for start in range(0, len(data), size):
            piece = data[start : start + size]
            if offset + start + len(piece) == entry.size:
                piece = piece + bytes(entry.pad_after)
            index = entry.first_piece + (offset + start) // size
            expected = self.piece_hashes[index * 20 : index * 20 + 20]
            if hashlib.sha1(piece).digest() != expected:  # noqa: S324 - BEP 3 piece hashes are SHA-1
                raise InvalidInputError(
                    f"bytes {offset + start}-{offset + start + len(piece)} of {entry.path} do not match the "
                    "torrent's piece hash: the upload must be exactly the published content.",
                    code="piece_mismatch",
                )


def _text(value: object, what: str) -> str:
    if not isinstance(value, bytes):
        raise InvalidInputError(f"the torrent's {what} is not a string.", code="bad_torrent")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"the torrent's {what} is not UTF-8.", code="bad_torrent") from exc


def read_layout(data: bytes) -> TorrentLayout:
    """The layout of a hybrid multi-file torrent; ``InvalidInputError`` with a sentence for anything else."""
    if len(data) > MAX_TORRENT_BYTES:
        raise InvalidInputError("the .torrent is larger than 32 MB.", code="bad_torrent")
    try:
        meta = bdecode(data)
        v1, v2 = info_hashes(data)
    except (TorrentError, ValueError, IndexError) as exc:
        raise InvalidInputError(f"the .torrent cannot be read: {exc}", code="bad_torrent") from exc
    info = meta.get(b"info") if isinstance(meta, dict) else None
    if not isinstance(info, dict):
        raise InvalidInputError("the .torrent has no info dictionary.", code="bad_torrent")
    if info.get(b"meta version") != 2 or b"file tree" not in info or b"pieces" not in info:
        raise InvalidInputError("the .torrent must be a hybrid v1+v2 torrent.", code="bad_torrent")
    piece_size = info.get(b"piece length")
    pieces = info.get(b"pieces")
    entries = info.get(b"files")
    if not isinstance(piece_size, int) or not _MIN_PIECE <= piece_size <= _MAX_PIECE:
        raise InvalidInputError("the .torrent's piece size is out of range.", code="bad_torrent")
    if not isinstance(pieces, bytes) or len(pieces) % 20 or not isinstance(entries, list) or not entries:
        raise InvalidInputError("the .torrent must list its files (a multi-file torrent).", code="bad_torrent")
    name = _text(info.get(b"name"), "name")
    files, total = _lay_out(entries, piece_size)
    if len(pieces) // 20 != -(-total // piece_size):
        raise InvalidInputError("the .torrent's piece count does not match its files.", code="bad_torrent")
    return TorrentLayout(name, piece_size, tuple(files), pieces, v1, v2)


def _lay_out(entries: list[object], piece_size: int) -> tuple[list[LaidOutFile], int]:
    """The real files with their first piece and trailing padding, and the total length with pads."""
    files: list[LaidOutFile] = []
    offset = 0
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get(b"length"), int):
            raise InvalidInputError("the .torrent has a malformed file entry.", code="bad_torrent")
        length = int(entry[b"length"])
        is_pad = b"p" in (entry.get(b"attr") or b"")
        if is_pad:
            if files and offset == files[-1].first_piece * piece_size + files[-1].size:
                last = files[-1]
                files[-1] = LaidOutFile(
                    last.position, last.torrent_index, last.path, last.size, last.first_piece, length
                )
        else:
            if offset % piece_size:
                raise InvalidInputError("the .torrent's files are not piece-aligned (not hybrid).", code="bad_torrent")
            parts = entry.get(b"path")
            if not isinstance(parts, list) or not parts:
                raise InvalidInputError("the .torrent has a file without a path.", code="bad_torrent")
            path = "/".join(_text(part, "file path") for part in parts)
            files.append(LaidOutFile(len(files), index, path, length, offset // piece_size, 0))
        offset += length
    return files, offset
