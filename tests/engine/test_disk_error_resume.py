"""Resume after a disk error never seeds a file with holes (docs/FIELD-NOTES-FOUND.md, stop 24).

libtorrent 2 hashes a piece from its write buffer, so after a failed write a piece can count as had that is not on
disk; ``clear_error`` + resume then seeded the holes, and ``force_recheck`` on that torrent ended in "v1 and v2
hashes do not describe the same data". Here the state is made without a full disk and for root too: the download
folder holds the first file (checked and had) and a plain *file* where the second file's folder must go, so every
write of the second file fails (ENOTDIR); then part of the first file is zeroed — the pieces libtorrent claims but
the disk lacks. A plain libtorrent seeder on its own loopback address supplies the missing pieces.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import libtorrent as lt
import pytest

from app.engine import Engine, EngineSettings, TorrentState
from tests.engine.helpers import make_torrent, tree_bytes, wait_snapshot, wait_until, write_payload
from tests.support.net import loopback_address
from tests.support.plain_libtorrent import loopback_session_settings

PIECE = 65536
BLOCK = 16384
FILES = {"01.bin": 1_000_000, "sub/02.bin": 400_000}


@pytest.fixture
def seeder(tmp_path: Path) -> Iterator[tuple[bytes, lt.session]]:
    write_payload(tmp_path / "seed" / "album", FILES)
    torrent = make_torrent(tmp_path / "seed" / "album", PIECE, "hybrid")
    session = lt.session(loopback_session_settings(loopback_address()))
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = str(tmp_path / "seed")
    session.add_torrent(params)
    wait_until(lambda: all(h.status().is_seeding for h in session.get_torrents()), 60, "seeder ready")
    yield torrent, session
    session.pause()


def _errored_with_pieces_not_on_disk(engine: Engine, torrent: bytes, seeder: lt.session, tmp_path: Path) -> str:
    """The torrent in ERROR after failed writes, claiming pieces of 01.bin that are zeros on disk now."""
    downloads = tmp_path / "dl"
    (downloads / "album").mkdir(parents=True)
    shutil.copyfile(tmp_path / "seed" / "album" / "01.bin", downloads / "album" / "01.bin")
    tid = engine.add_torrent_bytes(torrent, downloads)
    checked = wait_snapshot(engine, tid, lambda s: s.state is TorrentState.DOWNLOADING, 30, "checked")
    assert 0.5 < checked.progress < 1.0  # 01.bin is had, 02.bin is wanted
    (downloads / "album" / "sub").write_bytes(b"a file where 02.bin's folder must go")
    engine.connect_peer(tid, _address(seeder), seeder.listen_port())
    wait_snapshot(engine, tid, lambda s: s.state is TorrentState.ERROR, 30, "the write error")
    with (downloads / "album" / "01.bin").open("r+b") as damaged:
        damaged.seek(3 * PIECE + BLOCK)  # one block of piece 3: a piece partly written
        damaged.write(bytes(BLOCK))
        damaged.seek(7 * PIECE)  # all of piece 7
        damaged.write(bytes(PIECE))
    (downloads / "album" / "sub").unlink()  # the fan fixes the folder …
    return tid


def _assert_seeds_byte_identical(engine: Engine, tid: str, tmp_path: Path) -> None:
    done = wait_snapshot(
        engine, tid, lambda s: s.state in (TorrentState.SEEDING, TorrentState.ERROR), 60, "seeding (or an error)"
    )
    assert done.state is TorrentState.SEEDING and done.error is None, done
    assert tree_bytes(tmp_path / "dl" / "album") == tree_bytes(tmp_path / "seed" / "album")


def _address(session: lt.session) -> str:
    return str(session.get_settings()["listen_interfaces"]).rsplit(":", 1)[0]


def test_resume_after_a_disk_error_checks_again_and_finishes_byte_identical(
    tmp_path: Path, seeder: tuple[bytes, lt.session]
) -> None:
    torrent, session = seeder
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    try:
        tid = _errored_with_pieces_not_on_disk(engine, torrent, session, tmp_path)
        engine.resume(tid)  # … and resumes, as the sentence says
        wait_snapshot(engine, tid, lambda s: s.state is not TorrentState.ERROR, 30, "the error cleared")
        _assert_seeds_byte_identical(engine, tid, tmp_path)
    finally:
        engine.shutdown()


def test_a_restart_after_a_disk_error_checks_the_files_again(tmp_path: Path, seeder: tuple[bytes, lt.session]) -> None:
    torrent, session = seeder
    settings = EngineSettings.for_loopback_tests(loopback_address())
    first = Engine(settings, tmp_path / "state")
    first.start()
    try:
        tid = _errored_with_pieces_not_on_disk(first, torrent, session, tmp_path)
    finally:
        first.shutdown()  # the fan quits instead of resuming
    second = Engine(settings, tmp_path / "state")
    second.start()
    try:
        second.resume(tid)
        second.connect_peer(tid, _address(session), session.listen_port())
        _assert_seeds_byte_identical(second, tid, tmp_path)
    finally:
        second.shutdown()
