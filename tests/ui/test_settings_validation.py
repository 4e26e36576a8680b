"""Settings a fan can trust: a new store address is tried (over real HTTP, against the demo storefront) before it is
saved — "not a url" and an address where no store answers are refused with a sentence, and nothing is saved; a
real store is saved. Rate fields step in round units: one click on "Unlimited" gives 256 KiB/s, not 1 KiB/s."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractSpinBox
from pytestqt.qtbot import QtBot

from app.settings import AppSettings
from app.ui.settings_page import SettingsPage
from tests.support.net import free_port


def _page(qtbot: QtBot) -> tuple[SettingsPage, list[AppSettings]]:
    page = SettingsPage(AppSettings())
    qtbot.addWidget(page)
    saved: list[AppSettings] = []
    page.settings_saved.connect(saved.append)
    return page, saved


def test_a_store_address_is_tried_before_it_is_saved(qtbot: QtBot, demo_store_url: str) -> None:
    page, saved = _page(qtbot)
    page.store_url.setText("not a url")
    page.save_button.click()
    qtbot.waitUntil(lambda: page.saved_label.text().startswith("Not saved:"), timeout=10_000)
    assert page.saved_label.text() == "Not saved: That store address doesn't look right. It should start with https://"
    assert saved == []

    page.store_url.setText(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    page.save_button.click()
    qtbot.waitUntil(lambda: page.saved_label.text().startswith("Not saved:"), timeout=30_000)
    assert "can't be reached" in page.saved_label.text()
    assert saved == [] and page.save_button.isEnabled()

    page.store_url.setText(demo_store_url + "/")
    page.save_button.click()
    qtbot.waitUntil(lambda: page.saved_label.text() == "Saved.", timeout=30_000)
    assert [s.store_url for s in saved] == [demo_store_url]

    page.store_url.setText("")  # back to the built-in demo store: nothing to try
    page.save_button.click()
    assert page.saved_label.text() == "Saved." and saved[-1].store_url == ""


def test_rate_fields_step_in_round_units_and_take_what_is_typed(qtbot: QtBot) -> None:
    page, saved = _page(qtbot)
    spin = page.download_limit
    assert spin.value() == 0 and spin.text() == "Unlimited"
    spin.stepUp()
    assert (spin.value(), spin.text()) == (256, "256 KiB/s")
    spin.stepBy(2)
    assert (spin.value(), spin.text()) == (1024, "1 MiB/s")
    spin.stepDown()
    spin.stepDown()
    spin.stepDown()
    assert spin.text() == "Unlimited"
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "1.5 MiB/s")
    spin.interpretText()
    assert spin.value() == 1536 and spin.text() == "1.5 MiB/s"
    assert spin.stepEnabled() & QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
    page.save_button.click()
    assert saved[-1].download_rate_limit_kib == 1536
    slow = page.slow_others_rate
    slow.setValue(slow.minimum())
    slow.stepDown()
    assert slow.value() == 1  # "slow others to" never becomes unlimited by a click
