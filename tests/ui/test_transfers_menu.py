"""The Transfers table's right-click menu over a real engine: magnet link and info-hash copied, category and tags
set, rate limits, sequential download, queue position, a reannounce that reaches a real (loopback) tracker, and the
torrent's own folder opened — or a sentence when no file manager is registered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import libtorrent as lt
import pytest
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu

from app.engine import Engine
from app.ui.bridge import EngineBridge
from app.ui.tasks import ThreadPoolTaskRunner
from app.ui.transfers.label_dialogs import LimitsDialog
from app.ui.transfers.model import Column
from app.ui.transfers.page import TransfersPage
from tests.engine.helpers import wait_until, write_payload
from tests.ui.conftest import start_engine


class _Tracker(BaseHTTPRequestHandler):
    announces: list[str] = []

    def do_GET(self) -> None:
        type(self).announces.append(self.path)
        body = lt.bencode({"interval": 1800, "peers": b""})
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def tracker() -> Iterator[str]:
    _Tracker.announces = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tracker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/announce"
    server.shutdown()
    server.server_close()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = start_engine(tmp_path / "state")
    yield engine
    engine.shutdown()


def _torrent(content: Path, tracker: str) -> bytes:
    creator = lt.create_torrent(lt.list_files(str(content), lambda _p: True), 16384, flags=lt.create_torrent.v1_only)
    creator.add_tracker(tracker)
    lt.set_piece_hashes(creator, str(content.parent))
    return bytes(lt.bencode(creator.generate()))


def _entry(menu: QMenu, *path: str) -> QAction:
    for action in menu.actions():
        if action.text() == path[0]:
            return action if len(path) == 1 else _entry(action.menu(), *path[1:])
    raise AssertionError(f"no menu entry {path[0]!r} in {[a.text() for a in menu.actions()]}")


def test_the_right_click_menu_acts_on_the_torrent(qtbot, engine: Engine, tracker: str, tmp_path: Path) -> None:
    write_payload(tmp_path / "made" / "Album", {"one.bin": 60_000, "two.bin": 40_000})
    tid = engine.add_torrent_bytes(_torrent(tmp_path / "made" / "Album", tracker), tmp_path / "made")
    write_payload(tmp_path / "elsewhere" / "Other", {"x.bin": 30_000})
    other = engine.add_torrent_bytes(_torrent(tmp_path / "elsewhere" / "Other", tracker), tmp_path / "dl")
    write_payload(tmp_path / "elsewhere" / "Third", {"y.bin": 30_000})
    third = engine.add_torrent_bytes(_torrent(tmp_path / "elsewhere" / "Third", tracker), tmp_path / "dl")
    engine.labels.create_category("Music")
    engine.labels.create_tags(["lossless"])
    opened: list[Path] = []
    file_manager = [True]

    def open_folder(path: Path) -> bool:
        opened.append(path)
        return file_manager[0]

    bridge = EngineBridge(engine)
    page = TransfersPage(engine, ThreadPoolTaskRunner(), lambda: tmp_path / "dl", open_folder=open_folder)
    bridge.stats_updated.connect(page.apply_stats)
    page.apply_stats(tuple(engine.snapshots()))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.row_of(tid) is not None, timeout=10_000)
    wait_until(lambda: len(_Tracker.announces) >= 3, 20, "first announces")  # one per torrent

    def menu(of: str = tid) -> QMenu:
        qtbot.waitUntil(lambda: page.model.row_of(of) is not None, timeout=10_000)
        page.table.clearSelection()
        page.select_torrent(of)
        row = page.proxy.mapFromSource(page.model.index(page.model.row_of(of) or 0, Column.NAME)).row()
        page._on_table_menu(page.table.visualRect(page.proxy.index(row, Column.NAME)).center())
        return page.row_menu

    _entry(menu(), "Copy magnet link").trigger()
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text().startswith(f"magnet:?xt=urn:btih:{tid}"), timeout=5000)
    _entry(menu(), "Copy info-hash").trigger()
    assert QGuiApplication.clipboard().text() == tid

    _entry(menu(), "Category", "Music").trigger()
    qtbot.waitUntil(lambda: engine.labels.current().category(tid) == "Music", timeout=5000)
    qtbot.waitUntil(lambda: page.sidebar.categories.text_of("Music") == "Music (1)", timeout=5000)
    _entry(menu(), "Tags", "lossless").trigger()
    qtbot.waitUntil(lambda: engine.labels.current().torrent_tags(tid) == {"lossless"}, timeout=5000)

    sequential = _entry(m := menu(), "Download in sequential order")
    qtbot.waitUntil(sequential.isEnabled, timeout=5000)  # the worker read the current state
    assert not sequential.isChecked()
    sequential.trigger()
    qtbot.waitUntil(lambda: engine.controls.options(tid).sequential, timeout=5000)
    m.close()

    _entry(menu(), "Limit rates…").trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() + page.findChildren(LimitsDialog)
                  if isinstance(w, LimitsDialog) and w.isVisible())
    dialog.download_spin.setValue(300)
    dialog.accept()
    qtbot.waitUntil(lambda: engine.snapshot(tid).download_limit == 300 * 1024, timeout=5000)

    before = len(_Tracker.announces)
    _entry(menu(), "Force reannounce").trigger()
    wait_until(lambda: len(_Tracker.announces) > before, 20, "a reannounce at the tracker")

    _entry(menu(), "Open folder").trigger()
    qtbot.waitUntil(lambda: opened == [tmp_path / "made" / "Album"], timeout=5000)  # its own folder, not the root
    file_manager[0] = False
    _entry(menu(), "Open folder").trigger()
    qtbot.waitUntil(lambda: page.banner.isVisibleTo(page), timeout=5000)
    folder = tmp_path / "made" / "Album"
    assert page.banner.text == f"No file manager is set up to open folders. The files are in {folder}"

    # Queue: of the two downloads (the complete one is not queued), the later added moves to the top.
    assert [engine.controls.options(t).queue_position for t in (tid, other, third)] == [-1, 0, 1]
    _entry(menu(third), "Queue", "Move to top").trigger()
    qtbot.waitUntil(lambda: engine.controls.options(third).queue_position == 0, timeout=5000)
    assert engine.controls.options(other).queue_position == 1
    bridge.close()
