"""Backed on another computer: a fan signed in to the app pledges to the demo's campaign through the store's HTTP
API with the same account (another computer, or the web); after the Library's *Refresh* the campaign is in the
Library badged Backed (its free pilot to watch) and its card on the Store grid reads ♥ Backed. Real storefront
(demo catalog), real engine and keyring, the window as the app assembles it."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.store.client import StoreClient
from app.store.models import Card
from app.ui.library.model import BADGES_ROLE
from tests.ui.store_driving import PASSWORD, new_email, sign_up_in_dialog, wait_for_catalog
from tests.ui.store_fixtures import StoreWindow

CAMPAIGN_TITLE = "Lumen Drift: Season One"
GOOD_CARD = Card("4242424242424242", 12, 2040, "123")


def test_a_pledge_made_elsewhere_shows_as_backed_after_refresh(qtbot: QtBot, store_window: StoreWindow) -> None:
    wait_for_catalog(qtbot, store_window)
    actions, library, grid = store_window.section.actions, store_window.library, store_window.section.grid
    email = new_email()
    actions.with_account(lambda: None)
    sign_up_in_dialog(qtbot, store_window, email)
    with qtbot.waitSignal(library.refreshed, timeout=60_000):
        library.refresh_button.click()
    assert library.bundle_titled(CAMPAIGN_TITLE) is None  # not backed yet: not on the shelf
    assert grid.badge_of("lumen-drift") == ""

    with StoreClient(store_window.store_ref) as elsewhere:  # another computer, signed in to the same account
        token = elsewhere.sign_in(email, PASSWORD).token
        campaign = elsewhere.bundle("lumen-drift").campaign
        assert campaign is not None
        assert elsewhere.pledge(token, campaign.id, GOOD_CARD).status == "authorized"

    library.refresh_button.click()  # (a refresh already under way runs once more after it ends)
    qtbot.waitUntil(lambda: library.bundle_titled(CAMPAIGN_TITLE) is not None, timeout=60_000)
    backed = library.bundle_titled(CAMPAIGN_TITLE)
    assert backed is not None and backed.backed and not backed.owned
    assert "Backed" in library.grid_index_of(CAMPAIGN_TITLE).data(BADGES_ROLE)
    assert library.select_title(CAMPAIGN_TITLE)
    assert [progress for _title, progress in library.view.episode_rows()][:2] == ["", "Locked"]  # pilot free
    qtbot.waitUntil(lambda: grid.badge_of("lumen-drift") == "♥ Backed", timeout=30_000)
