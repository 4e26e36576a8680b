"""The Stripe provider through the official SDK, against a local server on 127.0.0.1 that answers Stripe's
documented requests (``tests/support/fake_stripe.py``): authorize (a manual-capture hold on a saved card),
capture, cancel, refund, the off-session charge that replaces an expired hold, idempotency keys on every call;
and the store's webhook endpoint over real HTTP: a signed event applied once however often it is delivered, a
forged one refused; a pledge charged at its campaign's close refunded by the campaign's creator over the creator API
(Stripe refunds the PaymentIntent, the backer's license revoked). The store runs as ``python -m storefront serve``
configured for Stripe by its environment."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from storefront.config import StoreConfig, StripeSettings, load_stripe_settings
from storefront.db import Database
from storefront.models import Charge, StripeEvent, StripePayment
from storefront.payments import Card, CardDeclinedError, InsufficientFundsError, InvalidCardError, PaymentError
from storefront.payments.stripe_provider import StripeProvider
from tests.storefront import store_support
from tests.storefront.store_support import GOOD_CARD, REPO, SeededStore, StoreProcess, auth, seed_store, sign_up_and_in
from tests.support.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, fake_stripe, signed_event

pytestmark = pytest.mark.timeout(180)
VISA = Card("4242424242424242", 12, 2040, "123")


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[FakeStripe]:
    with fake_stripe() as fake:
        yield fake


@pytest.fixture
def provider(tmp_path: Path, stripe_server: FakeStripe) -> Iterator[tuple[StripeProvider, Database]]:
    db = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    db.migrate()
    yield StripeProvider(db, StripeSettings(SECRET_KEY, WEBHOOK_SECRET, stripe_server.url)), db
    db.dispose()


def _keys(fake: FakeStripe, reference: str) -> list[str | None]:
    return [key for _, _, key in fake.requests if key and key.startswith(reference)]


def test_authorize_holds_then_capture_takes_it_with_the_fee(
    provider: tuple[StripeProvider, Database], stripe_server: FakeStripe
) -> None:
    stripe, _ = provider
    ref = uuid.uuid4().hex
    held = stripe.authorize(ref, VISA, 995, "USD")
    assert (held.status, held.amount_cents, held.currency) == ("authorized", 995, "USD")
    (intent,) = [pi for pi in stripe_server.intents.values() if pi["metadata"].get("reference") == ref]
    assert intent["status"] == "requires_capture" and intent["capture_method"] == "manual"
    assert intent["setup_future_usage"] == "off_session" and intent["payment_method"] == "pm_card_visa"
    assert stripe.authorize(ref, VISA, 995, "USD") == held  # the same reference authorizes once
    assert len([pi for pi in stripe_server.intents.values() if pi["metadata"].get("reference") == ref]) == 1
    captured = stripe.capture(ref)
    assert captured.status == "captured" and captured.fee_cents == round(995 * 0.029) + 30
    assert stripe_server.intents[intent["id"]]["status"] == "succeeded"
    assert stripe.capture(ref) == captured and len(stripe_server.calls(f"{intent['id']}/capture")) == 1
    assert _keys(stripe_server, ref) == [f"{ref}:customer", f"{ref}:authorize", f"{ref}:capture"]


def test_cancel_releases_the_hold_and_a_captured_payment_is_refunded_not_cancelled(
    provider: tuple[StripeProvider, Database], stripe_server: FakeStripe
) -> None:
    stripe, _ = provider
    kept, released = uuid.uuid4().hex, uuid.uuid4().hex
    stripe.authorize(released, VISA, 500, "USD")
    voided = stripe.void(released)
    assert voided is not None and voided.status == "voided"
    (intent,) = [pi for pi in stripe_server.intents.values() if pi["metadata"].get("reference") == released]
    assert intent["status"] == "canceled"
    with pytest.raises(PaymentError):
        stripe.capture(released)
    assert stripe.void("never-seen") is None
    stripe.authorize(kept, VISA, 700, "USD")
    stripe.capture(kept)
    with pytest.raises(PaymentError, match="refund it instead"):
        stripe.void(kept)
    refunded = stripe.refund(kept)
    assert refunded.status == "refunded" and stripe.refund(kept) == refunded
    assert [r["amount"] for r in stripe_server.refunds if r["payment_intent"] in _intent_ids(stripe_server, kept)] == [
        700
    ]
    assert f"{kept}:refund" in _keys(stripe_server, kept)


def _intent_ids(fake: FakeStripe, reference: str) -> set[str]:
    return {pi["id"] for pi in fake.intents.values() if pi["metadata"].get("reference") == reference}


def test_declines_and_raw_card_numbers(provider: tuple[StripeProvider, Database]) -> None:
    stripe, _ = provider
    with pytest.raises(CardDeclinedError):
        stripe.authorize(uuid.uuid4().hex, Card("4000000000000002", 12, 2040, "123"), 500, "USD")
    with pytest.raises(InsufficientFundsError):
        stripe.authorize(uuid.uuid4().hex, Card("4000000000009995", 12, 2040, "123"), 500, "USD")
    with pytest.raises(InvalidCardError, match="payment form"):  # a real number never goes to Stripe from here
        stripe.authorize(uuid.uuid4().hex, Card("5555555555554444", 12, 2040, "123"), 500, "USD")
    assert stripe.authorize(uuid.uuid4().hex, Card("pm_card_visa", 12, 2040, "123"), 500, "USD").status == "authorized"


def test_a_pledge_whose_hold_expired_is_charged_off_session_on_the_saved_card(
    provider: tuple[StripeProvider, Database], stripe_server: FakeStripe
) -> None:
    stripe, db = provider
    expired, old = uuid.uuid4().hex, uuid.uuid4().hex
    stripe.authorize(expired, VISA, 995, "USD")
    (first,) = _intent_ids(stripe_server, expired)
    stripe_server.expire(first)  # what Stripe does to an uncaptured hold after 7 days
    assert stripe.capture(expired).status == "captured"
    (second,) = _intent_ids(stripe_server, expired) - {first}
    charged = stripe_server.intents[second]
    assert charged["status"] == "succeeded" and charged["amount"] == 995
    assert charged["customer"] == stripe_server.intents[first]["customer"]
    stripe.authorize(old, VISA, 995, "USD")  # a hold 6 days old is not trusted to last until capture
    with db.write() as session:
        session.execute(
            update(StripePayment)
            .where(StripePayment.reference == old)
            .values(authorized_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=6, hours=1))
        )
    assert stripe.capture(old).status == "captured"
    assert len(_intent_ids(stripe_server, old)) == 2 and f"{old}:offsession" in _keys(stripe_server, old)
    refused = uuid.uuid4().hex
    stripe.authorize(refused, VISA, 995, "USD")
    stripe_server.expire(next(iter(_intent_ids(stripe_server, refused))))
    stripe_server.decline_off_session = True
    try:
        with pytest.raises(CardDeclinedError):  # the closer voids such a pledge; no license, no money taken
            stripe.capture(refused)
    finally:
        stripe_server.decline_off_session = False


def test_lookup_finds_a_payment_our_books_missed(provider: tuple[StripeProvider, Database]) -> None:
    stripe, db = provider
    ref = uuid.uuid4().hex
    stripe.authorize(ref, VISA, 300, "USD")
    with db.write() as session:  # as if the store crashed between Stripe's answer and its own write
        session.delete(session.get_one(StripePayment, ref))
    found = stripe.lookup(ref)
    assert found is not None and (found.status, found.amount_cents) == ("authorized", 300)
    assert stripe.lookup(uuid.uuid4().hex) is None


def test_key_file_outside_the_repo(tmp_path: Path) -> None:
    key_file = tmp_path / "stripe.keys"
    key_file.write_text(f"secret_key={SECRET_KEY}\nwebhook_secret={WEBHOOK_SECRET}\n")
    settings = load_stripe_settings({"BUNDLECAST_STRIPE_KEY_FILE": str(key_file)})
    assert settings is not None and settings.test_mode and settings.webhook_secret == WEBHOOK_SECRET
    assert SECRET_KEY not in repr(settings) and WEBHOOK_SECRET not in repr(settings)
    config = StoreConfig.from_env(tmp_path, env={"BUNDLECAST_PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "sk_x"})
    assert config.payment_provider == "stripe" and "sk_x" not in repr(config)


# --- the store, configured for Stripe, over real HTTP ----------------------------------------------------------


@pytest.fixture(scope="module")
def stripe_store(
    tmp_path_factory: pytest.TempPathFactory, stripe_server: FakeStripe
) -> Iterator[tuple[SeededStore, StoreProcess, dict[str, str]]]:
    seeded = seed_store(tmp_path_factory.mktemp("stripe-store") / "data")
    env = {
        "BUNDLECAST_PAYMENT_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BUNDLECAST_STRIPE_API_BASE": stripe_server.url,
        "BUNDLECAST_CAMPAIGN_POLL_S": "3600",
    }
    server = StoreProcess(seeded.data_dir, env=env).start()
    yield seeded, server, env
    server.stop()


def test_the_store_sells_pledges_and_closes_through_stripe(
    stripe_store: tuple[SeededStore, StoreProcess, dict[str, str]], stripe_server: FakeStripe
) -> None:
    seeded, server, env = stripe_store
    with httpx.Client(base_url=server.api, timeout=30) as api:
        token = sign_up_and_in(api)
        bought = api.post(
            "/purchases", json={"bundle_id": seeded.paid, "card": GOOD_CARD}, headers=auth(token, uuid.uuid4().hex)
        )
        assert bought.status_code == 201, bought.text
        assert bought.json()["license"]
        pledgers = [sign_up_and_in(api) for _ in range(2)]
        for pledger in pledgers:
            pledged = api.post(
                f"/campaigns/{seeded.campaign_ok}/pledges",
                json={"card": GOOD_CARD},
                headers=auth(pledger, uuid.uuid4().hex),
            )
            assert pledged.status_code == 201 and pledged.json()["status"] == "authorized"
        failing = api.post(
            f"/campaigns/{seeded.campaign_fail}/pledges",
            json={"card": GOOD_CARD},
            headers=auth(token, uuid.uuid4().hex),
        )
        assert failing.status_code == 201
    db = Database(StoreConfig.from_env(seeded.data_dir, env={}).effective_database_url)
    with db.session() as session:
        held = {row.reference: row.payment_intent_id for row in session.scalars(select(StripePayment))}
    assert len(held) == 4 and all(
        stripe_server.intents[pi]["status"] in ("succeeded", "requires_capture") for pi in held.values()
    )
    for campaign, outcome in ((seeded.campaign_ok, "succeeded"), (seeded.campaign_fail, "failed")):
        closed = subprocess.run(
            [sys.executable, "-m", "storefront", "campaign", "close", campaign, "--data-dir", str(seeded.data_dir)],
            cwd=REPO,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert closed.returncode == 0 and outcome in closed.stdout, closed.stderr
    with db.session() as session:
        statuses = sorted(row.status for row in session.scalars(select(StripePayment)))
    db.dispose()
    assert statuses == ["captured", "captured", "captured", "voided"]  # purchase, 2 pledges captured; 1 cancelled
    assert sorted(pi["status"] for pi in stripe_server.intents.values() if pi["id"] in held.values()) == [
        "canceled",
        "succeeded",
        "succeeded",
        "succeeded",
    ]
    log = (seeded.data_dir / "server.log").read_text()
    assert SECRET_KEY not in log and WEBHOOK_SECRET not in log


def test_a_pledge_charged_at_the_close_is_refunded_through_stripe_by_the_campaigns_creator(
    stripe_store: tuple[SeededStore, StoreProcess, dict[str, str]], stripe_server: FakeStripe
) -> None:
    seeded, server, env = stripe_store
    campaign = seeded.campaign_twice  # goal: one backer; nothing else in this module pledges to it
    with httpx.Client(base_url=server.api, timeout=30) as api:
        backer = sign_up_and_in(api)
        pledged = api.post(
            f"/campaigns/{campaign}/pledges", json={"card": GOOD_CARD}, headers=auth(backer, uuid.uuid4().hex)
        )
        assert pledged.status_code == 201, pledged.text
        closed = subprocess.run(
            [sys.executable, "-m", "storefront", "campaign", "close", campaign, "--data-dir", str(seeded.data_dir)],
            cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert closed.returncode == 0 and "succeeded" in closed.stdout, closed.stderr
        assert len(api.get("/licenses", headers=auth(backer)).json()["licenses"]) == 1
        db = Database(StoreConfig.from_env(seeded.data_dir, env={}).effective_database_url)
        with db.session() as session:
            charge_id = session.scalars(
                select(Charge.id).where(Charge.bundle_id == campaign, Charge.status == "captured")
            ).one()
            intent = session.get_one(StripePayment, charge_id).payment_intent_id
        creator = _seeded_creator(api)
        assert api.post("/creators/me", json={"display_name": "Seed Label"}, headers=auth(creator)).status_code == 200
        refunded = api.post(f"/creators/sales/{charge_id}/refund", headers=auth(creator))
        assert refunded.status_code == 200, refunded.text
        assert (refunded.json()["kind"], refunded.json()["status"]) == ("pledge", "refunded")
        assert api.get("/licenses", headers=auth(backer)).json()["licenses"] == []  # revoked, as for a sale
    assert [r["payment_intent"] for r in stripe_server.refunds if r["payment_intent"] == intent] == [intent]
    assert f"{charge_id}:refund" in _keys(stripe_server, charge_id)  # Stripe's idempotency key, as for a sale
    with db.session() as session:
        assert session.get_one(StripePayment, charge_id).status == "refunded"
    db.dispose()


def _seeded_creator(api: httpx.Client) -> str:
    """The seeded creator's bearer token (the account that owns the seeded bundles)."""
    signed = api.post(
        "/sessions", json={"email": store_support.CREATOR_EMAIL, "password": store_support.CREATOR_PASSWORD}
    )
    assert signed.status_code == 201, signed.text
    return str(signed.json()["token"])


