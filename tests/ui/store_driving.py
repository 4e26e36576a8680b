"""Helpers that drive the Store tab the way a user does: open a card, press a button, fill a dialog."""

from __future__ import annotations

import uuid

from pytestqt.qtbot import QtBot

from app.ui.store.dialogs import AccountDialog, EmailGateDialog, PaymentDialog
from tests.ui.store_fixtures import StoreWindow

PASSWORD = "correct horse battery staple"


def wait_for_catalog(qtbot: QtBot, window: StoreWindow) -> None:
    grid = window.section.grid
    qtbot.waitUntil(lambda: grid.grid.count() >= 5, timeout=60_000)


def open_bundle(qtbot: QtBot, window: StoreWindow, title: str) -> None:
    grid = window.section.grid
    items = [grid.grid.item(i) for i in range(grid.grid.count())]
    item = next(i for i in items if i.text().startswith(title + "\n"))
    page = window.section.store_page
    with qtbot.waitSignal(window.section.actions.bundle_loaded, timeout=30_000):
        grid.grid.itemClicked.emit(item)
    assert page.stack.currentWidget() is page.bundle_page
    assert page.bundle_page.title.text() == title


def press(window: StoreWindow, key: str) -> None:
    button = window.section.store_page.bundle_page.buttons[key]
    assert not button.isHidden(), f"{button.text()} is not offered"
    button.click()


def new_email() -> str:
    return f"fan-{uuid.uuid4().hex[:8]}@example.com"


def sign_up_in_dialog(qtbot: QtBot, window: StoreWindow, email: str) -> None:
    actions = window.section.actions
    qtbot.waitUntil(lambda: isinstance(actions.active_dialog, AccountDialog), timeout=10_000)
    dialog = actions.active_dialog
    assert isinstance(dialog, AccountDialog)
    dialog.email.setText(email)
    dialog.password.setText(PASSWORD)
    dialog.new_account.setChecked(True)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: actions.account_email == email, timeout=60_000)


def payment_dialog(qtbot: QtBot, window: StoreWindow) -> PaymentDialog:
    actions = window.section.actions
    qtbot.waitUntil(lambda: isinstance(actions.active_dialog, PaymentDialog), timeout=20_000)
    dialog = actions.active_dialog
    assert isinstance(dialog, PaymentDialog)
    return dialog


def email_dialog(qtbot: QtBot, window: StoreWindow) -> EmailGateDialog:
    actions = window.section.actions
    qtbot.waitUntil(lambda: isinstance(actions.active_dialog, EmailGateDialog), timeout=20_000)
    dialog = actions.active_dialog
    assert isinstance(dialog, EmailGateDialog)
    return dialog
