"""Campaigns over real HTTP: progress for anyone, pledges that only authorize, closing by the CLI and by the
deadline task — success captures and licenses, failure voids — and pledges racing a close."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select, update

from app.bundle import GrantScope, b64url_encode, load_public_key, verify_license
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.models import Campaign, Charge, License, Pledge, TestCardPayment
from storefront.services import build_services
from tests.storefront.store_support import (
    DECLINED_CARD,
    GOOD_CARD,
    REPO,
    SeededStore,
    StoreProcess,
    auth,
    sign_up_and_in,
)
from tests.support.waiting import wait_until

ENV = {"BUNDLECAST_TESTCARD_LATENCY_MS": "30", "BUNDLECAST_CAMPAIGN_POLL_S": "0.5"}


@pytest.fixture(scope="module")
def store(seeded: SeededStore) -> Iterator[StoreProcess]:
    """A server whose provider takes 30 ms a call (a payment service is remote) and checks deadlines often."""
    server = StoreProcess(seeded.data_dir, env=ENV).start()
    yield server
    server.stop()


def _db(seeded: SeededStore) -> Database:
    return Database(StoreConfig(data_dir=seeded.data_dir).effective_database_url)


def _ledger(seeded: SeededStore, campaign_id: str) -> list[tuple[str, str | None, str]]:
    """(pledge status, account, provider status) for every pledge of a campaign."""
    db = _db(seeded)
    try:
        with db.session() as session:
            rows = session.execute(
                select(Pledge.status, Pledge.account_id, TestCardPayment.status)
                .join(Charge, Charge.id == Pledge.charge_id)
                .outerjoin(TestCardPayment, TestCardPayment.reference == Charge.id)
                .where(Pledge.campaign_id == campaign_id)
            ).all()
            return [(str(a), b, str(c)) for a, b, c in rows]
    finally:
        db.dispose()


def _licensed_accounts(seeded: SeededStore, bundle_id: str) -> set[str]:
    db = _db(seeded)
    try:
        with db.session() as session:
            return set(session.scalars(select(License.account_id).where(License.bundle_id == bundle_id)))
    finally:
        db.dispose()


def _pledge(api: httpx.Client, token: str, campaign_id: str, card: dict[str, object] = GOOD_CARD) -> httpx.Response:
    return api.post(f"/campaigns/{campaign_id}/pledges", json={"card": card}, headers=auth(token, uuid.uuid4().hex))


def _close_by_cli(seeded: SeededStore, campaign_id: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storefront", "campaign", "close", campaign_id, "--data-dir", str(seeded.data_dir)],
        cwd=REPO,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_progress_is_readable_by_anyone_and_a_pledge_only_authorizes(api: httpx.Client, seeded: SeededStore) -> None:
    before = api.get(f"/campaigns/{seeded.campaign_ok}").json()
    assert before["state"] == "open" and before["goal_backers"] == 2 and before["price_cents"] == 995
    assert 29 * 86400 < before["seconds_left"] <= 30 * 86400
    token = sign_up_and_in(api)
    declined = _pledge(api, token, seeded.campaign_ok, DECLINED_CARD)
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "card_declined"
    missing_key = api.post(f"/campaigns/{seeded.campaign_ok}/pledges", json={"card": GOOD_CARD}, headers=auth(token))
    assert missing_key.status_code == 400 and missing_key.json()["error"]["code"] == "idempotency_key_missing"
    pledged = _pledge(api, token, seeded.campaign_ok)
    assert pledged.status_code == 201 and pledged.json()["status"] == "authorized"
    twice = _pledge(api, token, seeded.campaign_ok)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_pledged"
    after = api.get(f"/campaigns/{seeded.campaign_ok}").json()
    assert (after["backers"], after["pledged_cents"]) == (before["backers"] + 1, before["pledged_cents"] + 995)
    assert [(p, s) for p, _, s in _ledger(seeded, seeded.campaign_ok)] == [("authorized", "authorized")]
    assert api.get("/licenses", headers=auth(token)).json() == {"licenses": []}  # nothing until it succeeds
    detail = api.get(f"/bundles/{seeded.campaign_ok}").json()
    assert detail["campaign"]["id"] == seeded.campaign_ok and detail["campaign"]["backers"] == after["backers"]


def test_goal_met_captures_every_pledge_and_issues_season_licenses(api: httpx.Client, seeded: SeededStore) -> None:
    backers_before = api.get(f"/campaigns/{seeded.campaign_ok}").json()["backers"]
    tokens = [sign_up_and_in(api) for _ in range(2)]  # with these two, the goal of 2 backers is met
    for token in tokens:
        assert _pledge(api, token, seeded.campaign_ok).status_code == 201
    closed = _close_by_cli(seeded, seeded.campaign_ok)
    assert closed.returncode == 0, closed.stderr
    assert "succeeded" in closed.stdout
    view = api.get(f"/campaigns/{seeded.campaign_ok}").json()
    assert view["state"] == "succeeded" and view["backers"] == backers_before + 2
    assert {(p, s) for p, _, s in _ledger(seeded, seeded.campaign_ok)} == {("captured", "captured")}
    key = load_public_key(api.get("/public-key").json()["public_key"])
    for token in tokens:
        (lic,) = api.get("/licenses", headers=auth(token)).json()["licenses"]
        season = verify_license(lic, key)
        assert season.bundle_id == seeded.campaign_ok and season.grant.scope is GrantScope.BUNDLE
        assert season.opens("media/part1.bin") and season.opens("episodes/released-next-year.mp4")
    # The bundle key leaves the store only inside licenses: not in the public answers, not bare in the database.
    assert season.grant.bundle_key is not None
    key_forms = (
        season.grant.bundle_key,
        b64url_encode(season.grant.bundle_key).encode(),
        season.grant.bundle_key.hex().encode(),
    )
    public = [
        api.get(f"/bundles/{seeded.campaign_ok}").content,
        api.get(f"/bundles/{seeded.campaign_ok}/torrent").content,
        api.get("/catalog").content,
        api.get(f"/campaigns/{seeded.campaign_ok}").content,
    ]
    database = b"".join(p.read_bytes() for p in seeded.data_dir.glob("store.db*"))
    for blob in (*public, database):
        assert not any(form in blob for form in key_forms)
    late = _pledge(api, sign_up_and_in(api), seeded.campaign_ok)
    assert late.status_code == 409 and late.json()["error"]["code"] == "campaign_closed"


def test_deadline_passing_with_goal_missed_voids_every_pledge(api: httpx.Client, seeded: SeededStore) -> None:
    tokens = [sign_up_and_in(api) for _ in range(3)]
    for token in tokens:
        assert _pledge(api, token, seeded.campaign_fail).status_code == 201
    db = _db(seeded)  # the deadline arrives
    with db.write() as session:
        session.execute(
            update(Campaign)
            .where(Campaign.id == seeded.campaign_fail)
            .values(deadline=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    db.dispose()
    wait_until(lambda: api.get(f"/campaigns/{seeded.campaign_fail}").json()["state"] != "open", 60,
               "the server's deadline task to close the campaign", 0.2)
    view = api.get(f"/campaigns/{seeded.campaign_fail}").json()
    assert view["state"] == "failed" and view["seconds_left"] == 0
    assert {(p, s) for p, _, s in _ledger(seeded, seeded.campaign_fail)} == {("voided", "voided")}
    for token in tokens:
        assert api.get("/licenses", headers=auth(token)).json() == {"licenses": []}


def test_pledges_arriving_while_the_campaign_closes_are_all_settled(
    store: StoreProcess, api: httpx.Client, seeded: SeededStore
) -> None:
    """Waves of pledges go to the server while another process's closer (here: this test's own, to start it at
    a known moment) flips the campaign and settles it: every pledge ends captured with a license, or refused."""
    tokens = [sign_up_and_in(api) for _ in range(40)]
    campaign = seeded.campaign_race
    closer = build_services(StoreConfig(data_dir=seeded.data_dir, payment_latency_s=0.03))

    async def pledge_while_closing() -> tuple[list[tuple[str, httpx.Response]], str]:
        results: list[tuple[str, httpx.Response]] = []
        closing: asyncio.Future[str] | None = None
        async with httpx.AsyncClient(base_url=store.api, timeout=60) as client:
            for n in range(0, len(tokens), 4):
                wave = tokens[n : n + 4]
                sent = [
                    client.post(
                        f"/campaigns/{campaign}/pledges", json={"card": GOOD_CARD}, headers=auth(t, uuid.uuid4().hex)
                    )
                    for t in wave
                ]
                if n == 8:  # two waves in: close now, with pledges in flight and more to come
                    closing = asyncio.get_running_loop().run_in_executor(None, closer.campaigns.close, campaign)
                answers = await asyncio.gather(*sent)
                results += list(zip(wave, answers, strict=True))
            assert closing is not None
            return results, await closing

    try:
        results, state = asyncio.run(pledge_while_closing())
    finally:
        closer.close()
    assert state == "succeeded"
    accepted = [t for t, a in results if a.status_code == 201]
    refused = [a for _, a in results if a.status_code != 201]
    assert accepted and refused, "the pledges did not straddle the close"
    assert {a.json()["error"]["code"] for a in refused} == {"campaign_closed"}
    assert api.get(f"/campaigns/{campaign}").json()["state"] == "succeeded"
    ledger = _ledger(seeded, campaign)
    assert all(provider != "authorized" for _, _, provider in ledger)  # nothing left hanging on a card
    captured = {account for status, account, provider in ledger if status == provider == "captured"}
    assert len(captured) == len(accepted)
    assert _licensed_accounts(seeded, campaign) == captured
    for token in accepted:
        assert len(api.get("/licenses", headers=auth(token)).json()["licenses"]) == 1


def test_two_closers_at_once_settle_every_pledge_once(api: httpx.Client, seeded: SeededStore) -> None:
    """The creator runs `campaign close` while the server's housekeeping resumes the same closing campaign (here:
    two closers of this test's own, started together, and the server's may join): each pledge is captured once,
    each backer gets one license, and neither closer fails (before: 'payment … is captured; refund it instead')."""
    tokens = [sign_up_and_in(api) for _ in range(16)]
    campaign = seeded.campaign_twice
    for token in tokens:
        assert _pledge(api, token, campaign).status_code == 201
    closers = [build_services(StoreConfig(data_dir=seeded.data_dir, payment_latency_s=0.01)) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            states = list(pool.map(lambda services: services.campaigns.close(campaign), closers))
    finally:
        for services in closers:
            services.close()
    assert states == ["succeeded", "succeeded"]
    ledger = _ledger(seeded, campaign)
    assert len(ledger) == len(tokens)
    assert all(status == provider == "captured" for status, _, provider in ledger)
    assert len(_licensed_accounts(seeded, campaign)) == len(tokens)
    for token in tokens:
        assert len(api.get("/licenses", headers=auth(token)).json()["licenses"]) == 1
