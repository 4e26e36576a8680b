"""The campaign backing panel on a campaign bundle's store page, in the whole window against a real store of its own
over HTTP (Xvfb): a creator publishes a campaign with two tiers and posts an update; the fan (signed in) opens its
page and sees the tiers, the missed-goal promise and the update; backs at a tier through the card dialog ("You
backed this" with it, the page's one-tier Pledge gone), changes tier, cancels, backs again — and the page opened
afresh reads "You backed this" back from the store."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.bundle import BundleKind, GateType
from app.library.publishing import Publisher, PublishRequest, TierChoice
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.creator import CreatorClient
from app.store.vault import LicenseVault
from app.ui.creator.backing_panel import MISSED_GOAL, BackingPanel
from tests.support.creator import MemoryKeys, episodes
from tests.ui.store_driving import PASSWORD, new_email
from tests.ui.store_fixtures import StoreWindow, close_store_window, open_store_window

pytestmark = pytest.mark.timeout(180)


def _account(url: str) -> tuple[str, str]:
    email = new_email()
    with StoreClient(url) as client:
        client.create_account(email, PASSWORD)
        return email, client.sign_in(email, PASSWORD).token


def _open_panel(qtbot: QtBot, window: StoreWindow, bundle_id: str) -> BackingPanel:
    page = window.section.store_page.bundle_page
    with qtbot.waitSignal(window.section.actions.bundle_loaded, timeout=30_000):
        window.section.open_bundle(bundle_id)
    panel = page.panel
    assert isinstance(panel, BackingPanel)
    qtbot.waitUntil(lambda: len(panel.tier_group.buttons()) == 2 and panel.backed.text() != "", timeout=30_000)
    return panel


def _back_at(qtbot: QtBot, window: StoreWindow, panel: BackingPanel, tier_id: str, expected: str) -> None:
    panel.choose_tier(tier_id)
    window.window.card_dialog = None
    panel.pledge_button.click()
    qtbot.waitUntil(lambda: window.window.card_dialog is not None and window.window.card_dialog.isVisible(),
                    timeout=10_000)  # fmt: skip
    dialog = window.window.card_dialog
    assert dialog is not None
    dialog.number.setText("4242 4242 4242 4242")
    dialog.cvc.setText("123")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: panel.backed.text() == expected, timeout=30_000)


def test_a_fan_backs_changes_and_cancels_at_a_tier_on_the_campaign_page(
    qtbot: QtBot, tmp_path: Path, creator_store_url: str, keyring_service: str
) -> None:
    url, title = creator_store_url, f"Lumen Drift {uuid.uuid4().hex[:6]}"
    _, creator_token = _account(url)
    creators = CreatorClient(url)
    creators.become_creator(creator_token, "Mara")
    publisher = Publisher(tmp_path / "creator", keys=MemoryKeys(), client=creators, token=creator_token,
                          store_url=url)  # fmt: skip
    bundle_id = publisher.run(publisher.plan(PublishRequest(
        folder=episodes(tmp_path / "src", {"pilot.bin": 1000, "e1.bin": 5000}), title=title, kind=BundleKind.SERIES,
        gate=GateType.CAMPAIGN, locked=frozenset({"e1.bin"}), price_cents=995, goal_backers=100,
        tiers=(TierChoice("season", "The season", 995), TierChoice("credits", "Season + credits", 2500)))))  # fmt: skip
    creators.post_update(creator_token, bundle_id, "Shooting", "Day 1 done.")

    fan_email, _ = _account(url)
    vault = LicenseVault(service=keyring_service)
    StoreAccount(StoreClient(url), vault, store_ref=url).sign_in(fan_email, PASSWORD)
    window = open_store_window(qtbot, tmp_path / "fan", url, keyring_service)
    try:
        qtbot.waitUntil(lambda: window.section.actions.account_email == fan_email, timeout=30_000)
        panel = _open_panel(qtbot, window, bundle_id)
        page = window.section.store_page.bundle_page
        assert panel.isVisible() and not page.buttons["pledge"].isHidden()  # not backed: the page's Pledge too
        assert [b.text() for b in panel.tier_group.buttons()] == ["$9.95 — The season", "$25.00 — Season + credits"]
        assert panel.backed.text() == "You have not backed this yet." and panel.missed.text() == MISSED_GOAL
        assert [panel.updates.item(i).text() for i in range(panel.updates.count())] == ["Shooting — Day 1 done."]

        _back_at(qtbot, window, panel, "season", "You backed this — The season ($9.95).")
        assert page.buttons["pledge"].isHidden()  # backed: no "Pledge $9.95…" any more, the panel changes it
        _back_at(qtbot, window, panel, "credits", "You backed this — Season + credits ($25.00).")
        panel.cancel_button.click()
        qtbot.waitUntil(lambda: panel.backed.text() == "You have not backed this yet.", timeout=30_000)
        assert not page.buttons["pledge"].isHidden()
        _back_at(qtbot, window, panel, "season", "You backed this — The season ($9.95).")

        page.back_button.click()
        again = _open_panel(qtbot, window, bundle_id)  # the page afresh: the store's answer, as after a restart
        assert again is not panel and again.backed.text() == "You backed this — The season ($9.95)."
        assert page.buttons["pledge"].isHidden()
    finally:
        close_store_window(window)
        vault.forget_store(url)
