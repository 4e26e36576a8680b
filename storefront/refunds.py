"""Refunding a sale: the store operation a label (the bundle's creator, through the creator API) or the store's
operator (``python -m storefront refund``) uses to give a buyer their money back.

What a refund does, in this order:
1. checks: the charge exists (404 ``unknown_charge``), is a sale of one of the caller's bundles (403
   ``not_creator`` / ``not_your_bundle``; the operator may refund any), and was paid (409 ``not_refundable``
   otherwise — a pledge is settled by its campaign: a missed goal voids it, nobody is charged);
2. the payment provider refunds it (idempotent at the provider: the test-card ledger answers a second refund with
   the same payment, Stripe gets the idempotency key ``<charge>:refund``);
3. one transaction: the charge becomes ``refunded`` (its ``updated_at`` is the refund's time — the dashboard's
   ledger shows the sale and, at that time, the refund taking its gross and fee back out), and the sale's purchase
   and license rows are removed.

**The license is revoked at the store**: it is no longer listed by ``GET /licenses``, no longer restored at sign-in,
and the account may buy the bundle again (the purchase row that made it "owned" is gone; the charge row is the
record). A token already in the fan's keyring still verifies offline — Bundlecast is a paygate, not DRM, and
nothing reaches into a fan's machine.

Idempotent by state: refunding a refunded charge answers the same refund again (200), whoever asks twice and
however the two requests interleave (the provider call is idempotent, the transaction changes only a charge still
``captured``). A crash between the provider's refund and the transaction leaves the charge ``captured``; asking
again completes it. Blocking; runs on the API's worker threads or the CLI's main thread.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from storefront.creators import require_own_bundle
from storefront.db import Database
from storefront.errors import ConflictError, NotFoundError
from storefront.models import Charge, ChargeStatus, License, Purchase
from storefront.payments import PaymentProvider


def find_charge_id(db: Database, charge_or_purchase_id: str) -> str:
    """The charge id for a charge id or a purchase id (the buyer's receipt names the purchase)."""
    with db.session() as session:
        if session.get(Charge, charge_or_purchase_id) is not None:
            return charge_or_purchase_id
        charge_id = session.scalar(select(Purchase.charge_id).where(Purchase.id == charge_or_purchase_id))
    if charge_id is None:
        raise NotFoundError(f"There is no sale {charge_or_purchase_id!r} in this store.", code="unknown_charge")
    return charge_id


def refund_sale(db: Database, provider: PaymentProvider, charge_id: str, *, by_account: str | None) -> dict[str, Any]:
    """Refund one sale (see the module's docstring); ``by_account`` None is the store's operator."""
    with db.session() as session:
        charge = session.get(Charge, charge_id)
        if charge is None:
            raise NotFoundError(f"There is no sale {charge_id!r} in this store.", code="unknown_charge")
        if by_account is not None:
            require_own_bundle(session, by_account, charge.bundle_id)
        purpose, status = charge.purpose, charge.status
    if status == ChargeStatus.REFUNDED:
        return _answer(db, charge_id)
    if purpose != "purchase" or status != ChargeStatus.CAPTURED:
        what = "a pledge, settled by its campaign" if purpose != "purchase" else f"{status}, not paid"
        raise ConflictError(f"Only a paid sale can be refunded; this payment is {what}.", code="not_refundable")
    provider.refund(charge_id)
    with db.write() as session:
        charge = session.get_one(Charge, charge_id)
        if charge.status == ChargeStatus.CAPTURED:
            charge.status = ChargeStatus.REFUNDED
            session.execute(delete(License).where(License.charge_id == charge_id))
            session.execute(delete(Purchase).where(Purchase.charge_id == charge_id))
    return _answer(db, charge_id)


def _answer(db: Database, charge_id: str) -> dict[str, Any]:
    with db.session() as session:
        charge = session.get_one(Charge, charge_id)
        return {
            "charge_id": charge.id,
            "bundle_id": charge.bundle_id,
            "amount_cents": charge.amount_cents,
            "currency": charge.currency,
            "status": str(charge.status),
            "refunded_at": charge.updated_at.isoformat(),
            "license_revoked": True,
        }
