"""The watched folder on a real engine: a dropped .torrent is added once (not while half-written), then moved to
added/ (or deleted); junk and temporary names are left alone or reported once and moved to failed/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.automation.watched_folder import WatchedFolder
from app.engine import Engine, EngineSettings
from tests.engine.helpers import info_hash_hex, make_torrent, write_payload
from tests.support.net import loopback_address


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    yield engine
    engine.shutdown()


def _torrent(tmp_path: Path, name: str) -> bytes:
    write_payload(tmp_path / "made" / name, {"f.bin": 40_000})
    return make_torrent(tmp_path / "made" / name)


def test_a_dropped_torrent_is_added_once_and_moved_away(engine: Engine, tmp_path: Path) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    folder = WatchedFolder(watched, lambda path: engine.add_torrent_file(path, tmp_path / "downloads"))
    data = _torrent(tmp_path, "Dropped")
    target = watched / "Dropped.torrent"
    target.write_bytes(data[: len(data) // 2])  # a copy still being written
    assert folder.scan().added == ()
    with target.open("ab") as handle:
        handle.write(data[len(data) // 2 :])
    assert folder.scan().added == ()  # changed since the last look: still settling
    result = folder.scan()
    assert result.added == (("Dropped.torrent", info_hash_hex(data)),)
    assert engine.torrent_ids() == [info_hash_hex(data)]
    assert not target.exists() and (watched / "added" / "Dropped.torrent").read_bytes() == data
    assert folder.scan() == folder.scan()
    assert folder.scan().added == ()
    assert engine.torrent_ids() == [info_hash_hex(data)]


def test_junk_is_reported_once_and_temporary_names_are_left_alone(engine: Engine, tmp_path: Path) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    folder = WatchedFolder(watched, lambda path: engine.add_torrent_file(path, tmp_path / "downloads"),
                           delete_after=True)
    (watched / "notes.txt").write_text("not a torrent")
    (watched / ".hidden.torrent").write_bytes(_torrent(tmp_path, "Hidden"))
    (watched / "movie.torrent.part").write_bytes(b"d8:announce")
    junk = watched / "junk.torrent"
    junk.write_bytes(b"this is not bencoded")
    old = junk.stat().st_mtime - 3600
    os.utime(junk, (old, old))  # written an hour ago: not a writer pausing
    good = _torrent(tmp_path, "Good")
    (watched / "Good.torrent").write_bytes(good)
    folder.scan()
    result = folder.scan()
    assert result.added == (("Good.torrent", info_hash_hex(good)),)
    assert [name for name, _ in result.refused] == ["junk.torrent"]
    assert "not a .torrent file" in result.refused[0][1]
    assert not (watched / "Good.torrent").exists()  # deleted, as chosen
    assert (watched / "failed" / "junk.torrent").exists()
    assert sorted(p.name for p in watched.iterdir() if p.is_file()) == [".hidden.torrent", "movie.torrent.part",
                                                                         "notes.txt"]
    assert folder.scan().refused == ()  # reported once
    assert engine.torrent_ids() == [info_hash_hex(good)]
