"""Reconcile our books with the payment provider's after a crash: never a charge without a license, never a
license without a charge.

A request that died between the provider call and our final transaction leaves a ``pending`` charge. For each
one (older than a cut-off, so requests still running are left alone) the provider is asked what happened:
captured → the purchase is completed and its license issued now (the stored answer too, so the client's retry
gets it); authorized only → voided; unknown → cancelled. Pending pledges are settled the same way, abandoned
Idempotency-Key claims are cleared, and interrupted campaign closes resume. Runs at start-up (before serving)
and periodically on a worker thread.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, or_, select, update

from storefront.campaigns import Campaigns
from storefront.db import Database
from storefront.idempotency import Idempotency
from storefront.licensing import LicenseIssuer
from storefront.models import (
    Charge,
    ChargeStatus,
    IdempotencyRecord,
    License,
    Pledge,
    PledgeStatus,
    Purchase,
    PurchaseStatus,
    utcnow,
)
from storefront.payments import PaymentProvider
from storefront.purchases import purchase_answer

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=5)  # how long a reconciler may hold a charge before another may take it over


@dataclass(slots=True)
class ReconcileReport:
    completed: int = 0  # charged at the provider, license issued now
    cancelled: int = 0  # never charged (or only authorized, now voided)
    refunded: int = 0  # charged for something already owned
    pledges_settled: int = 0
    claims_cleared: int = 0
    problems: list[str] = field(default_factory=list)


class Reconciler:
    def __init__(
        self, database: Database, provider: PaymentProvider, issuer: LicenseIssuer, campaigns: Campaigns
    ) -> None:
        self._db = database
        self._provider = provider
        self._issuer = issuer
        self._campaigns = campaigns

    def run(self, *, older_than: dt.timedelta = dt.timedelta(0), audit: bool = True) -> ReconcileReport:
        """Settle what is older than ``older_than``; ``audit`` also checks the invariants over every license
        and charge (a full scan: at start-up, not on the periodic round)."""
        cutoff = utcnow() - older_than
        report = ReconcileReport()
        with self._db.session() as session:
            charges = list(
                session.scalars(
                    select(Charge).where(
                        Charge.status.in_((ChargeStatus.PENDING, ChargeStatus.RECONCILING)), Charge.updated_at <= cutoff
                    )
                )
            )
            pledges = list(
                session.scalars(
                    select(Pledge.id).where(Pledge.status == PledgeStatus.PENDING, Pledge.created_at <= cutoff)
                )
            )
        for charge in charges:
            if charge.purpose == "purchase":
                self._settle_purchase(charge.id, cutoff, report)
        for pledge_id in pledges:
            self._campaigns.settle_pending_pledge(pledge_id)
            self._finish_pledge_claim(pledge_id)
            report.pledges_settled += 1
        with self._db.write() as session:
            cleared = session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.status_code.is_(None), IdempotencyRecord.created_at <= cutoff
                )
            )
            report.claims_cleared = cleared.rowcount  # type: ignore[attr-defined]
        if audit:
            self._check(report)
        if report.completed or report.cancelled or report.refunded or report.pledges_settled or report.problems:
            log.warning("reconcile: %s", report)
        return report

    def prune(self, *, older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
        """Forget stored answers older than any client retries (a week), so the table does not grow for ever."""
        with self._db.write() as session:
            gone = session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.status_code.is_not(None), IdempotencyRecord.created_at < utcnow() - older_than
                )
            )
            return int(gone.rowcount)  # type: ignore[attr-defined]

    def _settle_purchase(self, charge_id: str, cutoff: dt.datetime, report: ReconcileReport) -> None:
        # Take the charge first (a conditional update: one reconciler wins, even with several workers), then
        # ask the provider outside any transaction (its books may share our database).
        with self._db.write() as session:
            taken = session.execute(
                update(Charge)
                .where(
                    Charge.id == charge_id,
                    or_(
                        and_(Charge.status == ChargeStatus.PENDING, Charge.updated_at <= cutoff),
                        # another reconciler holds it unless its lease ran out (it crashed mid-way)
                        and_(Charge.status == ChargeStatus.RECONCILING, Charge.updated_at <= utcnow() - LEASE),
                    ),
                )
                .values(status=ChargeStatus.RECONCILING, updated_at=utcnow())
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return
        payment = self._provider.lookup(charge_id)
        status = payment.status if payment is not None else None
        if payment is not None and status == "captured":
            outcome = self._complete(charge_id, payment.fee_cents)
            if outcome == "completed":
                report.completed += 1
            if outcome != "owned_already":
                return
            self._provider.refund(charge_id)  # charged for a bundle the account already holds
            status = "refunded"
        elif status == "authorized":
            self._provider.void(charge_id)
            status = "voided"
        final = {"refunded": ChargeStatus.REFUNDED, "voided": ChargeStatus.VOIDED}.get(
            status or "", ChargeStatus.FAILED
        )
        with self._db.write() as session:
            session.get_one(Charge, charge_id).status = final
            session.execute(
                delete(Purchase).where(Purchase.charge_id == charge_id, Purchase.status == PurchaseStatus.PENDING)
            )
        if final == ChargeStatus.REFUNDED:
            report.refunded += 1
        else:
            report.cancelled += 1

    def _complete(self, charge_id: str, fee_cents: int) -> str:
        """Charged at the provider: complete the purchase, its license and the stored answer in one transaction.
        "completed"; "done_before" when this charge's license exists; "owned_already" when the account got the
        bundle another way (then the caller refunds)."""
        with self._db.write() as session:
            charge = session.get_one(Charge, charge_id)
            purchase = session.scalar(select(Purchase).where(Purchase.charge_id == charge_id))
            assert charge.account_id is not None
            held = session.scalar(
                select(License.id).where(License.account_id == charge.account_id, License.bundle_id == charge.bundle_id)
            )
            if held is not None:
                licensed = session.scalar(select(License.id).where(License.charge_id == charge_id))
                if licensed is None:
                    return "owned_already"
                charge.status = ChargeStatus.CAPTURED  # its license is there: only our record lagged
                charge.fee_cents = fee_cents
                return "done_before"
            if purchase is None:
                return "owned_already"
            charge.status = ChargeStatus.CAPTURED
            charge.fee_cents = fee_cents
            purchase.status = PurchaseStatus.COMPLETED
            lic = self._issuer.issue(
                session,
                account_id=charge.account_id,
                bundle_id=charge.bundle_id,
                source="purchase",
                charge_id=charge_id,
            )
            record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.charge_id == charge_id))
            if record is not None:
                Idempotency.finish(session, record.id, 201, purchase_answer(purchase, lic.token))
            return "completed"

    def _finish_pledge_claim(self, pledge_id: str) -> None:
        with self._db.write() as session:
            pledge = session.get_one(Pledge, pledge_id)
            if pledge.status == PledgeStatus.AUTHORIZED and pledge.charge_id:
                record = session.scalar(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.charge_id == pledge.charge_id, IdempotencyRecord.status_code.is_(None)
                    )
                )
                if record is not None:
                    Idempotency.finish(session, record.id, 201, {"pledge_id": pledge.id, "status": "authorized"})

    def _check(self, report: ReconcileReport) -> None:
        """The invariants, checked after repair: each paid license has a captured charge and vice versa."""
        with self._db.session() as session:
            orphans = session.scalars(
                select(License.id)
                .outerjoin(Charge, License.charge_id == Charge.id)
                .where(
                    License.source.in_(("purchase", "campaign")),
                    (Charge.id.is_(None)) | (Charge.status != ChargeStatus.CAPTURED),
                )
            )
            report.problems += [f"license {lid} has no captured charge" for lid in orphans]
            unlicensed = session.scalars(
                select(Charge.id)
                .outerjoin(License, License.charge_id == Charge.id)
                .where(Charge.status == ChargeStatus.CAPTURED, Charge.account_id.is_not(None), License.id.is_(None))
            )
            report.problems += [f"charge {cid} is captured but has no license" for cid in unlicensed]
