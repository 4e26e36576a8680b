"""The Store tab against the real storefront (demo catalog) and the real engine and keyring: the grid with
covers, search and kind filter; a bundle's page; the gates — free Get, e-mail with its confirmation step, Buy
with the demo's test cards (and a declined card's sentence), Pledge — and Watch pilot fetching the pilot alone."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.store.client import StoreClient
from app.store.models import Card
from app.ui.store.bundle_page import LOCKED_TEXT
from app.ui.store.dialogs import AccountDialog
from tests.support.net import free_port
from tests.ui.store_driving import (
    email_dialog,
    new_email,
    open_bundle,
    payment_dialog,
    press,
    sign_up_in_dialog,
    wait_for_catalog,
)
from tests.ui.store_fixtures import StoreWindow, close_store_window, open_store_window

DEMO_TITLES = {"Lumen Drift: Season One", "Harbor Lights", "A Field Guide to Small Stars", "Pocket Orrery",
               "Paper Moons"}


def test_catalog_grid_shows_the_demo_with_covers_search_and_filter(qtbot: QtBot, store_window: StoreWindow) -> None:
    wait_for_catalog(qtbot, store_window)
    grid = store_window.section.grid
    assert set(grid.card_titles()) == DEMO_TITLES
    assert "demo" in store_window.section.store_page.store_name.text()
    covers = store_window.section.covers
    qtbot.waitUntil(lambda: len(covers._pixmaps) == 5, timeout=60_000)
    assert all(not p.isNull() and p.width() > 50 for p in covers._pixmaps.values())
    assert list((store_window.home / "cache" / "covers").iterdir())  # cached on disk for the next start

    with qtbot.waitSignal(grid.loaded, timeout=30_000):
        grid.search.setText("field guide")
    assert grid.card_titles() == ["A Field Guide to Small Stars"]
    grid.search.clear()
    with qtbot.waitSignal(grid.loaded, timeout=30_000):
        grid.kind.setCurrentIndex(grid.kind.findData("music"))
    assert grid.card_titles() == ["Harbor Lights"]


def test_campaign_page_shows_progress_locks_and_its_actions(qtbot: QtBot, store_window: StoreWindow) -> None:
    wait_for_catalog(qtbot, store_window)
    open_bundle(qtbot, store_window, "Lumen Drift: Season One")
    page = store_window.section.store_page.bundle_page
    assert page.price.text() == "Campaign · pledge $9.95"
    assert page.campaign_bar.isVisibleTo(page) and page.campaign_bar.value() >= 0
    assert "of 250,000 backers" in page.campaign_label.text() and "days left" in page.campaign_label.text()
    assert page.swarm.text().startswith("Swarm: ")
    files = {page.files.item(r, 0).text(): page.files.item(r, 2).text() for r in range(page.files.rowCount())}
    assert files["pilot.mp4"] == "Free"
    assert files["episodes/episode-01.mp4"] == LOCKED_TEXT
    locked_row = next(r for r in range(page.files.rowCount()) if page.files.item(r, 0).text().startswith("episodes/"))
    assert not page.files.item(locked_row, 2).icon().isNull()  # a drawn padlock next to the word
    assert page.visible_actions() == ["Pledge $9.95…", "Watch pilot"]


def test_watch_pilot_downloads_the_pilot_alone(qtbot: QtBot, store_window: StoreWindow) -> None:
    wait_for_catalog(qtbot, store_window)
    open_bundle(qtbot, store_window, "Lumen Drift: Season One")
    with qtbot.waitSignal(store_window.section.actions.bundle_added, timeout=60_000) as added:
        press(store_window, "pilot")
    _bundle, tid, pilot_only = added.args
    assert pilot_only
    files = {f.path.split("/", 1)[1]: f.priority for f in store_window.engine.files(tid)}
    assert files["pilot.mp4"] > 0
    assert all(priority == 0 for path, priority in files.items() if path != "pilot.mp4")
    transfers = store_window.desktop.transfers
    qtbot.waitUntil(lambda: transfers.model.row_of(tid) is not None, timeout=30_000)


def test_free_get_needs_an_account_then_lands_in_the_library(qtbot: QtBot, store_window: StoreWindow) -> None:
    wait_for_catalog(qtbot, store_window)
    open_bundle(qtbot, store_window, "Pocket Orrery")
    assert store_window.section.store_page.bundle_page.visible_actions() == ["Get"]
    press(store_window, "get")
    sign_up_in_dialog(qtbot, store_window, new_email())
    library = store_window.section.library
    qtbot.waitUntil(lambda: "Pocket Orrery" in library.titles(), timeout=60_000)
    qtbot.waitUntil(lambda: library.state_of("Pocket Orrery").startswith("Ready"), timeout=120_000)
    page = store_window.section.store_page.bundle_page
    qtbot.waitUntil(lambda: page.owned_label.text() == "✔ In your library", timeout=30_000)

    store_page = store_window.section.store_page
    store_page.sign_out_button.click()
    qtbot.waitUntil(lambda: store_page.account_label.text() == "Not signed in", timeout=30_000)
    assert store_page.sign_in_button.isVisibleTo(store_page)
    library.refresh_button.click()
    qtbot.wait(500)
    assert "Pocket Orrery" in library.titles()  # signing out keeps what this computer already has


def test_email_gate_asks_for_consent_then_the_code(qtbot: QtBot, store_window: StoreWindow) -> None:
    wait_for_catalog(qtbot, store_window)
    open_bundle(qtbot, store_window, "A Field Guide to Small Stars")
    email = new_email()
    press(store_window, "email")
    sign_up_in_dialog(qtbot, store_window, email)
    dialog = email_dialog(qtbot, store_window)
    assert dialog.email.text() == email
    dialog.ok_button.click()  # without consent
    assert dialog.error.text() == "Please tick the box to agree to receive e-mail from the creator."
    dialog.consent.setChecked(True)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.step == 2, timeout=30_000)
    assert dialog.code.text()  # the demo store without SMTP reveals the code it would have mailed
    dialog.ok_button.click()
    library = store_window.section.library
    qtbot.waitUntil(lambda: "A Field Guide to Small Stars" in library.titles(), timeout=60_000)
    assert store_window.vault.licenses_for_bundle(store_window.store_ref, _bundle_id(store_window))


def _bundle_id(window: StoreWindow) -> str:
    detail = window.section.store_page.bundle_page.detail
    assert detail is not None
    return detail.id


def test_a_declined_card_shows_the_stores_sentence_and_charges_nothing(qtbot: QtBot, store_window: StoreWindow) -> None:
    wait_for_catalog(qtbot, store_window)
    open_bundle(qtbot, store_window, "Harbor Lights")
    assert store_window.section.store_page.bundle_page.visible_actions() == ["Buy $7.00…"]
    press(store_window, "buy")
    sign_up_in_dialog(qtbot, store_window, new_email())
    dialog = payment_dialog(qtbot, store_window)
    assert "4000 0000 0000 0002" in dialog.test_cards_label.text()  # the demo lists its test cards
    dialog.number.setText("4000000000000002")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=30_000)
    assert "declined" in dialog.error.text().lower()
    assert store_window.section.actions.active_dialog is dialog  # still open, to try another card
    assert not store_window.vault.licenses_for_bundle(store_window.store_ref, _bundle_id(store_window))
    dialog.reject()


def test_pledge_authorizes_and_counts_a_backer(qtbot: QtBot, store_window: StoreWindow) -> None:
    wait_for_catalog(qtbot, store_window)
    open_bundle(qtbot, store_window, "Lumen Drift: Season One")
    page = store_window.section.store_page.bundle_page
    detail = page.detail
    assert detail is not None and detail.campaign is not None
    backers = detail.campaign.backers
    press(store_window, "pledge")
    sign_up_in_dialog(qtbot, store_window, new_email())
    dialog = payment_dialog(qtbot, store_window)
    assert dialog.number.text() == "4242424242424242"  # the demo's succeeding test card, pre-filled
    with qtbot.waitSignal(store_window.section.actions.pledged, timeout=60_000):
        dialog.ok_button.click()
    banner = store_window.section.store_page.banner
    assert banner.text.startswith("Thank you for backing “Lumen Drift: Season One”")
    qtbot.waitUntil(lambda: page.detail is not None and page.detail.campaign is not None
                    and page.detail.campaign.backers == backers + 1, timeout=30_000)


def test_pay_what_you_want_honours_the_amount_typed(qtbot: QtBot, store_window: StoreWindow) -> None:
    wait_for_catalog(qtbot, store_window)
    open_bundle(qtbot, store_window, "Paper Moons")
    assert store_window.section.store_page.bundle_page.visible_actions() == ["Pay what you want…"]
    press(store_window, "buy")
    sign_up_in_dialog(qtbot, store_window, new_email())
    dialog = payment_dialog(qtbot, store_window)
    assert dialog.amount is not None and dialog.amount.minimum() == 1.0  # the creator's minimum, $1.00
    dialog.amount.setValue(2.5)
    assert dialog.amount_cents() == 250
    with qtbot.waitSignal(store_window.section.actions.purchase_completed, timeout=60_000):
        dialog.ok_button.click()
    assert store_window.vault.licenses_for_bundle(store_window.store_ref, _bundle_id(store_window))


def test_an_unreachable_store_says_so_in_a_sentence(qtbot: QtBot, tmp_path: Path, keyring_service: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    window = open_store_window(qtbot, tmp_path, dead, keyring_service)
    try:
        banner = window.section.store_page.banner
        qtbot.waitUntil(lambda: banner.isVisibleTo(window.section.store_page), timeout=60_000)
        assert banner.text == "The store can't be reached — your bundles still play."
        assert window.desktop.transfers.isEnabled()  # torrents keep working without the store
        page = window.section.store_page
        assert page.retry_button.isVisibleTo(page)
        with qtbot.waitSignal(window.section.actions.connect_failed, timeout=60_000):
            page.retry_button.click()  # still nothing there: the same sentence, and the button again
        assert page.retry_button.isVisibleTo(page)
    finally:
        close_store_window(window)


def test_without_a_keyring_signing_up_says_why_and_the_free_pilot_still_downloads(
    qtbot: QtBot, tmp_path: Path, demo_store_url: str, keyring_service: str
) -> None:
    from keyring.backends import fail

    from app.store.vault import LicenseVault

    window = open_store_window(qtbot, tmp_path, demo_store_url, keyring_service,
                               vault=LicenseVault(backend=fail.Keyring(), service=keyring_service))
    try:
        wait_for_catalog(qtbot, window)
        open_bundle(qtbot, window, "Pocket Orrery")
        press(window, "get")
        actions = window.section.actions
        qtbot.waitUntil(lambda: isinstance(actions.active_dialog, AccountDialog), timeout=10_000)
        dialog = actions.active_dialog
        assert isinstance(dialog, AccountDialog)
        dialog.email.setText(new_email())
        dialog.password.setText("whatever it is")
        dialog.new_account.setChecked(True)
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=30_000)
        assert dialog.error.text().startswith("Bundlecast can't reach your system's keyring")
        dialog.reject()

        open_bundle(qtbot, window, "Lumen Drift: Season One")
        with qtbot.waitSignal(actions.bundle_added, timeout=60_000):
            press(window, "pilot")  # free content needs no keyring
    finally:
        close_store_window(window)


def test_a_shown_campaign_page_follows_new_backers_and_never_pulls_the_fan_back(
    qtbot: QtBot, store_window: StoreWindow, demo_store_url: str
) -> None:
    wait_for_catalog(qtbot, store_window)
    open_bundle(qtbot, store_window, "Lumen Drift: Season One")
    store_page = store_window.section.store_page
    page = store_page.bundle_page
    backers = lambda: int(page.campaign_label.text().split(" of ", 1)[0].replace(",", ""))  # noqa: E731
    before = backers()
    detail = page.detail
    assert detail is not None and detail.campaign is not None
    with StoreClient(demo_store_url) as other_fan:  # somebody else backs the series meanwhile
        email = new_email()
        other_fan.create_account(email, "another careful password")
        token = other_fan.sign_in(email, "another careful password").token
        other_fan.pledge(token, detail.campaign.id, Card("4242424242424242", 12, 2030, "123"))
    store_page.refresh_timer.setInterval(200)  # not the 20 s a fan waits: the test checks the behaviour
    qtbot.waitUntil(lambda: backers() == before + 1, timeout=30_000)
    assert store_page.stack.currentWidget() is page

    page.back_button.click()  # on the grid now: a refresh that lands must not open the bundle again
    with qtbot.waitSignal(store_window.section.actions.bundle_refreshed, timeout=5_000, raising=False):
        store_window.section.actions.refresh_bundle(detail.id)
    qtbot.wait(300)
    assert store_page.stack.currentWidget() is store_page.grid
