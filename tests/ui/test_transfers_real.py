"""The Transfers page driving the real engine: a torrent from a real seeder on loopback arrives, shows its
progress, details and state, pauses, resumes, and is removed with its data."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine import Engine
from app.ui.bridge import EngineBridge
from app.ui.tasks import ThreadPoolTaskRunner
from app.ui.transfers.model import Column
from app.ui.transfers.page import TransfersPage
from app.ui.transfers.remove_dialog import RemoveChoice
from tests.engine.helpers import info_hash_hex, make_torrent, write_payload
from tests.ui.conftest import Peer


@pytest.fixture
def seeded_torrent(tmp_path: Path, seeder: Peer) -> tuple[Path, str]:
    content = tmp_path / "seed" / "Field Recordings"
    write_payload(content, {"side-a.bin": 300_000, "side-b.bin": 200_000})
    torrent = make_torrent(content)
    torrent_file = tmp_path / "field.torrent"
    torrent_file.write_bytes(torrent)
    tid = seeder.engine.add_torrent_bytes(torrent, content.parent)
    return torrent_file, tid


def test_a_torrent_downloads_from_a_real_seeder_and_is_removed_with_its_data(
    qtbot, tmp_path: Path, ui_engine: Engine, seeder: Peer, seeded_torrent: tuple[Path, str]
) -> None:
    torrent_file, tid = seeded_torrent
    assert info_hash_hex(torrent_file.read_bytes()) == tid
    downloads = tmp_path / "downloads"
    choices = [RemoveChoice.DELETE_DATA]
    tasks = ThreadPoolTaskRunner()
    bridge = EngineBridge(ui_engine)
    page = TransfersPage(ui_engine, tasks, lambda: downloads, ask_remove=lambda names: choices.pop())
    bridge.stats_updated.connect(page.apply_stats)
    bridge.torrent_removed.connect(page.remove_row)
    qtbot.addWidget(page)
    page.show()

    with qtbot.waitSignal(page.torrent_added, timeout=20_000) as added:
        page.add_sources([str(torrent_file)])
    assert added.args == [tid]
    port = seeder.engine.listen_port
    assert port
    ui_engine.connect_peer(tid, seeder.address, port)

    def cell(column: Column) -> str:
        row = page.model.row_of(tid)
        return "" if row is None else str(page.model.data(page.model.index(row, column)))

    qtbot.waitUntil(lambda: cell(Column.PROGRESS) == "100.0%", timeout=60_000)
    qtbot.waitUntil(lambda: cell(Column.STATE) == "Seeding", timeout=30_000)
    assert cell(Column.NAME) == "Field Recordings"
    assert cell(Column.SIZE) == "488.3 KiB"
    assert (downloads / "Field Recordings" / "side-a.bin").stat().st_size == 300_000

    with qtbot.waitSignal(page.details.details_loaded, timeout=20_000):
        page.select_torrent(tid)
    files = page.details.files_table
    assert sorted(files.item(r, 0).text() for r in range(files.rowCount())) == [
        "Field Recordings/side-a.bin",
        "Field Recordings/side-b.bin",
    ]

    side_b = next(r for r in range(files.rowCount()) if files.item(r, 0).text().endswith("side-b.bin"))
    page.details.set_priority([side_b], 7)  # what the Files tab's "High" menu entry does
    qtbot.waitUntil(lambda: {f.path: f.priority for f in ui_engine.files(tid)}["Field Recordings/side-b.bin"] == 7,
                    timeout=20_000)
    assert files.item(side_b, 3).text() == "High"

    page.pause_selected()
    qtbot.waitUntil(lambda: cell(Column.STATE) == "Paused", timeout=30_000)
    page.resume_selected()
    qtbot.waitUntil(lambda: cell(Column.STATE) == "Seeding", timeout=30_000)

    page.remove_selected()
    qtbot.waitUntil(lambda: page.model.row_of(tid) is None, timeout=30_000)
    qtbot.waitUntil(lambda: not (downloads / "Field Recordings" / "side-a.bin").exists(), timeout=30_000)
    assert not ui_engine.has_torrent(tid)
    bridge.close()
    tasks.wait_for_done()
