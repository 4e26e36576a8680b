"""Refunding backers over real HTTP (the store as its own process, the test-card payment path the campaign tests
use): a pledge captured when its campaign succeeded is refunded through the same creator route as a sale — the
provider's refund, the backer's license revoked at the store, the dashboard's ledger and figures equal to the store's
charges — and asking again changes nothing; a pledge not charged yet (its campaign still open) is cancelled, not
refunded, and the answer says so in a sentence."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from storefront.models import Account, Campaign, Charge, ChargeStatus, Pledge
from tests.storefront import creator_store
from tests.storefront.creator_store import (
    close_campaign,
    provider_status,
    publish_campaign,
    read_store,
    store_ledger,
)
from tests.storefront.store_support import GOOD_CARD, StoreProcess
from tests.support.creator import bearer, new_account

pytestmark = pytest.mark.timeout(180)
store, api = creator_store.store, creator_store.api  # the shared fixtures (an empty store of their own), by name


def _pledge_charge(store: StoreProcess, campaign_id: str, email: str) -> str:
    """The charge id of the backer's pledge (``email``'s), from the store's books."""
    charge_id = read_store(
        store,
        lambda session: session.scalar(
            select(Pledge.charge_id)
            .join(Account, Account.id == Pledge.account_id)
            .where(Pledge.campaign_id == campaign_id, Account.email == email, Pledge.status != "voided")
        ),
    )
    assert charge_id is not None
    return charge_id


def _back(api: httpx.Client, campaign_id: str, token: str) -> None:
    answer = api.put(f"/campaigns/{campaign_id}/pledge", json={"tier_id": "season", "card": GOOD_CARD},
                     headers=bearer(token))  # fmt: skip
    assert answer.status_code == 200, answer.text


def test_a_backer_charged_at_the_close_is_refunded_their_license_revoked_and_the_ledger_shows_it(
    store: StoreProcess, api: httpx.Client, tmp_path: Path
) -> None:
    token, campaign = publish_campaign(store, api, tmp_path, goal=1)
    (ana_email, ana), (_, ben) = new_account(api), new_account(api)
    _back(api, campaign, ana)
    _back(api, campaign, ben)
    assert "succeeded" in close_campaign(store, campaign)
    charge_id = _pledge_charge(store, campaign, ana_email)
    assert provider_status(store, charge_id) == "captured"
    assert len(api.get("/licenses", headers=bearer(ana)).json()["licenses"]) == 1

    first = api.post(f"/creators/sales/{charge_id}/refund", headers=bearer(token))
    assert first.status_code == 200, first.text
    done = first.json()
    assert (done["kind"], done["status"], done["amount_cents"], done["refunded_now"]) == (
        "pledge",
        "refunded",
        995,
        True,
    )
    assert provider_status(store, charge_id) == "refunded"  # the payment provider gave the money back
    assert api.get("/licenses", headers=bearer(ana)).json()["licenses"] == []  # revoked, as a refunded sale's is
    assert len(api.get("/licenses", headers=bearer(ben)).json()["licenses"]) == 1  # the other backer keeps theirs
    assert api.get(f"/campaigns/{campaign}/pledge", headers=bearer(ana)).json()["backed"] is False
    again = api.post(f"/creators/sales/{charge_id}/refund", headers=bearer(token))
    assert again.status_code == 200 and again.json()["refunded_now"] is False
    assert again.json()["refunded_at"] == done["refunded_at"]  # the same refund, nothing refunded twice

    dashboard = api.get("/creators/dashboard", headers=bearer(token)).json()
    line = next(b for b in dashboard["bundles"] if b["bundle_id"] == campaign)
    ledger = store_ledger(store, campaign)
    gross = sum(c.amount_cents for c in ledger if c.status == ChargeStatus.CAPTURED)
    fees = sum(c.fee_cents for c in ledger if c.status == ChargeStatus.CAPTURED)
    assert gross == 995 and fees > 0  # ben's pledge alone
    assert (line["gross_cents"], line["payment_fees_cents"]) == (gross, fees)
    assert line["net_cents"] == gross - fees - (gross * 10 + 50) // 100
    assert (line["pledges"], line["refunds"], line["sales"]) == (1, 1, 0)
    entries = [e for e in dashboard["payouts"]["entries"] if e["bundle_id"] == campaign]
    assert sorted((e["kind"], e["gross_cents"]) for e in entries if e["charge_id"] == charge_id) == [
        ("pledge", 995),
        ("refund", -995),
    ]
    assert sum(e["gross_cents"] for e in entries) == gross


def test_a_pledge_not_charged_yet_is_cancelled_not_refunded_and_only_by_the_campaigns_creator(
    store: StoreProcess, api: httpx.Client, tmp_path: Path
) -> None:
    token, campaign = publish_campaign(store, api, tmp_path, goal=5)
    other_creator, _ = publish_campaign(store, api, tmp_path, goal=5)
    fan_email, fan = new_account(api)
    _back(api, campaign, fan)
    charge_id = _pledge_charge(store, campaign, fan_email)
    refused = api.post(f"/creators/sales/{charge_id}/refund", headers=bearer(other_creator))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_your_bundle")
    assert provider_status(store, charge_id) == "authorized"  # a refused call touches nothing

    answer = api.post(f"/creators/sales/{charge_id}/refund", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    cancelled = answer.json()
    assert (cancelled["status"], cancelled["refunded_now"], cancelled["license_revoked"]) == ("cancelled", False, False)
    assert "not charged" in cancelled["message"] and "nothing is refunded" in cancelled["message"]
    assert provider_status(store, charge_id) == "voided"  # the hold on the card released
    assert api.get(f"/campaigns/{campaign}/pledge", headers=bearer(fan)).json()["backed"] is False
    progress = api.get(f"/campaigns/{campaign}").json()
    assert (progress["backers"], progress["pledged_cents"]) == (0, 0)
    assert read_store(store, lambda s: s.get_one(Campaign, campaign).backers) == 0
    assert read_store(store, lambda s: s.get_one(Charge, charge_id).status) == ChargeStatus.VOIDED

    again = api.post(f"/creators/sales/{charge_id}/refund", headers=bearer(token))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_refundable")
    assert "voided, not paid" in again.json()["error"]["message"]
