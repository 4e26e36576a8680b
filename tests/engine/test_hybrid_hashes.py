"""The streaming hybrid hasher makes byte-for-byte the info dict libtorrent's own ``create_torrent`` makes for the
same folder (so both info-hashes match), for files smaller than a piece, exactly one piece, a piece and a byte,
and several pieces, fed in odd-sized chunks; and the creator-side ``create_torrent`` verb cancels when asked."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import libtorrent as lt
import pytest

from app.engine import FileHasher, TorrentMakingCancelled, create_torrent, hybrid_torrent

PIECE = 256 * 1024
BLOCK = 16 * 1024


def _info_hashes(data: bytes) -> tuple[str, str]:
    hashes = lt.load_torrent_buffer(data).ti.info_hashes()
    return str(hashes.v1), str(hashes.v2)


def test_streamed_hashes_make_the_torrent_libtorrent_makes(tmp_path: Path) -> None:
    top = tmp_path / "Lumen Drift"
    sizes = {"a.bin": 40_000, "b.bin": 3 * PIECE + 5000, "sub/c.bin": PIECE, "sub/d.bin": PIECE + 1, "e.bin": 7}
    hashers = []
    for rel, size in sizes.items():
        path = top / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = os.urandom(size)
        path.write_bytes(data)
        hasher = FileHasher(rel, size, PIECE)
        for start in range(0, size, 99_991):  # chunks that never align with pieces or blocks
            hasher.feed(data[start : start + 99_991])
        hasher.finish()
        hashers.append(hasher)
    ours = hybrid_torrent(top.name, list(reversed(hashers)), PIECE)
    theirs = create_torrent(top, piece_size=PIECE)
    assert _info_hashes(ours) == _info_hashes(theirs)


@pytest.mark.parametrize("chunk", [BLOCK - 1, BLOCK + 1, PIECE - 1, PIECE + 1, 3 * BLOCK + 5])
def test_memoryview_chunks_straddling_blocks_and_pieces_hash_like_libtorrent(tmp_path: Path, chunk: int) -> None:
    """The publishing pass feeds views of reused buffers, v1 and v2 separately; any chunking gives libtorrent's
    info dict, byte for byte."""
    top = tmp_path / "Lumen Drift"
    top.mkdir()
    data = os.urandom(2 * PIECE + 3 * BLOCK + 11)
    (top / "ep.bin").write_bytes(data)
    hasher = FileHasher("ep.bin", len(data), PIECE)
    reused = bytearray(chunk)
    for start in range(0, len(data), chunk):
        size = len(data[start : start + chunk])
        reused[:size] = data[start : start + chunk]
        hasher.feed(memoryview(reused)[:size], "v2")
        hasher.feed(memoryview(reused)[:size], "v1")
        reused[:] = bytes(chunk)  # the caller reuses its buffer as soon as feed returns
    hasher.finish()
    ours = lt.bdecode(hybrid_torrent(top.name, [hasher], PIECE))[b"info"]
    assert ours == lt.bdecode(create_torrent(top, piece_size=PIECE))[b"info"]


def test_a_hasher_refuses_more_or_fewer_bytes_than_the_file_has() -> None:
    hasher = FileHasher("x", 10, PIECE)
    with pytest.raises(ValueError, match="more bytes"):
        hasher.feed(bytes(11))
    short = FileHasher("y", 10, PIECE)
    short.feed(bytes(5))
    with pytest.raises(ValueError, match="5 bytes fed of 10"):
        short.finish()


def test_making_a_torrent_stops_when_cancelled(tmp_path: Path) -> None:
    (tmp_path / "top").mkdir()
    (tmp_path / "top" / "f.bin").write_bytes(os.urandom(4 * PIECE))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TorrentMakingCancelled):
        create_torrent(tmp_path / "top", piece_size=PIECE, cancel=cancel)