def _post_event(server: StoreProcess, body: bytes, signature: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        timeout=30,
    )


def test_a_webhook_delivered_twice_is_applied_once_and_a_forged_one_is_refused(
    stripe_store: tuple[SeededStore, StoreProcess, dict[str, str]],
) -> None:
    seeded, server, _ = stripe_store
    with httpx.Client(base_url=server.api, timeout=30) as api:
        token = sign_up_and_in(api)
        bought = api.post(
            "/purchases", json={"bundle_id": seeded.pwyw, "card": GOOD_CARD}, headers=auth(token, uuid.uuid4().hex)
        )
        assert bought.status_code == 201, bought.text
    db = Database(StoreConfig.from_env(seeded.data_dir, env={}).effective_database_url)
    with db.session() as session:
        row = session.scalars(select(StripePayment).where(StripePayment.amount_cents == 300)).one()
    charge = {
        "id": "ch_x",
        "object": "charge",
        "payment_intent": row.payment_intent_id,
        "refunded": True,
        "metadata": {"reference": row.reference},
    }
    body, signature = signed_event("charge.refunded", charge)  # a refund made in Stripe's dashboard
    forged_body, forged_signature = signed_event("charge.refunded", charge, secret="whsec_someone_else")
    forged = _post_event(server, forged_body, forged_signature)
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "bad_signature"
    tampered = _post_event(server, body.replace(b"ch_x", b"ch_y"), signature)  # a valid signature, other bytes
    assert tampered.status_code == 400
    with db.session() as session:
        assert session.get_one(StripePayment, row.reference).status == "captured"  # the forgeries changed nothing
    first = _post_event(server, body, signature)
    again = _post_event(server, body, signature)
    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    with db.session() as session:
        after = session.get_one(StripePayment, row.reference)
        events = session.scalar(select(func.count()).select_from(StripeEvent))
        charge_status = session.get_one(Charge, row.reference).status  # the store's books follow
    db.dispose()
    assert (after.status, after.webhook_events, events, charge_status) == ("refunded", 1, 1, "refunded")


def test_migration_2_adds_the_stripe_tables_to_a_v1_database(tmp_path: Path) -> None:
    from sqlalchemy import inspect, text

    from storefront.db import SCHEMA_VERSION

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    db.migrate()  # fresh: v1's create_all made them already, and step 2 must not trip over them
    with db.engine.begin() as conn:  # turn it back into a v1 database, as released
        conn.execute(text("DROP TABLE stripe_payments"))
        conn.execute(text("DROP TABLE stripe_events"))
        conn.execute(text("UPDATE schema_version SET version = 1"))
    assert db.migrate() == 1
    tables = set(inspect(db.engine).get_table_names())
    assert {"stripe_payments", "stripe_events"} <= tables and SCHEMA_VERSION >= 2
    db.dispose()
