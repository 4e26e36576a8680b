"""Files stored under other names on disk than the torrent's (``file_names`` at add, ``rename_files`` later):
the torrent is the same, the data is found and seeded under the new name, and the names survive a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine import Engine, EngineError, EngineSettings, TorrentState
from tests.engine.helpers import make_torrent, torrent_file_paths, wait_snapshot, write_payload
from tests.support.net import loopback_address


def _index_of(torrent: bytes, path: str) -> int:
    return torrent_file_paths(torrent).index(path)


def test_a_file_named_at_add_is_checked_and_seeded_under_that_name_across_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    contents = write_payload(data / "album", {"01.flac": 300_000, "02.flac": 200_000})
    torrent = make_torrent(data / "album", 16384, "hybrid")
    (data / "album" / "02.flac").rename(data / "album" / "02.flac.locked")  # the data sits under the new name
    index = _index_of(torrent, "album/02.flac")
    settings = EngineSettings.for_loopback_tests(loopback_address())
    engine = Engine(settings, tmp_path / "state")
    engine.start()
    try:
        tid = engine.add_torrent_bytes(torrent, data, file_names={index: "album/02.flac.locked"})
        wait_snapshot(engine, tid, lambda s: s.state is TorrentState.SEEDING, 30, "seeding from the renamed file")
        assert engine.file_path(tid, index) == (data / "album" / "02.flac.locked").resolve()
        assert [f.path for f in engine.files(tid)] == ["album/01.flac", "album/02.flac"]  # the torrent's names
        assert not (data / "album" / "02.flac").exists()
    finally:
        engine.shutdown()
    again = Engine(settings, tmp_path / "state")
    again.start()
    try:
        wait_snapshot(again, tid, lambda s: s.state is TorrentState.SEEDING and s.progress >= 1.0, 30, "restored")
        assert again.file_path(tid, index).read_bytes() == contents["02.flac"]
    finally:
        again.shutdown()


def test_rename_files_moves_existing_data_and_refuses_names_outside_the_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    contents = write_payload(data / "album", {"01.flac": 300_000, "02.flac": 200_000})
    torrent = make_torrent(data / "album", 16384, "hybrid")
    index = _index_of(torrent, "album/01.flac")
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    try:
        tid = engine.add_torrent_bytes(torrent, data)
        wait_snapshot(engine, tid, lambda s: s.state is TorrentState.SEEDING, 30, "seeding")
        engine.rename_files(tid, {index: "album/01.flac.locked"})
        assert (data / "album" / "01.flac.locked").read_bytes() == contents["01.flac"]
        assert not (data / "album" / "01.flac").exists()
        engine.rename_files(tid, {index: "album/01.flac.locked"})  # already so: nothing to do
        for bad in ("../escape.flac", "/etc/passwd", "album/../../x"):
            with pytest.raises(EngineError):
                engine.rename_files(tid, {index: bad})
        with pytest.raises(EngineError):
            engine.rename_files(tid, {99: "album/x"})
    finally:
        engine.shutdown()
