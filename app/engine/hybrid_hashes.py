"""Hybrid (v1+v2) torrent hashes computed while the bytes stream past — so the creator's publish reads its files
once: the encryption loop hands each ciphertext chunk to a ``FileHasher`` instead of libtorrent re-reading
everything afterwards (writing and hashing overlap, the second read disappears).

``FileHasher`` keeps, per file, the v1 SHA-1 of each piece (the last one padded with zeros up to the piece size, as
libtorrent's hybrid torrents pad every file with a pad file when there are several — a lone file gets no pad, so
its unpadded last SHA-1 is kept too) and the v2 SHA-256 Merkle tree over 16 KiB blocks
(BEP 52: piece-layer hashes, and the file's ``pieces root``, leaves beyond the end set to zero). ``hybrid_torrent``
assembles the .torrent in libtorrent's canonical file order; tests check its info-hashes equal libtorrent's own
``create_torrent`` of the same folder. Pure and thread-agnostic; memory is O(pieces).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
    """Feed one file's bytes in order (any chunk sizes); then ``finish``.

    The v1 and v2 halves keep separate positions, so two threads may feed them at once (``part="v1"`` and
    ``part="v2"``; hashlib releases the GIL) — or one caller feeds both (the default).
    """

    path: str  # '/'-separated inside the torrent's top folder
    size: int
    piece_size: int
    v1: list[bytes] = field(default_factory=list)
    layer: list[bytes] = field(default_factory=list)  # v2 piece-layer hashes
    _fed: dict[str, int] = field(default_factory=lambda: {"v1": 0, "v2": 0})
    _sha1: Any = None  # the running SHA-1 of the current piece (hashlib's type is private)
    _leaves: list[bytes] = field(default_factory=list)  # v2 leaves of the current piece
    _single_leaves: list[bytes] = field(default_factory=list)
    _block: bytearray = field(default_factory=bytearray)
    v1_unpadded_tail: bytes | None = None  # the last piece's SHA-1 without the pad's zeros (a lone file's)

    def feed(self, data: bytes | bytearray | memoryview, part: str = "both") -> None:
        if part in ("both", "v1"):
            self._feed_v1(data)
        if part in ("both", "v2"):
            self._feed_v2(data)

    def _feed_v1(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            fed = self._fed["v1"]
            if fed + len(view) > self.size:
                raise ValueError(f"{self.path}: more bytes than its size")
            if self._sha1 is None:
                self._sha1 = hashlib.sha1()  # noqa: S324 - BEP 3 piece hashes are SHA-1
            room = self.piece_size - fed % self.piece_size
            take = view[:room]
            self._sha1.update(take)
            self._fed["v1"] = fed + len(take)
            view = view[len(take) :]
            if self._fed["v1"] % self.piece_size == 0:
                self.v1.append(self._sha1.digest())
                self._sha1 = None

    def _feed_v2(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        if self._fed["v2"] + len(view) > self.size:
            raise ValueError(f"{self.path}: more bytes than its size")
        self._fed["v2"] += len(view)
        if self._block:  # complete the block a previous chunk left partial
            need = BLOCK - len(self._block)
            self._block += view[:need]
            view = view[need:]
            if len(self._block) < BLOCK:
                return
            self._leaf(hashlib.sha256(self._block).digest())
            self._block = bytearray()
        whole = len(view) - len(view) % BLOCK
        # The hot loop (65,536 blocks a GiB): hash memoryview slices (no copy), close a piece every piece_size.
        sha256, leaves, per_piece = hashlib.sha256, self._leaves, self.piece_size // BLOCK
        for start in range(0, whole, BLOCK):
            leaves.append(sha256(view[start : start + BLOCK]).digest())
            if len(leaves) == per_piece:
                self._close_piece()
                leaves = self._leaves
        if whole < len(view):
            self._block += view[whole:]

    def _leaf(self, leaf: bytes) -> None:
        self._leaves.append(leaf)
        if len(self._leaves) == self.piece_size // BLOCK:
            self._close_piece()

    def _close_piece(self) -> None:
        if self.size <= self.piece_size:
            self._single_leaves = list(self._leaves)
        self.layer.append(_merkle(self._leaves, self.piece_size // BLOCK))
        self._leaves = []

    def finish(self) -> None:
        if self._fed["v1"] != self.size or self._fed["v2"] != self.size:
            fed = min(self._fed.values())
            raise ValueError(f"{self.path}: {fed} bytes fed of {self.size}")
        if self._sha1 is not None:
            self.v1_unpadded_tail = self._sha1.copy().digest()
            self._sha1.update(bytes(-self.size % self.piece_size))  # pad file zeros
            self.v1.append(self._sha1.digest())
            self._sha1 = None
        if self._block:
            self._leaves.append(hashlib.sha256(self._block).digest())
            self._block = bytearray()
        if self._leaves:
            self._close_piece()

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
        raise TypeError(f"A torrent file cannot hold a value of type {type(value).__name__}.")


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
        pad = -hasher.size % piece_size if len(by_path) > 1 else 0  # libtorrent pads no lone file
        if pad:
            files.append({"attr": "p", "length": pad, "path": [".pad", str(pad)]})
        node = tree
        for part in parts:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        root = hasher.pieces_root
        node[""] = {"length": hasher.size, "pieces root": root}
        if pad or hasher.v1_unpadded_tail is None:
            pieces.extend(hasher.v1)
        else:
            pieces.extend([*hasher.v1[:-1], hasher.v1_unpadded_tail])
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
