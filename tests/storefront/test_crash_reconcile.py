"""A purchase and its license are written together, and a crash between charge and commit is repaired at the
next start: kill -9 of the real server in the middle of purchases, restart, charges and licenses match one to
one. Plus the reconcile rules themselves, driven step by step on a real database."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from storefront.config import StoreConfig
from storefront.db import Database
from storefront.models import Charge, ChargeStatus, IdempotencyRecord, License, Purchase, TestCardPayment
from storefront.payments import Card
from storefront.services import StoreServices, build_services
from tests.storefront.store_support import GOOD_CARD, SeededStore, StoreProcess, auth, seed_store, sign_up_and_in

SLOW_PROVIDER = {"BUNDLECAST_TESTCARD_LATENCY_MS": "300"}


def _books(data_dir: Path) -> tuple[dict[str, str], dict[str, str], list[str], dict[str, int]]:
    """(provider: ref -> status, license charge_id -> account, pending charges, captured charges per account)."""
    db = Database(StoreConfig(data_dir=data_dir).effective_database_url)
    try:
        with db.session() as session:
            provider = dict(session.execute(select(TestCardPayment.reference, TestCardPayment.status)).all())
            licenses = dict(
                session.execute(select(License.charge_id, License.account_id).where(License.source == "purchase")).all()
            )
            pending = list(session.scalars(select(Charge.id).where(Charge.status == ChargeStatus.PENDING)))
            per_account: dict[str, int] = {}
            for account in session.scalars(select(Charge.account_id).where(Charge.status == ChargeStatus.CAPTURED)):
                per_account[str(account)] = per_account.get(str(account), 0) + 1
            return provider, {str(k): str(v) for k, v in licenses.items()}, pending, per_account
    finally:
        db.dispose()


def _charged_without_license(data_dir: Path) -> set[str]:
    """Charges the provider has captured while our books still say pending (the crash window)."""
    db = Database(StoreConfig(data_dir=data_dir).effective_database_url)
    try:
        with db.session() as session:
            return set(
                session.scalars(
                    select(Charge.id)
                    .join(TestCardPayment, TestCardPayment.reference == Charge.id)
                    .where(Charge.status == ChargeStatus.PENDING, TestCardPayment.status == "captured")
                )
            )
    finally:
        db.dispose()


@pytest.mark.slow
def test_kill_9_during_purchases_then_restart_matches_charges_and_licenses(seeded: SeededStore) -> None:
    server = StoreProcess(seeded.data_dir, env=SLOW_PROVIDER).start()
    try:
        with httpx.Client(base_url=server.api, timeout=30) as api:
            buyers = [(sign_up_and_in(api), uuid.uuid4().hex) for _ in range(24)]
        interrupted = 0
        caught_in_window: set[str] = set()
        for round_no in range(3):
            pool = buyers[round_no * 8 :] + buyers[: round_no * 8]

            async def buy(
                url: str, pool: list[tuple[str, str]] = pool, victim: StoreProcess = server
            ) -> list[int | None]:
                async with httpx.AsyncClient(base_url=url, timeout=30) as client:

                    async def one(token: str, key: str) -> int | None:
                        try:
                            body = {"bundle_id": seeded.paid, "card": GOOD_CARD}
                            return (await client.post("/purchases", json=body, headers=auth(token, key))).status_code
                        except httpx.TransportError:
                            return None  # the server died under this request

                    async def killer() -> None:
                        # Kill the moment the provider has captured a payment whose license is not written yet.
                        for _ in range(2000):
                            if _charged_without_license(seeded.data_dir):
                                break
                            await asyncio.sleep(0.005)
                        victim.kill()  # SIGKILL: no shutdown, no cleanup

                    results = await asyncio.gather(*(one(t, k) for t, k in pool), killer())
                    return list(results[:-1])

            statuses = asyncio.run(buy(server.api))
            interrupted += statuses.count(None)
            caught_in_window |= _charged_without_license(seeded.data_dir)
            server = StoreProcess(seeded.data_dir, env=SLOW_PROVIDER).start()  # start-up reconciles
            provider, licenses, pending, per_account = _books(seeded.data_dir)
            captured = {ref for ref, status in provider.items() if status == "captured"}
            assert pending == []
            assert captured == set(licenses), "every captured charge has a license, and every license a charge"
            assert all(count == 1 for count in per_account.values()), "nobody was charged twice"
        assert interrupted > 0, "the kills never hit a purchase in flight"
        assert caught_in_window, "no kill fell between the charge and the license"
        assert caught_in_window <= set(licenses), "a charge caught mid-way did not get its license at restart"

        # Every buyer retries with the same key, all at once (each retry still charging waits on the provider's
        # latency: in turn they added up): each ends with exactly one license and one charge.
        async def retry_all(url: str) -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                body = {"bundle_id": seeded.paid, "card": GOOD_CARD}
                return list(
                    await asyncio.gather(
                        *(client.post("/purchases", json=body, headers=auth(token, key)) for token, key in buyers)
                    )
                )

        retried = asyncio.run(retry_all(server.api))
        with httpx.Client(base_url=server.api, timeout=60) as api:
            for (token, _key), again in zip(buyers, retried, strict=True):
                assert again.status_code == 201, again.text
                assert len(api.get("/licenses", headers=auth(token)).json()["licenses"]) == 1
        provider, licenses, pending, per_account = _books(seeded.data_dir)
        assert {r for r, s in provider.items() if s == "captured"} == set(licenses) and pending == []
        assert len(per_account) == len(buyers) and set(per_account.values()) == {1}
    finally:
        server.kill()


@pytest.fixture
def services(tmp_path: Path) -> tuple[StoreServices, SeededStore]:
    seeded = seed_store(tmp_path / "data")
    built = build_services(StoreConfig(data_dir=seeded.data_dir))
    yield built, seeded  # type: ignore[misc]
    built.close()


def _pending_purchase(services: StoreServices, bundle_id: str, key: str) -> tuple[str, str]:
    """What a purchase leaves behind when the process dies right after its first transaction."""
    account = services.accounts.sign_up(f"{uuid.uuid4().hex[:8]}@example.com", "password-123")
    claim = services.idempotency.claim(account.id, key, "fingerprint")
    assert isinstance(claim, int)
    with services.db.write() as session:
        charge = Charge(
            account_id=account.id,
            bundle_id=bundle_id,
            purpose="purchase",
            provider="testcard",
            amount_cents=499,
            currency="USD",
        )
        session.add(charge)
        session.flush()
        session.add(
            Purchase(account_id=account.id, bundle_id=bundle_id, charge_id=charge.id, amount_cents=499, currency="USD")
        )
        services.idempotency.attach_charge(session, claim, charge.id)
    return account.id, charge.id


def test_reconcile_completes_captured_voids_authorized_and_cancels_unknown(
    services: tuple[StoreServices, SeededStore],
) -> None:
    built, seeded = services
    card = Card(number=GOOD_CARD["number"], exp_month=12, exp_year=2040, cvc="123")  # type: ignore[arg-type]
    captured_account, captured = _pending_purchase(built, seeded.paid, "k-captured")
    built.provider.authorize(captured, card, 499, "USD")
    built.provider.capture(captured)  # crash here: charged, no license yet
    authorized_account, authorized = _pending_purchase(built, seeded.paid, "k-authorized")
    built.provider.authorize(authorized, card, 499, "USD")  # crash before capture
    unknown_account, unknown = _pending_purchase(built, seeded.paid, "k-unknown")  # crash before the provider

    report = built.reconciler.run()

    assert (report.completed, report.cancelled, report.problems) == (1, 2, [])
    assert built.provider.lookup(authorized).status == "voided"  # type: ignore[union-attr]
    assert built.provider.lookup(unknown) is None
    with built.db.session() as session:
        lic = session.scalar(select(License).where(License.charge_id == captured))
        assert lic is not None and lic.account_id == captured_account
        assert session.get_one(Charge, captured).status == ChargeStatus.CAPTURED
        for account in (authorized_account, unknown_account):
            assert session.scalar(select(License).where(License.account_id == account)) is None
            assert session.scalar(select(Purchase).where(Purchase.account_id == account)) is None
        # the client's retry with the same key gets the license the crashed request would have returned
        record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.charge_id == captured))
        assert record is not None and record.status_code == 201 and lic.token in (record.response_body or "")
        assert session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.charge_id == unknown)) is None


def test_reconcilers_running_at_once_complete_a_charge_once_and_refund_nothing(
    services: tuple[StoreServices, SeededStore],
) -> None:
    """Several workers each reconcile at start-up or on their timer: one takes the charge, the others skip it."""
    from concurrent.futures import ThreadPoolExecutor

    built, seeded = services
    card = Card(number=GOOD_CARD["number"], exp_month=12, exp_year=2040, cvc="123")  # type: ignore[arg-type]
    account, charge = _pending_purchase(built, seeded.paid, "k-shared")
    built.provider.authorize(charge, card, 499, "USD")
    built.provider.capture(charge)
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(lambda _: built.reconciler.run(), range(4)))
    assert sum(r.completed for r in reports) == 1
    assert sum(r.refunded + r.cancelled for r in reports) == 0
    assert built.provider.lookup(charge).status == "captured"  # type: ignore[union-attr]
    with built.db.session() as session:
        assert session.scalar(select(func.count()).select_from(License).where(License.account_id == account)) == 1
