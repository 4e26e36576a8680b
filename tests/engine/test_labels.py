"""Categories (each with its own save path) and tags on a real engine: they survive a restart, a torrent added to a
category lands in the category's folder, bad names and unwritable folders are refused with a sentence and change
nothing, a removed torrent drops its labels, and an unreadable labels file is set aside."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.engine import Engine, EngineSettings, LabelError, StorageError, TorrentState, UnknownTorrentError
from app.engine.labels import LABELS_FILE_NAME
from tests.engine.helpers import make_torrent, wait_snapshot, write_payload
from tests.support.net import loopback_address


@pytest.fixture
def settings() -> EngineSettings:
    return EngineSettings.for_loopback_tests(loopback_address())


@pytest.fixture
def torrent(tmp_path: Path) -> bytes:
    write_payload(tmp_path / "made" / "Night Walks", {"a.ogg": 200_000, "b.ogg": 100_000})
    return make_torrent(tmp_path / "made" / "Night Walks", 16384, "hybrid")


@pytest.fixture
def engine(tmp_path: Path, settings: EngineSettings) -> Iterator[Engine]:
    engine = Engine(settings, tmp_path / "state")
    engine.start()
    yield engine
    engine.shutdown()


def test_categories_with_their_save_paths_and_tags_survive_a_restart(
    tmp_path: Path, settings: EngineSettings, torrent: bytes
) -> None:
    films = tmp_path / "Films"
    first = Engine(settings, tmp_path / "state")
    first.start()
    try:
        first.labels.create_category("Films", films)
        first.labels.create_category("Music")
        first.labels.create_tags(["hd", "kids"])
        save_path = first.labels.save_path_of("Films")
        assert save_path == films.resolve()
        tid = first.add_torrent_bytes(torrent, save_path)
        first.labels.set_category(tid, "Films")
        first.labels.add_tags(tid, ["hd", "favourite"])
        wait_snapshot(first, tid, lambda s: s.state is TorrentState.DOWNLOADING, 30, "torrent checked")
    finally:
        first.shutdown()

    second = Engine(settings, tmp_path / "state")
    second.start()
    try:
        labels = second.labels.current()
        assert {name: cat.save_path for name, cat in labels.categories.items()} == {
            "Films": str(films.resolve()),
            "Music": "",
        }
        assert labels.tags == ("favourite", "hd", "kids")
        assert labels.category(tid) == "Films"
        assert labels.torrent_tags(tid) == {"hd", "favourite"}
        assert Path(second.snapshot(tid).save_path) == films.resolve()
    finally:
        second.shutdown()


def test_a_category_whose_folder_cannot_be_written_is_refused_and_nothing_changes(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_bytes(b"a file where a folder should be")
    before = engine.labels.current()
    with pytest.raises(StorageError, match="Cannot create the folder"):
        engine.labels.create_category("Series", tmp_path / "a-file" / "series")
    assert engine.labels.current() == before
    assert "Series" not in engine.labels.current().categories


@pytest.mark.parametrize(("bad", "sentence"), [("", "needs a name"), ("/films", "cannot be a category name")])
def test_bad_category_names_are_refused_with_a_sentence(engine: Engine, bad: str, sentence: str) -> None:
    with pytest.raises(LabelError, match=sentence):
        engine.labels.create_category(bad)


def test_tags_with_commas_and_unknown_torrents_are_refused(engine: Engine, torrent: bytes, tmp_path: Path) -> None:
    with pytest.raises(LabelError, match="no commas"):
        engine.labels.create_tags(["a,b"])
    with pytest.raises(UnknownTorrentError):
        engine.labels.add_tags("0" * 40, ["x"])
    tid = engine.add_torrent_bytes(torrent, tmp_path / "dl")
    with pytest.raises(LabelError, match="create it first"):
        engine.labels.set_category(tid, "Nope")
    assert engine.labels.current().category(tid) == ""


def test_a_removed_torrent_leaves_its_labels_and_deleted_tags_leave_every_torrent(
    engine: Engine, torrent: bytes, tmp_path: Path
) -> None:
    engine.labels.create_category("Films")
    tid = engine.add_torrent_bytes(torrent, tmp_path / "dl")
    engine.labels.set_category(tid, "Films")
    engine.labels.add_tags(tid, ["hd", "old"])
    engine.labels.delete_tags(["old"])
    assert engine.labels.current().torrent_tags(tid) == {"hd"}
    assert "old" not in engine.labels.current().tags
    engine.remove(tid)
    labels = engine.labels.current()
    assert labels.category(tid) == "" and not labels.torrent_tags(tid)
    assert "Films" in labels.categories and "hd" in labels.tags


def test_an_unreadable_labels_file_is_set_aside_and_the_engine_starts(
    tmp_path: Path, settings: EngineSettings
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / LABELS_FILE_NAME).write_text("{not json", encoding="utf-8")
    engine = Engine(settings, state)
    engine.start()
    try:
        assert engine.labels.current().categories == {}
        assert list(state.glob(f"{LABELS_FILE_NAME}.corrupt-*"))
        engine.labels.create_category("Fresh")
        assert "Fresh" in engine.labels.current().categories
    finally:
        engine.shutdown()
