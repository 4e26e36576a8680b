""""First and last pieces first" on a real engine survives a restart like categories and tags: the menu's check
mark comes back and libtorrent gives each wanted file's first and last piece the top priority again (the others keep
their file's); turning it off is remembered too, a removed torrent leaves the book, and an unreadable file is set
aside."""

from __future__ import annotations

from pathlib import Path

import libtorrent as lt

from app.engine import Engine, EngineSettings
from app.engine.first_last_book import FIRST_LAST_FILE_NAME
from tests.engine.helpers import make_torrent, write_payload
from tests.support.net import loopback_address

PIECE = 16384


def _start(state: Path, address: str) -> Engine:
    engine = Engine(EngineSettings.for_loopback_tests(address), state)
    engine.start()
    return engine


def _edge_pieces(torrent: bytes) -> set[int]:
    """The first and last piece of every real file (pad files left out)."""
    layout = lt.torrent_info(torrent).layout()
    edges: set[int] = set()
    for index in range(layout.num_files()):
        if layout.file_flags(index) & lt.file_storage.flag_pad_file or layout.file_size(index) == 0:
            continue
        offset, size = layout.file_offset(index), layout.file_size(index)
        edges |= {offset // PIECE, (offset + size - 1) // PIECE}
    return edges


def _top_pieces(engine: Engine, tid: str) -> set[int]:
    priorities = engine._registry.get(tid).handle.get_piece_priorities()  # what libtorrent will fetch first
    return {piece for piece, priority in enumerate(priorities) if priority == 7}


def test_first_and_last_pieces_first_survives_a_restart(tmp_path: Path) -> None:
    write_payload(tmp_path / "made" / "Long Film", {"film.mkv": 300_000, "extras.mkv": 200_000})
    torrent = make_torrent(tmp_path / "made" / "Long Film", PIECE, "hybrid")
    write_payload(tmp_path / "made2" / "Short", {"s.bin": 50_000}, seed=2)
    other_torrent = make_torrent(tmp_path / "made2" / "Short", PIECE, "hybrid")
    state, address = tmp_path / "state", loopback_address()
    engine = _start(state, address)
    try:
        tid = engine.add_torrent_bytes(torrent, tmp_path / "downloads")  # no peer: nothing downloads meanwhile
        other = engine.add_torrent_bytes(other_torrent, tmp_path / "downloads")
        engine.controls.set_first_last_pieces(tid, True)
        engine.controls.set_first_last_pieces(other, True)
        engine.controls.set_first_last_pieces(other, False)  # turned off again: remembered off
        assert _top_pieces(engine, tid) == _edge_pieces(torrent)
    finally:
        engine.shutdown()

    engine = _start(state, address)
    try:
        assert engine.controls.options(tid).first_last_pieces
        assert not engine.controls.options(other).first_last_pieces
        assert _top_pieces(engine, tid) == _edge_pieces(torrent)
        assert _top_pieces(engine, other) == set()
        engine.remove(tid)
    finally:
        engine.shutdown()
    assert tid not in (state / FIRST_LAST_FILE_NAME).read_text()  # a removed torrent left the book


def test_an_unreadable_choices_file_is_set_aside_and_the_engine_starts(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / FIRST_LAST_FILE_NAME).write_text("{not json")
    write_payload(tmp_path / "made" / "Short", {"s.bin": 50_000})
    engine = _start(state, loopback_address())
    try:
        tid = engine.add_torrent_bytes(make_torrent(tmp_path / "made" / "Short", PIECE), tmp_path / "downloads")
        assert not engine.controls.options(tid).first_last_pieces
        engine.controls.set_first_last_pieces(tid, True)  # and the book saves again
        assert tid in (state / FIRST_LAST_FILE_NAME).read_text()
    finally:
        engine.shutdown()
    assert list(state.glob(f"{FIRST_LAST_FILE_NAME}.corrupt-*"))
