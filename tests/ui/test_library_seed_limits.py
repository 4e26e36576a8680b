"""A bought bundle's own seeding limits, set from the Library's bundle view in the assembled window: "Seeding
limits…" opens the same window-modal dialog as the Transfers menu, and the choice reaches the engine."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.engine import LimitChoice, SeedLimits
from app.ui.transfers.seed_limits_dialog import SeedLimitsDialog
from tests.ui.store_fixtures import StoreWindow
from tests.ui.test_library_page import ALBUM, bought

__all__ = ["bought"]


def test_a_bundle_gets_its_own_seeding_limit_from_the_library(qtbot: QtBot, bought: tuple[StoreWindow, str]) -> None:
    window, tid = bought
    library = window.library
    assert library.select_title(ALBUM)
    assert library.view.seed_limits_button.isEnabled()
    library.view.seed_limits_button.click()
    dialogs: list[SeedLimitsDialog] = []

    def shown() -> bool:
        dialogs[:] = [w for w in QApplication.topLevelWidgets() if isinstance(w, SeedLimitsDialog) and w.isVisible()]
        dialogs.extend(w for w in window.desktop.transfers.findChildren(SeedLimitsDialog) if w.isVisible())
        return bool(dialogs)

    qtbot.waitUntil(shown, timeout=5000)
    dialog = dialogs[0]
    assert dialog.limits() == SeedLimits()  # "use the global limits" until chosen
    dialog.ratio_row.choice_box.setCurrentIndex(dialog.ratio_row.choice_box.findData(LimitChoice.OWN))
    dialog.ratio_box.setValue(3.0)
    dialog.accept()
    qtbot.waitUntil(lambda: window.engine.seed_limits.get(tid) == SeedLimits(LimitChoice.OWN, 3.0), timeout=5000)
