"""The Transfers page's logic against a fake engine (the real-engine test is test_transfers_real.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication

from app.ui.bridge import EngineBridge
from app.ui.tasks import ThreadPoolTaskRunner
from app.ui.transfers.page import TransfersPage, parse_source
from app.ui.transfers.remove_dialog import RemoveChoice
from tests.ui.fakes import FakeEngine

MAGNET = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=thing"


def _page(qtbot, engine: FakeEngine, choice: RemoveChoice | None = None, opened: list[Path] | None = None):
    tasks = ThreadPoolTaskRunner()
    bridge = EngineBridge(engine)
    page = TransfersPage(
        engine,
        tasks,
        lambda: Path("/tmp/dl"),
        ask_remove=lambda names, answer: answer(choice),
        open_folder=(opened.append if opened is not None else lambda p: None),
    )
    bridge.stats_updated.connect(page.apply_stats)
    bridge.torrent_removed.connect(page.remove_row)
    qtbot.addWidget(page)
    return page, bridge, tasks


def test_parse_source_accepts_magnets_and_torrent_paths_only() -> None:
    assert parse_source(f"  {MAGNET} ") == MAGNET
    assert parse_source("/home/me/a.torrent") == "/home/me/a.torrent"
    assert parse_source("file:///home/me/b%20c.torrent") == "/home/me/b c.torrent"
    assert parse_source("hello") is None


def test_a_pasted_magnet_becomes_a_row(qtbot) -> None:
    engine = FakeEngine()
    page, bridge, _ = _page(qtbot, engine)
    QGuiApplication.clipboard().setText(MAGNET)
    page.paste_from_clipboard()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert engine.calls[0] == ("add_magnet", (MAGNET, Path("/tmp/dl")))
    bridge.close()


def test_a_bad_magnet_shows_the_engine_sentence(qtbot) -> None:
    engine = FakeEngine()
    page, bridge, _ = _page(qtbot, engine)
    page.add_sources(["magnet:?dn=nothing"])
    qtbot.waitUntil(lambda: page.banner.isVisibleTo(page), timeout=5000)
    assert page.banner.text.startswith("This magnet link is cut short")
    assert page.model.rowCount() == 0
    bridge.close()


def test_a_dropped_torrent_file_is_added(qtbot) -> None:
    engine = FakeEngine()
    page, bridge, _ = _page(qtbot, engine)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/tmp/x/album.torrent"), QUrl.fromLocalFile("/tmp/x/notes.txt")])
    event = QDropEvent(
        QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    page.dropEvent(event)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert engine.calls == [("add_torrent_file", (Path("/tmp/x/album.torrent"), Path("/tmp/dl")))]
    bridge.close()


def test_pause_remove_and_open_folder_act_on_the_selection(qtbot) -> None:
    engine = FakeEngine()
    opened: list[Path] = []
    page, bridge, _ = _page(qtbot, engine, choice=RemoveChoice.DELETE_DATA, opened=opened)
    page.add_sources([MAGNET])
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    tid = "ab" * 20
    assert page.select_torrent(tid)
    page.pause_selected()
    page.open_selected_folder()
    qtbot.waitUntil(lambda: ("pause", tid) in engine.calls, timeout=5000)
    qtbot.waitUntil(lambda: opened == [Path("/tmp/downloads")], timeout=5000)
    page.remove_selected()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=5000)
    assert ("remove", (tid, True)) in engine.calls
    bridge.close()


def test_cancelled_removal_removes_nothing(qtbot) -> None:
    engine = FakeEngine()
    page, bridge, _ = _page(qtbot, engine, choice=None)
    page.add_sources([MAGNET])
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    page.select_torrent("ab" * 20)
    page.remove_selected()
    qtbot.wait(100)
    assert page.model.rowCount() == 1
    assert not [c for c in engine.calls if c[0] == "remove"]
    bridge.close()


def test_details_show_files_peers_trackers_and_send_priorities(qtbot) -> None:
    engine = FakeEngine()
    page, bridge, _ = _page(qtbot, engine)
    page.add_sources([MAGNET])
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    with qtbot.waitSignal(page.details.details_loaded, timeout=5000):
        page.select_torrent("ab" * 20)
    files = page.details.files_table
    assert [files.item(r, 0).text() for r in range(files.rowCount())] == ["a/one.bin", "a/two.bin"]
    assert files.item(0, 2).text() == "50.0%"
    assert page.details.peers_table.item(0, 0).text() == "127.0.0.5:6881"
    assert page.details.trackers_table.item(0, 2).text() == "working"
    page.details.set_priority([1], 0)
    qtbot.waitUntil(lambda: ("set_file_priorities", ("ab" * 20, [4, 0])) in engine.calls, timeout=5000)
    assert files.item(1, 3).text() == "Skip"
    bridge.close()


def test_the_remove_question_offers_keep_delete_and_cancel(qtbot) -> None:
    from app.ui.transfers.remove_dialog import RemoveTorrentsDialog

    answers: list[RemoveChoice | None] = []
    for asked, button in enumerate(("keep_button", "delete_button", "cancel_button")):
        dialog = RemoveTorrentsDialog(["Album", "Film", "Game", "Tool"])
        assert dialog.text() == "Remove “Album”, “Film”, “Game” and 1 more from Bundlecast?"
        dialog.ask(answers.append)  # open(): returns at once, the answer comes with the click
        assert dialog.isVisible() and dialog.isModal() and len(answers) == asked
        getattr(dialog, button).click()
        qtbot.waitUntil(lambda shown=dialog: not shown.isVisible(), timeout=5_000)
    assert answers == [RemoveChoice.KEEP_DATA, RemoveChoice.DELETE_DATA, None]
