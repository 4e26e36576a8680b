"""Live events in the Store tab, against the real storefront and the real engine and keyring: the demo store's
upcoming broadcast shows in the row over the catalog (not among the cards), its page says when it starts and offers
*Watch*, which asks the app's live player for it; a paid broadcast on another store offers *Buy a ticket*, and after
the purchase (test card) the page offers *Watch* and nothing is downloaded. Once a broadcast has ended and its
recording is out (published by the app's publishing code as the live bundle's release), it is a card in the catalog
and its page is an ordinary bundle's: the recording's files and the gate's button, and buying downloads it."""

from __future__ import annotations

import base64
import itertools
import time
import uuid
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytestqt.qtbot import QtBot

from app.library.publishing import Publisher
from app.library.recording_release import recording_request
from app.live.encoder import EncoderSettings, LiveEncoder
from app.live.recording import RECORDING_FOLDER
from app.live.sources import PictureFormat, RawFrame, TestPattern
from app.live.ts_cutter import CutBlock
from app.store.creator import CreatorClient
from app.store.live import LiveState
from app.store.vault import LicenseVault
from app.ui.store.dialogs import PaymentDialog
from app.ui.store.live_text import start_text, state_text
from storefront.demo.live_event import DEMO_LIVE_ID, TITLE
from tests.support.creator import MemoryKeys, bearer, signed_manifest
from tests.ui.store_driving import (
    new_email,
    open_bundle,
    payment_dialog,
    press,
    sign_up_in_dialog,
    wait_for_catalog,
)
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


def _buy_as_a_new_fan(qtbot: QtBot, window: StoreWindow) -> PaymentDialog:
    """Press the page's buy button, sign up as a new fan, and fill the payment dialog with the test card."""
    press(window, "buy")
    sign_up_in_dialog(qtbot, window, new_email())
    dialog = payment_dialog(qtbot, window)
    dialog.number.setText("4242424242424242")
    dialog.cvc.setText("123")
    return dialog


def _paid_broadcast(store_url: str) -> tuple[str, str, str]:
    """A creator of the test's own announces a $5 broadcast, on the air now; (bundle id, title, creator's token)."""
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
    return bundle_id, title, token


def test_a_paid_broadcast_offers_a_ticket_and_then_watch_with_nothing_downloaded(
    qtbot: QtBot, tmp_path: Path, creator_store_url: str, keyring_service: str
) -> None:
    bundle_id, title, _token = _paid_broadcast(creator_store_url)
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

        dialog = _buy_as_a_new_fan(qtbot, window)
        assert dialog.intro.text() == f"A ticket to “{title}” for $5.00."
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


class _Frames:
    def __init__(self, frames: itertools.islice[RawFrame]) -> None:
        self._frames = frames

    def frames(self) -> itertools.islice[RawFrame]:
        return self._frames


def _recorded_part(path: Path) -> None:
    """A second of the test pattern, encoded and cut as the broadcaster records it (MPEG-TS)."""
    fmt = PictureFormat(width=320, height=180, fps=25)
    blocks: list[CutBlock] = []
    LiveEncoder(EncoderSettings(picture=fmt, video_kbps=200), blocks.append).run(
        _Frames(itertools.islice(TestPattern(fmt).frames(), fmt.fps))
    )
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(block.data for block in blocks))


def _end_and_release_recording(store_url: str, bundle_id: str, token: str, work: Path) -> str:
    """The broadcast ends and the creator publishes its recording (the app's publishing code); the file's name."""
    with httpx.Client(base_url=f"{store_url}/api/v1", timeout=30) as api:
        assert api.put(f"/creator/live/{bundle_id}/state", json={"state": "ended"}, headers=bearer(token)).is_success
        live = signed_manifest(api, bundle_id)
    recorded = work / "recorded"
    _recorded_part(recorded / RECORDING_FOLDER / "part-000001.ts")
    publisher = Publisher(work / "publishing", keys=MemoryKeys(), client=CreatorClient(store_url), token=token,
                          store_url=store_url)  # fmt: skip
    assert publisher.run(publisher.plan(recording_request(live, recorded))) == bundle_id
    return "part-000001.ts"


def test_an_ended_broadcasts_recording_is_a_card_whose_page_sells_and_downloads_it(
    qtbot: QtBot, tmp_path: Path, creator_store_url: str, keyring_service: str
) -> None:
    bundle_id, title, token = _paid_broadcast(creator_store_url)
    part = _end_and_release_recording(creator_store_url, bundle_id, token, tmp_path / "creator")
    web_page = httpx.get(f"{creator_store_url}/bundles/{bundle_id}", timeout=30).text  # the web page says so too
    assert "This broadcast has ended. Its recording is below." in web_page and 'id="torrent-link"' in web_page
    window = open_store_window(qtbot, tmp_path / "fan", creator_store_url, keyring_service)
    try:
        grid = window.section.grid
        grid.search.setText(title)  # the shared creator store holds other tests' bundles too
        qtbot.waitUntil(lambda: title in grid.card_titles(), timeout=30_000)
        open_bundle(qtbot, window, title)
        page = window.section.store_page.bundle_page
        assert page.live_label.text() == "This broadcast has ended. Its recording is below."
        assert page.files.isVisibleTo(page) and page.files.rowCount() == 1
        name = page.files.item(0, 0)
        assert name is not None and name.toolTip() == f"{RECORDING_FOLDER}/{part}"  # the file's path in the bundle
        assert page.visible_actions() == ["Buy $5.00…"]  # the ticket's price, and no Watch

        dialog = _buy_as_a_new_fan(qtbot, window)
        assert dialog.intro.text() == f"The recording of “{title}” for $5.00."
        with qtbot.waitSignal(window.section.actions.bundle_added, timeout=60_000) as added:
            dialog.ok_button.click()
        assert added.args[0] == bundle_id
        torrent_id = added.args[1]
        # The store's web seed serves it (the creator's app is not running): the whole recording arrives.
        qtbot.waitUntil(lambda: window.engine.snapshot(torrent_id).progress >= 1.0, timeout=90_000)
        qtbot.waitUntil(lambda: "Download" in page.visible_actions(), timeout=30_000)
        assert "Buy $5.00…" not in page.visible_actions()
    finally:
        close_store_window(window)
        LicenseVault(service=keyring_service).forget_store(creator_store_url)
