"""``inspect_torrent``: what a .torrent describes, read by libtorrent — hashes equal to those libtorrent gives an
added torrent, files in libtorrent's order with pads flagged, and a sentence for bytes that are not a torrent."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine import Engine, EngineSettings, InvalidTorrentError, inspect_torrent
from tests.engine.helpers import make_torrent, torrent_file_paths, write_payload
from tests.support.net import loopback_address


def test_a_hybrid_torrent_is_described_as_the_engine_adds_it(tmp_path: Path) -> None:
    content = tmp_path / "Bundle"
    write_payload(content, {"a/one.bin": 70_000, "two.bin": 20_000})
    data = make_torrent(content, version="hybrid")
    info = inspect_torrent(data)
    assert info.name == "Bundle" and info.multi_file
    assert info.info_hash_v1 is not None and len(info.info_hash_v1) == 40
    assert info.info_hash_v2 is not None and len(info.info_hash_v2) == 64
    assert [f"Bundle/{f.path}" for f in info.files] == torrent_file_paths(data)  # one per libtorrent index
    assert {f.path: f.size for f in info.files if not f.pad} == {"a/one.bin": 70_000, "two.bin": 20_000}
    assert any(f.pad for f in info.files)  # hybrid torrents align files with pad files
    assert info.total_size == sum(f.size for f in info.files)
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    try:
        assert engine.add_torrent_bytes(data, tmp_path / "dl") == info.id == info.info_hash_v1
    finally:
        engine.shutdown()


def test_a_single_file_torrent_has_no_top_folder(tmp_path: Path) -> None:
    write_payload(tmp_path / "one", {"film.mp4": 40_000})
    info = inspect_torrent(make_torrent(tmp_path / "one" / "film.mp4", version="v1"))
    assert not info.multi_file and info.file_paths == ("film.mp4",) and info.info_hash_v2 is None


@pytest.mark.parametrize("data", [b"", b"<html>not a torrent</html>", b"d4:infod4:name1:x"])
def test_bytes_that_are_not_a_torrent_are_refused_with_a_sentence(data: bytes) -> None:
    with pytest.raises(InvalidTorrentError) as refused:
        inspect_torrent(data)
    assert str(refused.value).startswith("Th")


def test_a_truncated_torrent_is_refused(tmp_path: Path) -> None:
    write_payload(tmp_path / "B", {"x.bin": 50_000})
    data = make_torrent(tmp_path / "B")
    with pytest.raises(InvalidTorrentError):
        inspect_torrent(data[: len(data) // 2])
