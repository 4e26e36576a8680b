"""Money for creators over real HTTP: campaign tiers (pledge, change tier, cancel, pledge again; goal met → each
backer charged once at the final tier, missed → nobody), creator updates, and the dashboard's figures against
the store's own ledger (its charges table) after a scripted series of sales, refunds and pledges."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.bundle import GateType, GrantScope, load_public_key, verify_license
from app.store.creator import CreatorClient
from storefront.creator_dashboard import buyer_label
from storefront.models import ChargeStatus, Purchase
from tests.storefront import creator_store
from tests.storefront.creator_store import (
    close_campaign,
    provider_status,
    publish_campaign,
    publish_series,
    read_store,
    store_ledger,
)
from tests.storefront.store_support import GOOD_CARD, StoreProcess
from tests.support.creator import bearer, new_account

pytestmark = pytest.mark.timeout(180)
store, api = creator_store.store, creator_store.api  # the shared fixtures (an empty store of their own), by name


def _charge_of(store: StoreProcess, purchase: dict[str, Any]) -> str:
    charge_id = read_store(store, lambda session: session.get_one(Purchase, purchase["purchase_id"]).charge_id)
    assert charge_id is not None
    return charge_id


def test_tiers_pledge_change_cancel_pledge_again_then_each_backer_is_charged_once_at_the_final_tier(
    store: StoreProcess, api: httpx.Client, tmp_path: Path
) -> None:
    _, campaign = publish_campaign(store, api, tmp_path, goal=2)
    tiers = api.get(f"/campaigns/{campaign}/tiers").json()["tiers"]
    assert [(t["id"], t["price_cents"]) for t in tiers] == [("season", 995), ("credits", 2500)]
    _, ana = new_account(api)
    _, ben = new_account(api)
    mine = f"/campaigns/{campaign}/pledge"
    assert api.get(mine, headers=bearer(ana)).json()["backed"] is False
    assert api.put(mine, json={"tier_id": "season", "card": GOOD_CARD}, headers=bearer(ana)).status_code == 200
    assert api.put(mine, json={"tier_id": "credits", "card": GOOD_CARD}, headers=bearer(ana)).status_code == 200
    backed = api.get(mine, headers=bearer(ana)).json()
    assert (backed["backed"], backed["tier_id"], backed["amount_cents"]) == (True, "credits", 2500)
    assert api.put(mine, json={"tier_id": "season", "card": GOOD_CARD}, headers=bearer(ben)).status_code == 200
    assert api.delete(mine, headers=bearer(ben)).json()["backed"] is False
    progress = api.get(f"/campaigns/{campaign}").json()
    assert (progress["backers"], progress["pledged_cents"]) == (1, 2500)
    assert api.put(mine, json={"tier_id": "season", "card": GOOD_CARD}, headers=bearer(ben)).status_code == 200
    progress = api.get(f"/campaigns/{campaign}").json()
    assert (progress["backers"], progress["pledged_cents"]) == (2, 2500 + 995)
    wrong = api.put(mine, json={"tier_id": "gold", "card": GOOD_CARD}, headers=bearer(ben))
    assert wrong.status_code == 422 and "no reward tier" in wrong.json()["error"]["message"]

    assert "succeeded" in close_campaign(store, campaign)
    ledger = store_ledger(store, campaign)
    captured = defaultdict(list)
    for charge in ledger:
        if charge.status == ChargeStatus.CAPTURED:
            captured[charge.account_id].append(charge.amount_cents)
        else:
            assert charge.status == ChargeStatus.VOIDED  # every earlier hold was released
    assert sorted(captured.values()) == [[995], [2500]]
    late = api.put(mine, json={"tier_id": "credits", "card": GOOD_CARD}, headers=bearer(ben))
    assert late.status_code == 409 and late.json()["error"]["code"] == "campaign_closed"
    # Both backers hold a season license.
    key = load_public_key(api.get("/public-key").json()["public_key"])
    for fan in (ana, ben):
        tokens = api.get("/licenses", headers=bearer(fan)).json()["licenses"]
        opened = [verify_license(t if isinstance(t, str) else t["token"], key) for t in tokens]
        assert [(lic.bundle_id, lic.grant.scope) for lic in opened] == [(campaign, GrantScope.BUNDLE)]


def test_a_missed_goal_charges_nobody(store: StoreProcess, api: httpx.Client, tmp_path: Path) -> None:
    _, campaign = publish_campaign(store, api, tmp_path, goal=5)
    mine = f"/campaigns/{campaign}/pledge"
    for tier in ("season", "credits"):
        _, fan = new_account(api)
        assert api.put(mine, json={"tier_id": "season", "card": GOOD_CARD}, headers=bearer(fan)).status_code == 200
        assert api.put(mine, json={"tier_id": tier, "card": GOOD_CARD}, headers=bearer(fan)).status_code == 200
    assert "failed" in close_campaign(store, campaign)
    assert {c.status for c in store_ledger(store, campaign)} == {ChargeStatus.VOIDED}


def test_the_dashboard_equals_the_stores_ledger_after_sales_refunds_and_pledges(
    store: StoreProcess, api: httpx.Client, tmp_path: Path
) -> None:
    token, paid = publish_series(
        store, api, tmp_path, {"title": "Night Shift", "gate": GateType.PAID, "price_cents": 499}
    )
    buyers = [new_account(api)[1] for _ in range(3)]
    sales = []
    for fan in buyers:
        bought = api.post(
            "/purchases",
            json={"bundle_id": paid, "card": GOOD_CARD},
            headers={**bearer(fan), "Idempotency-Key": uuid.uuid4().hex},
        )
        assert bought.status_code == 201, bought.text
        sales.append(bought.json())
    for _ in range(2):
        assert api.get(f"/bundles/{paid}/torrent").status_code == 200
    # A refund, as the label makes it: the creator API, over HTTP; the sale named by the dashboard's ledger.
    before = api.get("/creators/dashboard", headers=bearer(token)).json()
    refunded_fan = buyers[0]
    charge_id = next(
        e["charge_id"] for e in before["payouts"]["entries"] if e["charge_id"] == _charge_of(store, sales[0])
    )
    first = api.post(f"/creators/sales/{charge_id}/refund", headers=bearer(token))
    assert first.status_code == 200, first.text
    # Asked again (the app's creator client this time): the same refund, nothing refunded twice.
    again = CreatorClient(store.url).refund_sale(token, charge_id)
    assert (first.json()["refunded_now"], again["refunded_now"]) == (True, False)
    assert {**again, "refunded_now": True} == first.json()  # the same refund, at the same time
    assert first.json()["status"] == "refunded" and first.json()["amount_cents"] == 499
    assert provider_status(store, charge_id) == "refunded"  # the payment provider gave the money back
    assert api.get("/licenses", headers=bearer(refunded_fan)).json()["licenses"] == []  # revoked at the store
    assert len(api.get("/licenses", headers=bearer(buyers[1])).json()["licenses"]) == 1  # others keep theirs

    dashboard = api.get("/creators/dashboard", headers=bearer(token)).json()
    line = next(b for b in dashboard["bundles"] if b["bundle_id"] == paid)
    ledger = store_ledger(store, paid)
    gross = sum(c.amount_cents for c in ledger if c.status == ChargeStatus.CAPTURED)
    fees = sum(c.fee_cents for c in ledger if c.status == ChargeStatus.CAPTURED)
    cut = (gross * 10 + 50) // 100
    assert (line["gross_cents"], line["payment_fees_cents"], line["store_fee_cents"]) == (gross, fees, cut)
    assert line["net_cents"] == gross - fees - cut and gross == 2 * 499 and fees > 0
    assert (line["sales"], line["refunds"], line["downloads"]) == (2, 1, 2)
    assert dashboard["payouts"]["owed_cents"] == dashboard["totals"]["net_cents"] == line["net_cents"]
    assert sum(e["gross_cents"] for e in dashboard["payouts"]["entries"]) == gross
    refund_entries = [e for e in dashboard["payouts"]["entries"] if e["charge_id"] == charge_id]
    assert [(e["kind"], e["gross_cents"]) for e in refund_entries] == [("sale", 499), ("refund", -499)]
    # Buyers are named without their account's e-mail (none of them gave it to an e-mail gate of this creator).
    buyers_shown = {e["buyer"] for e in dashboard["payouts"]["entries"]}
    assert len(buyers_shown) == 3 and all(b.startswith("Fan ") and "@" not in b for b in buyers_shown)
    assert len({e["buyer"] for e in refund_entries}) == 1  # the same pseudonym on the sale and its refund
    assert sum(d["count"] for d in dashboard["series"]["downloads_per_day"]) == 2
    assert sum(d["gross_cents"] for d in dashboard["series"]["revenue_per_day"]) == gross
    # Updates: the creator posts, anyone reads.
    posted = api.post(
        f"/creators/bundles/{paid}/updates",
        json={"title": "Episode 2 is shot", "body": "Editing now."},
        headers=bearer(token),
    )
    assert posted.status_code == 201
    assert [u["title"] for u in api.get(f"/bundles/{paid}/updates").json()["updates"]] == ["Episode 2 is shot"]


def test_a_refund_is_refused_to_anyone_but_the_bundles_creator_and_the_operators_cli_refunds_by_purchase_id(
    store: StoreProcess, api: httpx.Client, tmp_path: Path
) -> None:
    token, paid = publish_series(
        store, api, tmp_path, {"title": "Day Shift", "gate": GateType.PAID, "price_cents": 300}
    )
    _, fan = new_account(api)
    bought = api.post(
        "/purchases",
        json={"bundle_id": paid, "card": GOOD_CARD},
        headers={**bearer(fan), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert bought.status_code == 201, bought.text
    charge_id = _charge_of(store, bought.json())
    other_creator, _ = publish_series(
        store, api, tmp_path, {"title": "Other", "gate": GateType.PAID, "price_cents": 100}
    )
    refusals = {
        "not_your_bundle": api.post(f"/creators/sales/{charge_id}/refund", headers=bearer(other_creator)),
        "not_creator": api.post(f"/creators/sales/{charge_id}/refund", headers=bearer(fan)),
        "unknown_charge": api.post("/creators/sales/no-such-sale/refund", headers=bearer(token)),
    }
    assert {code: answer.json()["error"]["code"] for code, answer in refusals.items()} == {
        code: code for code in refusals
    }
    assert [r.status_code for r in refusals.values()] == [403, 403, 404]
    assert provider_status(store, charge_id) == "captured"  # nothing refunded by a refused call
    assert len(api.get("/licenses", headers=bearer(fan)).json()["licenses"]) == 1

    done = subprocess.run(
        [sys.executable, "-m", "storefront", "refund", bought.json()["purchase_id"], "--data-dir", str(store.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"refunded {charge_id}" in done.stdout
    assert provider_status(store, charge_id) == "refunded"
    assert api.get("/licenses", headers=bearer(fan)).json()["licenses"] == []
    again = api.post(  # the refunded fan may buy it again: the sale that made it "owned" is gone
        "/purchases",
        json={"bundle_id": paid, "card": GOOD_CARD},
        headers={**bearer(fan), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert again.status_code == 201, again.text
    line = next(
        b for b in api.get("/creators/dashboard", headers=bearer(token)).json()["bundles"] if b["bundle_id"] == paid
    )
    assert (line["sales"], line["refunds"], line["gross_cents"]) == (1, 1, 300)


def test_a_buyer_is_a_pseudonym_stable_for_one_creator_and_different_for_another() -> None:
    assert buyer_label("creator-a", "fan-1") == buyer_label("creator-a", "fan-1")
    assert buyer_label("creator-a", "fan-1") != buyer_label("creator-b", "fan-1")  # creators cannot match buyers up
    assert buyer_label("creator-a", "fan-1") != buyer_label("creator-a", "fan-2")
