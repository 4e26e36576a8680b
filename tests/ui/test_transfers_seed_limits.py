"""Per-torrent seeding limits from the Transfers page over a real engine: the right-click menu's "Seeding limits…"
opens a window-modal dialog showing the torrent's current choice; what is chosen there reaches the engine (and its
file) and the details panel's Seeding tab says it in words; reopening the dialog shows the saved choice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMenu

from app.engine import Engine, LimitChoice, SeedLimits
from app.engine.seed_limits import SEED_LIMITS_FILE_NAME
from app.ui.bridge import EngineBridge
from app.ui.tasks import ThreadPoolTaskRunner
from app.ui.transfers.model import Column
from app.ui.transfers.page import TransfersPage
from app.ui.transfers.seed_limits_dialog import SeedLimitsDialog
from tests.engine.helpers import make_torrent, write_payload
from tests.ui.conftest import start_engine
from tests.ui.test_transfers_menu import _entry


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = start_engine(tmp_path / "state")
    yield engine
    engine.shutdown()


def _open_dialog(qtbot, page: TransfersPage, tid: str) -> SeedLimitsDialog:
    page.table.clearSelection()
    page.select_torrent(tid)
    row = page.proxy.mapFromSource(page.model.index(page.model.row_of(tid) or 0, Column.NAME)).row()
    page._on_table_menu(page.table.visualRect(page.proxy.index(row, Column.NAME)).center())
    menu: QMenu = page.row_menu
    _entry(menu, "Seeding limits…").trigger()
    found: list[SeedLimitsDialog] = []

    def visible() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets() + page.findChildren(SeedLimitsDialog)
                    if isinstance(w, SeedLimitsDialog) and w.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible, timeout=5000)
    return found[0]


def test_seeding_limits_are_chosen_from_the_menu_and_shown_in_the_details(
    qtbot, engine: Engine, tmp_path: Path
) -> None:
    write_payload(tmp_path / "made" / "Album", {"one.bin": 50_000})
    tid = engine.add_torrent_bytes(make_torrent(tmp_path / "made" / "Album"), tmp_path / "made")
    bridge = EngineBridge(engine)
    page = TransfersPage(engine, ThreadPoolTaskRunner(), lambda: tmp_path / "dl")
    bridge.stats_updated.connect(page.apply_stats)
    page.apply_stats(tuple(engine.snapshots()))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.row_of(tid) is not None, timeout=10_000)

    dialog = _open_dialog(qtbot, page, tid)
    assert dialog.ratio_row.choice() is LimitChoice.GLOBAL and dialog.time_row.choice() is LimitChoice.GLOBAL
    assert not dialog.ratio_box.isEnabled()  # a value counts only for "Stop at"
    dialog.ratio_row.choice_box.setCurrentIndex(dialog.ratio_row.choice_box.findData(LimitChoice.OWN))
    assert dialog.ratio_box.isEnabled()
    dialog.ratio_box.setValue(1.25)
    dialog.time_row.choice_box.setCurrentIndex(dialog.time_row.choice_box.findData(LimitChoice.NONE))
    dialog.accept()

    chosen = SeedLimits(LimitChoice.OWN, 1.25, LimitChoice.NONE, 0)
    qtbot.waitUntil(lambda: engine.seed_limits.get(tid) == chosen, timeout=5000)
    assert tid in (engine.state_dir / SEED_LIMITS_FILE_NAME).read_text()
    qtbot.waitUntil(lambda: "Share ratio limit: 1.25" in page.details.seeding_label.text(), timeout=10_000)
    assert "Seeding time limit: no limit" in page.details.seeding_label.text()

    again = _open_dialog(qtbot, page, tid)
    assert again.limits() == chosen
    again.time_row.choice_box.setCurrentIndex(again.time_row.choice_box.findData(LimitChoice.GLOBAL))
    again.ratio_row.choice_box.setCurrentIndex(again.ratio_row.choice_box.findData(LimitChoice.GLOBAL))
    again.accept()
    qtbot.waitUntil(lambda: engine.seed_limits.get(tid) == SeedLimits(), timeout=5000)
    qtbot.waitUntil(lambda: "Share ratio limit: as in Settings" in page.details.seeding_label.text(), timeout=10_000)
