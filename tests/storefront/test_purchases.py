"""Buying over real HTTP: the test cards, pay-what-you-want, Idempotency-Key rules, licenses that open the
files, and 100 concurrent identical requests that charge once."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from app.bundle import ContentCipher, GrantScope, InvalidSignatureError, MalformedError, load_public_key, verify_license
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.models import Charge, License, TestCardPayment
from tests.storefront.store_support import (
    DECLINED_CARD,
    GOOD_CARD,
    NO_FUNDS_CARD,
    SeededStore,
    StoreProcess,
    auth,
    sign_up_and_in,
)


def _key() -> str:
    return uuid.uuid4().hex


def _db(seeded: SeededStore) -> Database:
    return Database(StoreConfig(data_dir=seeded.data_dir).effective_database_url)


def _count(seeded: SeededStore, model: type, *where: object) -> int:
    db = _db(seeded)
    try:
        with db.session() as session:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)
    finally:
        db.dispose()


def test_buying_gives_a_license_that_decrypts_the_locked_files(api: httpx.Client, seeded: SeededStore) -> None:
    token = sign_up_and_in(api)
    answer = api.post("/purchases", json={"bundle_id": seeded.paid, "card": GOOD_CARD}, headers=auth(token, _key()))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["bundle_id"], body["amount_cents"], body["currency"]) == (seeded.paid, 499, "USD")
    lic = verify_license(body["license"], load_public_key(api.get("/public-key").json()["public_key"]))
    assert lic.bundle_id == seeded.paid and lic.grant.scope is GrantScope.FILES
    detail = api.get(f"/bundles/{seeded.paid}").json()
    manifest = json.loads(detail["manifest"]["payload"])
    content = next(p for p in (seeded.data_dir / "content" / seeded.paid).iterdir() if p.is_dir())
    for entry in manifest["files"]:
        on_disk = (content / entry["path"]).read_bytes()
        original = (seeded.sources / "paid" / entry["path"]).read_bytes()
        if entry["locked"]:
            assert on_disk != original  # ciphertext in the swarm
            key = lic.file_key(entry["path"])
            assert key is not None
            assert ContentCipher(key, bytes.fromhex(entry["nonce"])).decrypt_at(0, on_disk) == original
        else:
            assert on_disk == original and lic.file_key(entry["path"]) is None
    assert api.get("/licenses", headers=auth(token)).json() == {"licenses": [body["license"]]}


@pytest.mark.parametrize(
    ("card", "code", "sentence"),
    [(DECLINED_CARD, "card_declined", "declined"), (NO_FUNDS_CARD, "insufficient_funds", "insufficient funds")],
)
def test_refused_cards_are_402_with_a_clear_message_and_nothing_charged(
    api: httpx.Client, seeded: SeededStore, card: dict[str, object], code: str, sentence: str
) -> None:
    token = sign_up_and_in(api)
    answer = api.post("/purchases", json={"bundle_id": seeded.paid, "card": card}, headers=auth(token, _key()))
    assert answer.status_code == 402
    assert answer.json()["error"]["code"] == code and sentence in answer.json()["error"]["message"]
    assert api.get("/licenses", headers=auth(token)).json() == {"licenses": []}
    # the same account can then buy with a good card: the refused attempt left nothing behind
    ok = api.post("/purchases", json={"bundle_id": seeded.paid, "card": GOOD_CARD}, headers=auth(token, _key()))
    assert ok.status_code == 201


def test_invalid_card_number_and_expired_card_are_422(api: httpx.Client, seeded: SeededStore) -> None:
    token = sign_up_and_in(api)
    for card in ({**GOOD_CARD, "number": "4242424242424241"}, {**GOOD_CARD, "exp_year": 2001}):
        answer = api.post("/purchases", json={"bundle_id": seeded.paid, "card": card}, headers=auth(token, _key()))
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_card"


def test_purchase_without_idempotency_key_is_refused(api: httpx.Client, seeded: SeededStore) -> None:
    token = sign_up_and_in(api)
    answer = api.post("/purchases", json={"bundle_id": seeded.paid, "card": GOOD_CARD}, headers=auth(token))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "idempotency_key_missing"
    assert "Idempotency-Key" in answer.json()["error"]["message"]


def test_unknown_bundle_and_wrong_gate(api: httpx.Client, seeded: SeededStore) -> None:
    token = sign_up_and_in(api)
    unknown = api.post("/purchases", json={"bundle_id": "no-such", "card": GOOD_CARD}, headers=auth(token, _key()))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_bundle"
    free = api.post("/purchases", json={"bundle_id": seeded.free, "card": GOOD_CARD}, headers=auth(token, _key()))
    assert free.status_code == 409 and free.json()["error"]["code"] == "wrong_gate"


def test_pay_what_you_want_honours_the_minimum(api: httpx.Client, seeded: SeededStore) -> None:
    token = sign_up_and_in(api)
    low = api.post(
        "/purchases",
        json={"bundle_id": seeded.pwyw, "card": GOOD_CARD, "amount_cents": 299},
        headers=auth(token, _key()),
    )
    assert low.status_code == 422 and low.json()["error"]["code"] == "below_minimum"
    assert "3.00" in low.json()["error"]["message"]
    generous = api.post(
        "/purchases",
        json={"bundle_id": seeded.pwyw, "card": GOOD_CARD, "amount_cents": 1200},
        headers=auth(token, _key()),
    )
    assert generous.status_code == 201 and generous.json()["amount_cents"] == 1200


def test_retry_with_the_same_key_returns_the_same_answer_and_reuse_for_another_request_is_refused(
    api: httpx.Client, seeded: SeededStore
) -> None:
    token = sign_up_and_in(api)
    key = _key()
    first = api.post("/purchases", json={"bundle_id": seeded.pwyw, "card": GOOD_CARD}, headers=auth(token, key))
    again = api.post("/purchases", json={"bundle_id": seeded.pwyw, "card": GOOD_CARD}, headers=auth(token, key))
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = api.post("/purchases", json={"bundle_id": seeded.paid, "card": GOOD_CARD}, headers=auth(token, key))
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_100_concurrent_identical_purchases_charge_once_and_license_once(
    store: StoreProcess, api: httpx.Client, seeded: SeededStore
) -> None:
    token = sign_up_and_in(api)
    key = _key()

    async def fire() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=store.api, timeout=60, limits=limits) as client:
            body = {"bundle_id": seeded.paid, "card": GOOD_CARD}
            return await asyncio.gather(
                *(client.post("/purchases", json=body, headers=auth(token, key)) for _ in range(100))
            )

    answers = asyncio.run(fire())
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["purchase_id"] for a in answers}) == 1
    assert len({a.json()["license"] for a in answers}) == 1
    assert (
        _count(
            seeded,
            Charge,
            Charge.bundle_id == seeded.paid,
            Charge.status == "captured",
            Charge.account_id == _account_of(api, token),
        )
        == 1
    )
    assert len(api.get("/licenses", headers=auth(token)).json()["licenses"]) == 1
    # A second purchase with another key: refused, and never charged.
    second = api.post("/purchases", json={"bundle_id": seeded.paid, "card": GOOD_CARD}, headers=auth(token, _key()))
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_owned"
    assert _count(seeded, Charge, Charge.account_id == _account_of(api, token)) == 1
    provider_total = _count(seeded, TestCardPayment, TestCardPayment.status == "captured")
    assert provider_total == _count(seeded, License, License.source == "purchase")


def _account_of(api: httpx.Client, token: str) -> str:
    tokens = api.get("/licenses", headers=auth(token)).json()["licenses"]
    key = load_public_key(api.get("/public-key").json()["public_key"])
    return verify_license(tokens[0], key).account_id


def test_nobody_reads_another_accounts_licenses(api: httpx.Client, seeded: SeededStore) -> None:
    buyer = sign_up_and_in(api)
    api.post("/purchases", json={"bundle_id": seeded.paid, "card": GOOD_CARD}, headers=auth(buyer, _key()))
    stranger = sign_up_and_in(api)
    assert api.get("/licenses", headers=auth(stranger)).json() == {"licenses": []}


def test_any_flipped_byte_of_a_served_license_fails_verification(api: httpx.Client, seeded: SeededStore) -> None:
    token = sign_up_and_in(api)
    lic = api.post(
        "/purchases", json={"bundle_id": seeded.paid, "card": GOOD_CARD}, headers=auth(token, _key())
    ).json()["license"]
    key = load_public_key(api.get("/public-key").json()["public_key"])
    verify_license(lic, key)
    for i in range(len(lic)):
        flipped = lic[:i] + ("A" if lic[i] != "A" else "B") + lic[i + 1 :]
        with pytest.raises((InvalidSignatureError, MalformedError)):
            verify_license(flipped, key)


def test_creator_report_shows_gross_fees_store_fee_net_and_downloads(api: httpx.Client, seeded: SeededStore) -> None:
    from tests.storefront.store_support import CREATOR_EMAIL, CREATOR_PASSWORD

    creator = api.post("/sessions", json={"email": CREATOR_EMAIL, "password": CREATOR_PASSWORD}).json()["token"]
    fan = sign_up_and_in(api)
    api.get(f"/bundles/{seeded.pwyw}/torrent")
    report_before = {b["bundle_id"]: b for b in api.get("/creators/report", headers=auth(creator)).json()["bundles"]}
    api.post(
        "/purchases",
        json={"bundle_id": seeded.pwyw, "card": GOOD_CARD, "amount_cents": 1000},
        headers=auth(fan, _key()),
    )
    api.get(f"/bundles/{seeded.pwyw}/torrent")
    after = {b["bundle_id"]: b for b in api.get("/creators/report", headers=auth(creator)).json()["bundles"]}
    before, now = report_before[seeded.pwyw], after[seeded.pwyw]
    assert now["gross_cents"] - before["gross_cents"] == 1000
    assert now["payment_fees_cents"] - before["payment_fees_cents"] == 59  # 2.9% + 30 cents
    assert now["store_fee_cents"] == (now["gross_cents"] * 10 + 50) // 100
    assert now["net_cents"] == now["gross_cents"] - now["payment_fees_cents"] - now["store_fee_cents"]
    assert now["downloads"] == before["downloads"] + 1
    assert api.get("/creators/report", headers=auth(fan)).json() == {"bundles": []}


def test_served_files_hold_no_plaintext_of_locked_files(seeded: SeededStore) -> None:
    content = seeded.data_dir / "content" / seeded.paid
    for source in (seeded.sources / "paid" / "media").iterdir():
        plain = source.read_bytes()
        for served in content.rglob("*.bin"):
            assert plain[:4096] not in served.read_bytes()


def test_concurrent_purchases_of_one_bundle_with_different_keys_charge_once(
    store: StoreProcess, api: httpx.Client, seeded: SeededStore
) -> None:
    token = sign_up_and_in(api)

    async def fire() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=store.api, timeout=60) as client:
            body = {"bundle_id": seeded.pwyw, "card": GOOD_CARD}
            return await asyncio.gather(
                *(client.post("/purchases", json=body, headers=auth(token, _key())) for _ in range(10))
            )

    answers = asyncio.run(fire())
    assert [a.status_code for a in answers].count(201) == 1
    refused = [a.json()["error"]["code"] for a in answers if a.status_code != 201]
    assert len(refused) == 9 and set(refused) <= {"already_owned", "purchase_pending"}
    account = _account_of(api, token)
    assert _count(seeded, Charge, Charge.account_id == account) == 1
