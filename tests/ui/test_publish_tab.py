"""The Publish tab in the whole window against the real demo store over HTTP (Xvfb): signed out it says to sign
in; a fan without the creator role sees what being a creator means and *Become a creator*; after pressing it the
store has made the account a creator and the Publish page opens — signing out shows the sign-in sentence again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.store.client import StoreClient
from app.store.creator import CreatorClient
from app.store.vault import LicenseVault
from app.ui.creator.becoming import SIGN_IN_FIRST, CreatorGate
from tests.ui.store_driving import PASSWORD, new_email, sign_up_in_dialog
from tests.ui.store_fixtures import StoreWindow, close_store_window, open_store_window

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def creator_window(qtbot: QtBot, tmp_path: Path, demo_store_url: str, keyring_service: str) -> Iterator[StoreWindow]:
    window = open_store_window(qtbot, tmp_path, demo_store_url, keyring_service, creator=True)
    yield window
    close_store_window(window)
    LicenseVault(service=keyring_service).forget_store(demo_store_url)


def _tab(window: StoreWindow) -> CreatorGate:
    tab = window.window.publish_tab
    assert tab is not None
    return tab


def test_becoming_a_creator_is_a_step_in_the_publish_tab(qtbot: QtBot, creator_window: StoreWindow) -> None:
    window, tab = creator_window, _tab(creator_window)
    assert "Publish" in window.desktop.window.page_titles()
    window.desktop.show_page(tab)
    qtbot.waitUntil(lambda: tab.currentWidget() is tab.signed_out, timeout=30_000)
    assert tab.signed_out.text() == SIGN_IN_FIRST and tab.signed_out.isVisible()

    email = new_email()
    window.section.store_page.sign_in_button.click()
    sign_up_in_dialog(qtbot, window, email)
    qtbot.waitUntil(lambda: tab.currentWidget() is tab.intro, timeout=30_000)
    assert tab.become_button.isVisible() and "first seed" in tab.explanation.text()
    assert not window.window.publish or not window.window.publish.isVisible()

    tab.become_button.click()  # no name yet: a sentence, nothing asked of the store
    assert tab.error.text() == "Give the name fans will see on your bundles."
    assert tab.currentWidget() is tab.intro
    tab.display_name.setText("Mara Okafor")
    tab.become_button.click()
    qtbot.waitUntil(lambda: tab.currentWidget() is tab.page, timeout=30_000)
    assert tab.page.isVisible() and tab.page.folder_button.isVisible()

    with StoreClient(window.store_ref) as elsewhere:  # the store's own answer, read by another client
        profile = CreatorClient(window.store_ref).me(elsewhere.sign_in(email, PASSWORD).token)
    assert profile["creator"] is True and profile["display_name"] == "Mara Okafor"

    window.section.actions.sign_out()  # signed out, the tab says to sign in again
    qtbot.waitUntil(lambda: tab.currentWidget() is tab.signed_out, timeout=30_000)
