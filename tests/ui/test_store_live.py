"""Live events in the Store tab, against the real storefront and the real engine and keyring: the demo store's
upcoming broadcast shows in the row over the catalog (not among the cards), its page says when it starts and offers
*Watch*, which asks the app's live player for it; a paid broadcast on another store offers *Buy a ticket*, and after
the purchase (test card) the page offers *Watch* and nothing is downloaded."""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytestqt.qtbot import QtBot

from app.store.live import LiveState
from app.store.vault import LicenseVault
from app.ui.store.live_text import start_text, state_text
from storefront.demo.live_event import DEMO_LIVE_ID, TITLE
from tests.ui.store_driving import new_email, payment_dialog, press, sign_up_in_dialog, wait_for_catalog
from tests.ui.store_fixtures import StoreWindow, close_store_window, open_store_window


def _open_from_row(qtbot: QtBot, window: StoreWindow, title: str) -> None:
    row = window.section.live_row
    lists = (row.live_list, row.upcoming_list)
    item = next(w.item(i) for w in lists for i in range(w.count()) if title in w.item(i).text())
    with qtbot.waitSignal(window.section.actions.bundle_loaded, timeout=30_000):
        item.listWidget().itemClicked.emit(item)
    page = window.section.store_page
    assert page.stack.currentWidget() is page.bundle_page and page.bundle_page.title.text() == title


def test_the_demo_broadcast_is_upcoming_over_the_catalog_and_its_page_offers_watch(
    qtbot: QtBot, store_window: StoreWindow
) -> None:
    wait_for_catalog(qtbot, store_window)
    row = store_window.section.live_row
    qtbot.waitUntil(lambda: row.isVisible() and row.upcoming_list.count() == 1, timeout=30_000)
    [line] = row.lines()
    assert TITLE in line and "The Quiet Orbitals" in line and line.endswith("· Free")
    assert not row.live_list.isVisible() and not row.live_heading.isVisible()  # nothing is on the air
    assert TITLE not in store_window.section.grid.card_titles()  # broadcasts are not download cards

    _open_from_row(qtbot, store_window, TITLE)
    page = store_window.section.store_page.bundle_page
    detail = page.detail
    assert detail is not None and detail.live is not None and detail.live.state == LiveState.SCHEDULED
    assert page.live_label.text() == f"Starts {start_text(detail.live.starts_at)}"  # e.g. "Starts Mon 7 Dec, …"
    assert page.live_label.text() == state_text(detail) and "(in 3 days)" in page.live_label.text()
    assert page.visible_actions() == ["Watch"]
    assert not page.files.isVisibleTo(page)
    with qtbot.waitSignal(store_window.section.watch_live_requested, timeout=5_000) as asked:
        press(store_window, "watch")
    assert asked.args == [DEMO_LIVE_ID]


def _paid_broadcast(store_url: str) -> tuple[str, str]:
    """A creator of the test's own announces a $5 broadcast, on the air now; (bundle id, title)."""
    title = f"Night Ferry Live {uuid.uuid4().hex[:4]}"
    public = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    with httpx.Client(base_url=f"{store_url}/api/v1", timeout=30) as api:
        email = f"creator-{uuid.uuid4().hex[:8]}@example.com"
        assert api.post("/accounts", json={"email": email, "password": "password-123"}).status_code == 201
        token = api.post("/sessions", json={"email": email, "password": "password-123"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert api.post("/creators/me", json={"display_name": "Ferry Crew"}, headers=auth).is_success
        made = api.post(
            "/creator/live",
            json={
                "title": title,
                "starts_at": int(time.time()) + 120,
                "gate": "price",
                "price_cents": 500,
                "stream_public_key": base64.b64encode(public).decode(),
                "origin_url": "http://127.0.0.9:8099/",
            },
            headers=auth,
        )
        assert made.status_code == 201, made.text
        bundle_id = str(made.json()["bundle_id"])
        assert api.put(f"/creator/live/{bundle_id}/state", json={"state": "on_air"}, headers=auth).is_success
    return bundle_id, title


def test_a_paid_broadcast_offers_a_ticket_and_then_watch_with_nothing_downloaded(
    qtbot: QtBot, tmp_path: Path, creator_store_url: str, keyring_service: str
) -> None:
    bundle_id, title = _paid_broadcast(creator_store_url)
    window = open_store_window(qtbot, tmp_path, creator_store_url, keyring_service)
    try:
        row = window.section.live_row
        qtbot.waitUntil(lambda: any(title in line for line in row.lines()), timeout=60_000)
        line = next(line for line in row.lines() if title in line)
        assert line.startswith("● LIVE") and line.endswith("· Ticket $5.00")
        _open_from_row(qtbot, window, title)
        page = window.section.store_page.bundle_page
        assert page.live_label.text() == "● LIVE now"
        assert page.visible_actions() == ["Buy a ticket $5.00…"]

        press(window, "buy")
        sign_up_in_dialog(qtbot, window, new_email())
        dialog = payment_dialog(qtbot, window)
        assert dialog.intro.text() == f"A ticket to “{title}” for $5.00."
        dialog.number.setText("4242424242424242")
        dialog.cvc.setText("123")
        with qtbot.waitSignal(window.section.actions.purchase_completed, timeout=60_000):
            dialog.ok_button.click()
        qtbot.waitUntil(lambda: page.visible_actions() == ["Watch"], timeout=30_000)
        assert window.vault.licenses_for_bundle(window.store_ref, bundle_id)  # the ticket, in the keyring
        banner = window.section.store_page.banner
        assert banner.text == f"Thank you! Your ticket to “{title}” is in: press Watch when it is on."
        assert window.engine.torrent_ids() == []  # a ticket has nothing to download
        with qtbot.waitSignal(window.section.watch_live_requested, timeout=5_000) as asked:
            press(window, "watch")
        assert asked.args == [bundle_id]
    finally:
        close_store_window(window)
        LicenseVault(service=keyring_service).forget_store(creator_store_url)
