"""What ``Engine.trackers()`` says about a tracker: working, refusing the connection, or answering with an error.

Through the real parts: the engine announces over HTTP on loopback to tests/support/tiny_tracker.py (one that
answers, one that answers every announce with "failure reason: not authorized") and to a port nobody listens on.
Before the fix both failures read "not contacted": the text is not where reads.py looked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import libtorrent as lt
import pytest

from app.engine import Engine, EngineSettings
from app.engine.types import TrackerEntry
from tests.engine.helpers import wait_until, write_payload
from tests.support.net import free_port, loopback_address
from tests.support.tiny_tracker import running_tracker


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    yield engine
    engine.shutdown()


def _add_with_tracker(engine: Engine, folder: Path, url: str) -> str:
    write_payload(folder / "content", {"a.bin": 40_000}, seed=hash(url) & 0xFFFF)
    creator = lt.create_torrent(lt.list_files(str(folder / "content"), lambda _path: True), 16384)
    creator.add_tracker(url, 0)
    lt.set_piece_hashes(creator, str(folder))
    return engine.add_torrent_bytes(bytes(lt.bencode(creator.generate())), folder)


def _tracker_once_answered(engine: Engine, tid: str) -> TrackerEntry:
    holder: list[TrackerEntry] = []

    def answered() -> bool:
        holder[:] = engine.trackers(tid)
        return bool(holder) and holder[0].status not in ("not contacted", "announcing")

    wait_until(answered, 20, "the tracker's first answer")
    return holder[0]


def test_a_tracker_that_refuses_the_connection_shows_the_error(tmp_path: Path, engine: Engine) -> None:
    url = f"http://127.0.0.1:{free_port()}/announce"  # nobody listens there
    tid = _add_with_tracker(engine, tmp_path / "t", url)
    entry = _tracker_once_answered(engine, tid)
    assert entry.url == url
    assert entry.status == "error: Connection refused"


def test_a_tracker_that_answers_with_an_error_shows_its_reason(tmp_path: Path, engine: Engine) -> None:
    with running_tracker(failure_reason="not authorized") as tracker:
        tid = _add_with_tracker(engine, tmp_path / "t", tracker.url)
        entry = _tracker_once_answered(engine, tid)
    assert entry.status == "error: not authorized"


def test_a_tracker_that_answers_reads_working(tmp_path: Path, engine: Engine) -> None:
    with running_tracker() as tracker:
        tid = _add_with_tracker(engine, tmp_path / "t", tracker.url)
        entry = _tracker_once_answered(engine, tid)
    assert entry.status == "working"
