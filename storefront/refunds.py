"""Refunding a sale or a backer's charged pledge: the store operation a label (the bundle's creator, through the
creator API) or the store's operator (``python -m storefront refund``) uses to give a buyer or backer their money back.

What a refund does, in this order:
1. checks: the charge exists (404 ``unknown_charge``), is one of the caller's bundles (403 ``not_creator`` /
   ``not_your_bundle``; the operator may refund any), and was paid (409 ``not_refundable`` otherwise);
2. the payment provider refunds it (idempotent at the provider: the test-card ledger answers a second refund with
   the same payment, Stripe gets the idempotency key ``<charge>:refund``) — a sale and a pledge captured at its
   campaign's close are refunded the same way, through the same provider call;
3. one transaction: the charge becomes ``refunded`` (its ``updated_at`` is the refund's time — the dashboard's
   ledger shows the sale or pledge and, at that time, the refund taking its gross and fee back out), the sale's
   purchase row or the pledge (now ``refunded``) and the license that charge paid for are removed.

**The license is revoked at the store**, for a sale and a pledge alike: it is no longer listed by ``GET /licenses``,
no longer restored at sign-in; a refunded buyer may buy the bundle again (the purchase row that made it "owned" is
gone; the charge row is the record). A token already in the fan's keyring still verifies offline — Bundlecast is a
paygate, not DRM, and nothing reaches into a fan's machine. The campaign's own figures (backers, pledged) stay what
it raised at its close; the refund shows in the dashboard's ledger and totals.

**A pledge not charged yet** (its campaign still open: the card is only held) is not refunded — there is nothing to
give back — but cancelled, as the backer's own cancel does: out of the campaign's totals, the hold released; the
answer says so (``status: "cancelled"``). While the campaign is closing that is refused (409 ``campaign_closed``):
ask again once it has closed.

Idempotent by state: refunding a refunded charge answers the same refund again (200, ``refunded_now`` false),
whoever asks twice and however the two requests interleave (the provider call is idempotent, the transaction
changes only a charge still ``captured``; ``refunded_now`` is true only in the answer of the request whose
transaction moved it). A crash between the provider's refund and the transaction leaves the charge ``captured``;
asking again completes it. Blocking; runs on the API's worker threads or the CLI's main thread.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from storefront.creators import require_own_bundle
from storefront.db import Database
from storefront.errors import ConflictError, NotFoundError
from storefront.models import Campaign, Charge, ChargeStatus, License, Pledge, PledgeStatus, Purchase
from storefront.payments import PaymentProvider
from storefront.pledge_changes import PledgeChanges


def find_charge_id(db: Database, sale_or_pledge_id: str) -> str:
    """The charge id for a charge id, a purchase id (the buyer's receipt names the purchase) or a pledge id."""
    with db.session() as session:
        if session.get(Charge, sale_or_pledge_id) is not None:
            return sale_or_pledge_id
        charge_id = session.scalar(select(Purchase.charge_id).where(Purchase.id == sale_or_pledge_id))
        if charge_id is None:
            charge_id = session.scalar(select(Pledge.charge_id).where(Pledge.id == sale_or_pledge_id))
    if charge_id is None:
        raise NotFoundError(f"There is no sale or pledge {sale_or_pledge_id!r} in this store.", code="unknown_charge")
    return charge_id


def refund_sale(db: Database, provider: PaymentProvider, charge_id: str, *, by_account: str | None) -> dict[str, Any]:
    """Refund one sale or charged pledge, or cancel a pledge not charged yet (see the module's docstring);
    ``by_account`` None is the store's operator."""
    with db.session() as session:
        charge = session.get(Charge, charge_id)
        if charge is None:
            raise NotFoundError(f"There is no sale or pledge {charge_id!r} in this store.", code="unknown_charge")
        if by_account is not None:
            require_own_bundle(session, by_account, charge.bundle_id)
        purpose, status = charge.purpose, charge.status
        pledge = session.scalar(select(Pledge).where(Pledge.charge_id == charge_id))
        pledge_id, campaign_id = (pledge.id, pledge.campaign_id) if pledge is not None else (None, None)
        held = pledge is not None and pledge.status == PledgeStatus.AUTHORIZED
    if status == ChargeStatus.REFUNDED:
        return _answer(db, charge_id, refunded_now=False)
    if purpose == "pledge" and held and campaign_id is not None:
        PledgeChanges(db, provider).cancel_pledge(campaign_id, pledge_id)
        return _cancelled(db, charge_id)
    if status != ChargeStatus.CAPTURED:
        what = "a pledge" if purpose == "pledge" else "a payment"
        raise ConflictError(
            f"Only a paid sale or a charged pledge can be refunded; this is {what} that is {status}, not paid.",
            code="not_refundable",
        )
    provider.refund(charge_id)
    with db.write() as session:
        charge = session.get_one(Charge, charge_id)
        moved = charge.status == ChargeStatus.CAPTURED
        if moved:
            charge.status = ChargeStatus.REFUNDED
            session.execute(delete(License).where(License.charge_id == charge_id))
            session.execute(delete(Purchase).where(Purchase.charge_id == charge_id))
            if pledge_id is not None:
                session.get_one(Pledge, pledge_id).status = PledgeStatus.REFUNDED
    return _answer(db, charge_id, refunded_now=moved)


def _answer(db: Database, charge_id: str, *, refunded_now: bool) -> dict[str, Any]:
    with db.session() as session:
        charge = session.get_one(Charge, charge_id)
        return {
            "charge_id": charge.id,
            "bundle_id": charge.bundle_id,
            "kind": "sale" if charge.purpose == "purchase" else "pledge",
            "amount_cents": charge.amount_cents,
            "currency": charge.currency,
            "status": str(charge.status),
            "refunded_at": charge.updated_at.isoformat(),
            "refunded_now": refunded_now,
            "license_revoked": True,
        }


def _cancelled(db: Database, charge_id: str) -> dict[str, Any]:
    with db.session() as session:
        charge = session.get_one(Charge, charge_id)
        state = session.scalar(
            select(Campaign.state).join(Pledge, Pledge.campaign_id == Campaign.id).where(Pledge.charge_id == charge_id)
        )
        return {
            "charge_id": charge.id,
            "bundle_id": charge.bundle_id,
            "kind": "pledge",
            "amount_cents": charge.amount_cents,
            "currency": charge.currency,
            "status": "cancelled",
            "refunded_at": None,
            "refunded_now": False,
            "license_revoked": False,
            "message": f"This pledge was not charged (its campaign is {state}): it is cancelled and the hold on the "
            "backer's card released — nothing was taken, so nothing is refunded.",
        }
