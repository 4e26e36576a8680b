"""Bad input gets the engine's clear error, no crash, and nothing written outside the save path."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import libtorrent as lt
import pytest

from app.engine import (
    Engine,
    EngineError,
    EngineSettings,
    InvalidMagnetError,
    InvalidTorrentError,
    TorrentState,
    UnknownTorrentError,
)
from app.engine.torrent_source import MAX_TORRENT_BYTES
from tests.engine.helpers import make_torrent, tree_bytes, wait_snapshot, write_payload
from tests.support.net import free_port, loopback_address


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    yield engine
    engine.shutdown()


@pytest.fixture
def good_torrent(tmp_path: Path) -> bytes:
    write_payload(tmp_path / "src", {"a.bin": 100_000})
    return make_torrent(tmp_path / "src" / "a.bin", 16384, "hybrid")


def test_truncated_torrent_is_refused_with_a_reason(engine: Engine, good_torrent: bytes, tmp_path: Path) -> None:
    for cut in (1, 10, len(good_torrent) // 2, len(good_torrent) - 1):
        with pytest.raises(InvalidTorrentError, match=r"damaged or incomplete|not a \.torrent"):
            engine.add_torrent_bytes(good_torrent[:cut], tmp_path / "dl")
    assert engine.torrent_ids() == []


@pytest.mark.parametrize(
    "garbage",
    [b"", b"hello world", b"<html>not found</html>", b"\x00" * 5000, b"d4:infoi42ee", b"de", b"d8:announce3:urle"],
)
def test_garbage_is_refused(engine: Engine, tmp_path: Path, garbage: bytes) -> None:
    with pytest.raises(InvalidTorrentError):
        engine.add_torrent_bytes(garbage, tmp_path / "dl")
    assert engine.torrent_ids() == []


def test_bencode_bombs_are_refused(engine: Engine, tmp_path: Path) -> None:
    deep = b"d4:info" + b"l" * 200_000 + b"e" * 200_000 + b"e"
    many_tokens = b"d4:infol" + b"le" * 4_000_000 + b"ee"
    for bomb in (deep, many_tokens):
        with pytest.raises(InvalidTorrentError):
            engine.add_torrent_bytes(bomb, tmp_path / "dl")
    assert engine.torrent_ids() == []


def test_oversized_torrent_file_is_refused_before_parsing(engine: Engine, tmp_path: Path) -> None:
    huge = tmp_path / "huge.torrent"
    with huge.open("wb") as out:
        out.truncate(MAX_TORRENT_BYTES + 1)  # sparse: refusing it must not need reading it
    with pytest.raises(InvalidTorrentError, match="too large"):
        engine.add_torrent_file(huge, tmp_path / "dl")
    with pytest.raises(InvalidTorrentError, match="can't find the file"):
        engine.add_torrent_file(tmp_path / "missing.torrent", tmp_path / "dl")


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "http://example.com/file.torrent",
        "magnet:?dn=no-hash",
        "magnet:?xt=urn:btih:1234",
        "magnet:?xt=urn:btih:" + "z" * 40,
        "magnet:?xt=urn:sha1:" + "a" * 40,
        "magnet:?xt=urn:btmh:1220" + "a" * 10,
        "magnet:?xt=urn:btih:" + "a" * 40 + "&" + "x" * 70_000,
    ],
)
def test_bad_magnets_are_refused(engine: Engine, tmp_path: Path, uri: str) -> None:
    with pytest.raises(InvalidMagnetError):
        engine.add_magnet(uri, tmp_path / "dl")
    assert engine.torrent_ids() == []


def test_magnet_display_name_never_becomes_a_path(engine: Engine, tmp_path: Path) -> None:
    tid = engine.add_magnet("magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=..%2F..%2F%2Fetc%2Fevil", tmp_path / "dl")
    name = engine.snapshot(tid).name
    assert "/" not in name and ".." not in name
    assert name == "etc evil"


def test_unknown_torrent_ids_get_a_clear_error(engine: Engine) -> None:
    with pytest.raises(UnknownTorrentError):
        engine.snapshot("00" * 20)
    with pytest.raises(UnknownTorrentError):
        engine.pause("00" * 20)
    with pytest.raises(UnknownTorrentError):
        engine.open_stream("00" * 20, 0)


def test_wrong_file_priorities_and_indices_are_refused(engine: Engine, good_torrent: bytes, tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="file priorities"):
        engine.add_torrent_bytes(good_torrent, tmp_path / "dl", file_priorities=[4, 4, 4])
    tid = engine.add_torrent_bytes(good_torrent, tmp_path / "dl")
    with pytest.raises(EngineError, match="0 \\(skip\\) to 7"):
        engine.set_file_priorities(tid, [9])
    with pytest.raises(EngineError, match="no file number 5"):
        engine.file_path(tid, 5)


def _traversal_torrent(files: list[tuple[list[str], bytes]]) -> bytes:
    """A v1 torrent written by hand whose file paths try to leave the save path."""
    piece_length = 16384
    blob = b"".join(data for _, data in files)
    pieces = b"".join(hashlib.sha1(blob[i : i + piece_length]).digest() for i in range(0, len(blob), piece_length))
    info = {
        b"name": b"../../escape",
        b"piece length": piece_length,
        b"pieces": pieces,
        b"files": [{b"length": len(data), b"path": [p.encode() for p in path]} for path, data in files],
    }
    return bytes(lt.bencode({b"info": info}))


def test_traversal_file_names_never_write_outside_the_save_path(tmp_path: Path) -> None:
    payloads = [
        (["..", "..", "..", "evil.txt"], b"a" * 20_000),
        (["/etc", "passwd-copy"], b"b" * 30_000),
        (["ok", "..", "..", "x.bin"], b"c" * 10_000),
    ]
    torrent = _traversal_torrent(payloads)
    seed_address, leech_address = loopback_address(), loopback_address()
    seed_port = free_port(seed_address)
    seeder = Engine(EngineSettings.for_loopback_tests(seed_address, seed_port), tmp_path / "seed-state")
    leecher = Engine(EngineSettings.for_loopback_tests(leech_address), tmp_path / "leech-state")
    seeder.start()
    leecher.start()
    try:
        seed_root = tmp_path / "jail" / "seed"
        sid = seeder.add_torrent_bytes(torrent, seed_root, paused=True)
        for entry in seeder.files(sid):
            assert not entry.path.startswith("/") and ".." not in entry.path.split("/")
            data = dict(zip(range(len(payloads)), [p for _, p in payloads], strict=True))[entry.index]
            target = seeder.file_path(sid, entry.index)
            assert seed_root.resolve() in target.resolve().parents
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        seeder.force_recheck(sid)
        seeder.resume(sid)
        wait_snapshot(seeder, sid, lambda s: s.state is TorrentState.SEEDING, 30, "seeder verified its files")
        leech_root = tmp_path / "jail" / "inner" / "leech"
        lid = leecher.add_torrent_bytes(torrent, leech_root)
        leecher.connect_peer(lid, seed_address, seed_port)
        wait_snapshot(leecher, lid, lambda s: s.state is TorrentState.SEEDING, 60, "leecher complete")
        assert sorted(tree_bytes(leech_root).values()) == sorted(p for _, p in payloads)
    finally:
        leecher.shutdown()
        seeder.shutdown()
    # Nothing outside the two save paths, anywhere up the tree.
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and "state" not in p.parts[len(tmp_path.parts)]]
    for path in outside:
        assert seed_root in path.parents or leech_root in path.parents, path
    assert not (tmp_path / "evil.txt").exists() and not Path("/etc/passwd-copy").exists()


def test_bad_peer_addresses_get_a_clear_error(engine: Engine, tmp_path: Path) -> None:
    tid = engine.add_magnet("magnet:?xt=urn:btih:" + "ab" * 20, tmp_path / "dl")
    with pytest.raises(EngineError, match="Cannot find the computer"):
        engine.connect_peer(tid, "no such host.invalid", 6881)
    with pytest.raises(EngineError, match="not a valid port"):
        engine.connect_peer(tid, "127.0.0.2", 0)
