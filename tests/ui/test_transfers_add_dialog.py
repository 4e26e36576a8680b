"""The add dialog over a real engine: a .torrent's file tree, category (and its save path), tags, priorities and
sequential applied; a magnet's tree shown once its metadata came from a real loopback seeder, and only the wanted
file downloaded; Cancel forgets a held magnet; a broken .torrent shows the engine's sentence and cannot be added."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import libtorrent as lt
import pytest

from app.engine import Engine
from app.ui.tasks import ThreadPoolTaskRunner
from app.ui.transfers.add_dialog import AddTorrentDialog
from tests.engine.helpers import wait_snapshot, write_payload
from tests.ui.conftest import Peer, start_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = start_engine(tmp_path / "state")
    yield engine
    engine.shutdown()


def _torrent(content: Path) -> bytes:
    creator = lt.create_torrent(lt.list_files(str(content), lambda _p: True), 16384, flags=lt.create_torrent.v1_only)
    lt.set_piece_hashes(creator, str(content.parent))
    return bytes(lt.bencode(creator.generate()))


def _dialog(qtbot, engine: Engine, source: str, downloads: Path) -> AddTorrentDialog:
    dialog = AddTorrentDialog(source, engine, ThreadPoolTaskRunner(), downloads)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_a_torrent_is_added_with_the_chosen_category_tags_files_and_order(
    qtbot, engine: Engine, tmp_path: Path
) -> None:
    write_payload(tmp_path / "made" / "Show", {"e1.mkv": 40_000, "e2.mkv": 30_000})
    torrent_file = tmp_path / "show.torrent"
    torrent_file.write_bytes(_torrent(tmp_path / "made" / "Show"))
    engine.labels.create_category("Series", tmp_path / "series")
    dialog = _dialog(qtbot, engine, str(torrent_file), tmp_path / "downloads")
    qtbot.waitUntil(dialog.add_button.isEnabled, timeout=10_000)
    qtbot.waitUntil(lambda: dialog.free_label.text().startswith("Free on that disk: "), timeout=10_000)
    assert dialog.name_label.text() == "Show — 68.4 KiB"
    assert dialog.tree.topLevelItem(0).text(0) == "Show"
    dialog.category_box.setCurrentIndex(dialog.category_box.findData("Series"))
    assert Path(dialog.path_edit.text()) == (tmp_path / "series").resolve()
    dialog.tags_edit.setText("hd, new")
    dialog.set_priority(1, 0)  # skip e2.mkv
    dialog.sequential_box.setChecked(True)
    with qtbot.waitSignal(dialog.added, timeout=10_000) as added:
        dialog.add_button.click()
    tid = added.args[0]
    assert [f.priority for f in engine.files(tid)] == [4, 0]
    assert Path(engine.snapshot(tid).save_path) == (tmp_path / "series").resolve()
    assert engine.labels.current().category(tid) == "Series"
    assert engine.labels.current().torrent_tags(tid) == {"hd", "new"}
    assert engine.controls.options(tid).sequential


def test_a_magnets_files_appear_once_its_metadata_arrives_and_only_the_wanted_one_downloads(
    qtbot, engine: Engine, seeder: Peer, tmp_path: Path
) -> None:
    content = tmp_path / "seed" / "Pair"
    write_payload(content, {"a.bin": 64 * 1024, "b.bin": 48 * 1024}, seed=7)
    data = _torrent(content)
    seed_id = seeder.engine.add_torrent_bytes(data, content.parent)
    wait_snapshot(seeder.engine, seed_id, lambda s: s.progress >= 1.0, 30, "seeder checked")
    magnet = f"magnet:?xt=urn:btih:{seed_id}&dn=Pair"
    dialog = _dialog(qtbot, engine, magnet, tmp_path / "downloads")
    qtbot.waitUntil(lambda: engine.has_torrent(seed_id), timeout=10_000)
    assert dialog.status_label.text() in ("", "Fetching the list of files from other peers…")
    engine.connect_peer(seed_id, seeder.address, seeder.engine.listen_port or 0)
    qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 1, timeout=30_000)
    assert engine.snapshot(seed_id).wanted_done == 0  # held: the metadata came, no data
    dialog.set_priority(0, 0)  # skip a.bin
    with qtbot.waitSignal(dialog.added, timeout=10_000):
        dialog.add_button.click()
    engine.connect_peer(seed_id, seeder.address, seeder.engine.listen_port or 0)
    wait_snapshot(engine, seed_id, lambda s: s.progress >= 1.0, 60, "the wanted file downloaded")
    assert [f.priority for f in engine.files(seed_id)] == [0, 4]
    assert (tmp_path / "downloads" / "Pair" / "b.bin").read_bytes() == (content / "b.bin").read_bytes()


def test_cancel_forgets_a_held_magnet_and_a_broken_torrent_cannot_be_added(
    qtbot, engine: Engine, tmp_path: Path
) -> None:
    magnet = "magnet:?xt=urn:btih:" + "cd" * 20 + "&dn=Nothing"
    dialog = _dialog(qtbot, engine, magnet, tmp_path / "downloads")
    qtbot.waitUntil(lambda: engine.has_torrent("cd" * 20), timeout=10_000)
    qtbot.waitUntil(dialog.add_button.isEnabled, timeout=10_000)
    dialog.reject()
    qtbot.waitUntil(lambda: not engine.has_torrent("cd" * 20), timeout=10_000)

    broken = tmp_path / "broken.torrent"
    broken.write_bytes(b"d4:infod4:name")
    bad = _dialog(qtbot, engine, str(broken), tmp_path / "downloads")
    qtbot.waitUntil(lambda: bad.status_label.text() != "", timeout=10_000)
    assert "damaged or incomplete" in bad.status_label.text()
    assert not bad.add_button.isEnabled()


def test_quitting_with_an_add_dialog_open_lets_the_held_magnet_go(qtbot, engine: Engine, tmp_path: Path) -> None:
    from app.ui.transfers.page import TransfersPage

    tasks = ThreadPoolTaskRunner()
    page = TransfersPage(engine, tasks, lambda: tmp_path / "downloads", show_add_dialog=lambda: True)
    qtbot.addWidget(page)
    page.add_sources(["magnet:?xt=urn:btih:" + "ef" * 20 + "&dn=Held"])
    qtbot.waitUntil(lambda: engine.has_torrent("ef" * 20), timeout=10_000)
    page.cancel_add_dialogs()  # what the window does when the app quits
    qtbot.waitUntil(lambda: not engine.has_torrent("ef" * 20), timeout=10_000)
