"""Test helpers for the engine: payload files, .torrent creation (v1, v2, hybrid) and waiting on snapshots.

Used by tests/engine and tests/integration/test_engine_*.py. Torrent creation uses libtorrent directly
(tests may; the app may not outside app.engine).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import libtorrent as lt

from app.engine import Engine, TorrentSnapshot
from tests.support.waiting import wait_until  # re-exported: engine tests import it from here


def write_payload(root: Path, files: dict[str, int], seed: int = 1) -> dict[str, bytes]:
    """Create files of pseudo-random bytes under ``root``; returns their contents by relative path."""
    contents: dict[str, bytes] = {}
    for index, (relative, size) in enumerate(sorted(files.items())):
        data = _pseudo_random(size, seed * 1000 + index)
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        contents[relative] = data
    return contents


def _pseudo_random(size: int, seed: int) -> bytes:
    # Deterministic, incompressible, fast enough for a few MiB: SHA-256 in counter mode.
    out = bytearray()
    counter = 0
    key = seed.to_bytes(8, "little")
    while len(out) < size:
        out += hashlib.sha256(key + counter.to_bytes(8, "little")).digest() * 64
        counter += 1
    return bytes(out[:size])


def make_torrent(content: Path, piece_size: int = 16384, version: str = "hybrid") -> bytes:
    """Bencoded .torrent for a file or folder ``content`` (v1, v2 or hybrid)."""
    flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}[version]
    entries = lt.list_files(str(content), lambda _path: True)
    creator = lt.create_torrent(entries, piece_size, flags=flags)
    lt.set_piece_hashes(creator, str(content.parent))
    return bytes(lt.bencode(creator.generate()))


def torrent_file_paths(torrent: bytes) -> list[str]:
    """The torrent's file paths in libtorrent's file order (pad files included, as indices count them)."""
    layout = lt.torrent_info(torrent).layout()
    return [layout.file_path(i).replace(os.sep, "/") for i in range(layout.num_files())]


def info_hash_hex(torrent: bytes) -> str:
    info = lt.torrent_info(torrent)
    hashes = info.info_hashes()
    return str(hashes.v1) if hashes.has_v1() else str(hashes.get_best())


def wait_snapshot(
    engine: Engine, tid: str, predicate: Callable[[TorrentSnapshot], bool], timeout: float, what: str
) -> TorrentSnapshot:
    holder: list[TorrentSnapshot] = []

    def check() -> bool:
        snap = engine.snapshot(tid)
        if predicate(snap):
            holder.append(snap)
            return True
        return False

    wait_until(check, timeout, what)
    return holder[0]


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` by relative '/'-path (for byte-identical comparisons)."""
    return {
        str(path.relative_to(root)).replace(os.sep, "/"): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
