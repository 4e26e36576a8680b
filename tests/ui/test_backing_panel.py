"""The campaign page's backing panel against the real store over HTTP, in a real Qt window: tiers with prices,
back at a tier → "You backed this" with it (read back from the store, as after a restart), change tier, cancel,
a refused card in a sentence, the missed-goal promise in plain words, and the creator's updates."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytestqt.qtbot import QtBot

from app.bundle import BundleKind, GateType
from app.library.publishing import Publisher, PublishRequest, TierChoice
from app.store.client import StoreClient
from app.store.creator import CreatorClient
from app.ui.creator.backing_panel import GOAL_MET, GOAL_MISSED, MISSED_GOAL, BackingPanel, BackingState
from app.ui.tasks import SynchronousTaskRunner
from tests.storefront.store_support import DECLINED_CARD, GOOD_CARD, StoreProcess, serve_empty_store
from tests.support.creator import MemoryKeys, bearer, episodes, new_account

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreProcess]:
    yield from serve_empty_store(tmp_path_factory, "backing-store")


def _campaign(store: StoreProcess, tmp_path: Path, goal_backers: int) -> str:
    """A published campaign bundle with two tiers and an update; its id (= its campaign's id)."""
    api = httpx.Client(base_url=store.api, timeout=30)
    _, creator = new_account(api)
    api.post("/creators/me", json={"display_name": "Mara"}, headers=bearer(creator))
    publisher = Publisher(
        tmp_path / "work", keys=MemoryKeys(), client=CreatorClient(store.url), token=creator,
        store_url=store.url,
    )  # fmt: skip
    job = publisher.plan(
        PublishRequest(
            folder=episodes(tmp_path / "src", {"pilot.bin": 1000, "e1.bin": 5000}),
            title="Lumen Drift", kind=BundleKind.SERIES, gate=GateType.CAMPAIGN, locked=frozenset({"e1.bin"}),
            price_cents=995, goal_backers=goal_backers,
            tiers=(TierChoice("season", "The season", 995), TierChoice("credits", "Season + credits", 2500)),
        )
    )  # fmt: skip
    bundle_id = publisher.run(job)
    api.post(f"/creators/bundles/{bundle_id}/updates", json={"title": "Shooting", "body": "Day 1 done."},
             headers=bearer(creator))  # fmt: skip
    return bundle_id


@pytest.fixture
def campaign(empty_store: StoreProcess, tmp_path: Path) -> Iterator[tuple[StoreProcess, str, str]]:
    bundle_id = _campaign(empty_store, tmp_path, goal_backers=100)
    _, fan = new_account(httpx.Client(base_url=empty_store.api, timeout=30))
    yield empty_store, bundle_id, fan


def _panel(store: StoreProcess, campaign_id: str, token: str, card: dict[str, object]) -> BackingPanel:
    client = CreatorClient(store.url)
    return BackingPanel(
        SynchronousTaskRunner(),
        load=lambda: BackingState(
            client.tiers(campaign_id),
            client.my_pledge(token, campaign_id),
            client.updates(campaign_id),
            StoreClient(store.url).campaign(campaign_id),
        ),
        set_tier=lambda tier: client.pledge_tier(token, campaign_id, tier, card),
        cancel=lambda: client.cancel_pledge(token, campaign_id),
    )


def test_back_change_tier_and_cancel_from_the_campaign_page(
    qtbot: QtBot, campaign: tuple[StoreProcess, str, str]
) -> None:
    store, bundle_id, fan = campaign
    panel = _panel(store, bundle_id, fan, GOOD_CARD)
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()
    assert panel.backed.text() == "You have not backed this yet."
    assert [b.text() for b in panel.tier_group.buttons()] == ["$9.95 — The season", "$25.00 — Season + credits"]
    assert panel.missed.text() == MISSED_GOAL
    assert panel.updates.item(0).text() == "Shooting — Day 1 done."  # type: ignore[union-attr]
    assert panel.pledge_button.isEnabled() and all(b.isEnabled() for b in panel.tier_group.buttons())
    panel.pledge("season")
    assert panel.backed.text() == "You backed this — The season ($9.95)."
    assert panel.cancel_button.isEnabled()
    assert panel.pledge_button.text() == "Change to this tier"
    again = _panel(store, bundle_id, fan, GOOD_CARD)  # a new window (as after a restart) reads it from the store
    qtbot.addWidget(again)
    again.refresh()
    assert again.backed.text() == "You backed this — The season ($9.95)."
    again.pledge("credits")
    assert again.backed.text() == "You backed this — Season + credits ($25.00)."
    again.cancel_pledge()
    assert again.backed.text() == "You have not backed this yet."


def test_a_declined_card_is_a_sentence_and_backs_nothing(qtbot: QtBot, campaign: tuple[StoreProcess, str, str]) -> None:
    store, bundle_id, fan = campaign
    panel = _panel(store, bundle_id, fan, DECLINED_CARD)
    qtbot.addWidget(panel)
    panel.refresh()
    panel.pledge("credits")
    assert "declined" in panel.message.text().lower()
    panel.refresh()
    assert panel.backed.text() == "You have not backed this yet."


MET = (1, GOAL_MET, "You backed this — Season + credits ($25.00).")  # captured at the final tier
MISSED = (100, GOAL_MISSED, "You have no pledge on this campaign.")  # voided: nothing charged


@pytest.mark.parametrize(("goal_backers", "sentence", "backed"), [MET, MISSED], ids=["met", "missed"])
def test_after_the_deadline_pledging_is_greyed_out_and_the_panel_says_whether_the_goal_was_met(
    qtbot: QtBot, empty_store: StoreProcess, tmp_path: Path, goal_backers: int, sentence: str, backed: str
) -> None:
    bundle_id = _campaign(empty_store, tmp_path, goal_backers)
    _, fan = new_account(httpx.Client(base_url=empty_store.api, timeout=30))
    panel = _panel(empty_store, bundle_id, fan, GOOD_CARD)
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()
    panel.pledge("credits")
    assert panel.cancel_button.isEnabled()
    subprocess.run(  # the deadline, as the store's operator brings it forward: the campaign is settled now
        [sys.executable, "-m", "storefront", "campaign", "close", bundle_id, "--data-dir", str(empty_store.data_dir)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    panel.refresh()
    assert panel.missed.text() == sentence
    assert panel.backed.text() == backed
    assert not panel.pledge_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert panel.tier_group.buttons() and not any(b.isEnabled() for b in panel.tier_group.buttons())
