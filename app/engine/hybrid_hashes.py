"""Hybrid (v1+v2) torrent hashes computed while the bytes stream past — so the creator's publish reads its files
once: the encryption loop hands each ciphertext chunk to a ``FileHasher`` instead of libtorrent re-reading
everything afterwards (writing and hashing overlap, the second read disappears).

``FileHasher`` keeps, per file, the v1 SHA-1 of each piece (the last one padded with zeros up to the piece size, as
libtorrent's hybrid torrents pad every file with a pad file) and the v2 SHA-256 Merkle tree over 16 KiB blocks
(BEP 52: piece-layer hashes, and the file's ``pieces root``, leaves beyond the end set to zero). ``hybrid_torrent``
assembles the .torrent in libtorrent's canonical file order; tests check its info-hashes equal libtorrent's own
``create_torrent`` of the same folder. Pure and thread-agnostic; memory is O(pieces).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import libtorrent as lt

BLOCK = 16 * 1024
_ZERO = bytes(32)


def _merkle(leaves: Sequence[bytes], width: int, pad: bytes = _ZERO) -> bytes:
    """The root over ``leaves`` padded with ``pad`` to ``width`` (a power of two)."""
    level = list(leaves) + [pad] * (width - len(leaves))
    while len(level) > 1:
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def _pow2(n: int) -> int:
    width = 1
    while width < n:
        width *= 2
    return width


@dataclass
class FileHasher:
    """Feed one file's bytes in order (any chunk sizes); then ``finish``."""

    path: str  # '/'-separated inside the torrent's top folder
    size: int
    piece_size: int
    _buffer: bytearray = field(default_factory=bytearray)
    _fed: int = 0
    v1: list[bytes] = field(default_factory=list)
    layer: list[bytes] = field(default_factory=list)  # v2 piece-layer hashes
    _single_leaves: list[bytes] = field(default_factory=list)

    def feed(self, data: bytes) -> None:
        self._fed += len(data)
        if self._fed > self.size:
            raise ValueError(f"{self.path}: more bytes than its size")
        self._buffer += data
        while len(self._buffer) >= self.piece_size:
            self._piece(bytes(self._buffer[: self.piece_size]))
            del self._buffer[: self.piece_size]

    def _piece(self, piece: bytes) -> None:
        self.v1.append(hashlib.sha1(piece + bytes(-len(piece) % self.piece_size)).digest())  # noqa: S324 - BEP 3
        leaves = [hashlib.sha256(piece[i : i + BLOCK]).digest() for i in range(0, len(piece), BLOCK)]
        if self.size <= self.piece_size:
            self._single_leaves = leaves
        self.layer.append(_merkle(leaves, self.piece_size // BLOCK))

    def finish(self) -> None:
        if self._fed != self.size:
            raise ValueError(f"{self.path}: {self._fed} bytes fed of {self.size}")
        if self._buffer:
            self._piece(bytes(self._buffer))
            self._buffer.clear()

    @property
    def pieces_root(self) -> bytes:
        if self.size <= self.piece_size:  # one piece: the tree is just as wide as the file's blocks
            return _merkle(self._single_leaves, _pow2(len(self._single_leaves)))
        pad = _merkle([], self.piece_size // BLOCK)  # a piece of zero leaves
        return _merkle(self.layer, _pow2(len(self.layer)), pad)


def _bencode(value: object, out: list[bytes]) -> None:
    if isinstance(value, int):
        out.append(b"i%de" % value)
    elif isinstance(value, bytes | str):
        raw = value.encode() if isinstance(value, str) else value
        out.append(b"%d:%s" % (len(raw), raw))
    elif isinstance(value, list):
        out.append(b"l")
        for item in value:
            _bencode(item, out)
        out.append(b"e")
    elif isinstance(value, dict):
        out.append(b"d")
        for key in sorted(value, key=lambda k: k.encode() if isinstance(k, str) else k):
            _bencode(key, out)
            _bencode(value[key], out)
        out.append(b"e")
    else:
        raise TypeError(f"cannot bencode {type(value).__name__}")


def bencode(value: object) -> bytes:
    out: list[bytes] = []
    _bencode(value, out)
    return b"".join(out)


def canonical_order(paths: Sequence[str]) -> list[str]:
    """libtorrent's order of a v2 torrent's files: by path components, byte-wise (the file tree's key order)."""
    return sorted(paths, key=lambda p: [part.encode() for part in p.split("/")])


def hybrid_torrent(
    name: str, hashers: Sequence[FileHasher], piece_size: int, *, tracker_url: str | None = None
) -> bytes:
    """The bencoded hybrid .torrent of files hashed in ``hashers`` (any order; each finished, none empty)."""
    by_path = {h.path: h for h in hashers}
    files: list[dict[str, object]] = []
    tree: dict[str, object] = {}
    pieces: list[bytes] = []
    layers: dict[bytes, bytes] = {}
    for path in canonical_order(list(by_path)):
        hasher = by_path[path]
        if hasher.size == 0:
            raise ValueError(f"{path}: empty files are hashed by create_torrent")
        parts = path.split("/")
        files.append({"length": hasher.size, "path": parts})
        pad = -hasher.size % piece_size
        if pad:
            files.append({"attr": "p", "length": pad, "path": [".pad", str(pad)]})
        node = tree
        for part in parts:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        root = hasher.pieces_root
        node[""] = {"length": hasher.size, "pieces root": root}
        pieces.extend(hasher.v1)
        if hasher.size > piece_size:
            layers[root] = b"".join(hasher.layer)
    info = {
        "name": name,
        "piece length": piece_size,
        "meta version": 2,
        "file tree": tree,
        "files": files,
        "pieces": b"".join(pieces),
    }
    torrent: dict[str, object] = {"info": info, "piece layers": layers, "created by": "Bundlecast"}
    if tracker_url:
        torrent["announce"] = tracker_url
    data = bencode(torrent)
    lt.load_torrent_buffer(data)  # libtorrent must accept what we made (raises on any inconsistency)
    return data
