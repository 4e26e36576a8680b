"""Stripe's webhooks: ``POST /webhooks/stripe``, verified with Stripe's signature scheme
(``stripe.Webhook.construct_event`` — HMAC-SHA256 of ``timestamp.body`` with the endpoint's secret, within 5
minutes) and applied exactly once: the event id is written in the same transaction as its effect, so a second
delivery (Stripe retries, and may deliver twice) finds the id and changes nothing.

Effects: our record of the payment (``stripe_payments``) follows Stripe's state — a hold placed, captured,
cancelled (an expired hold shows here), refunded (a refund made in Stripe's dashboard also marks our charge
refunded). Events for payments the store does not know are acknowledged and ignored. Not part of the public API
document (Stripe calls it, not clients). The handler runs on the event loop; the database work on a worker thread.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import stripe
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from storefront.db import Database
from storefront.models import Charge, ChargeStatus, StripeEvent, StripePayment

log = logging.getLogger(__name__)
router = APIRouter()
_OUTCOME = {
    "payment_intent.amount_capturable_updated": "authorized",
    "payment_intent.succeeded": "captured",
    "payment_intent.canceled": "voided",
    "charge.refunded": "refunded",
}
_RANK = {"authorized": 0, "voided": 1, "captured": 1, "refunded": 2}  # never move a payment backwards


def apply_event(database: Database, event: dict[str, Any]) -> bool:
    """Apply one verified event; False when it was applied before (a duplicate delivery)."""
    obj = event["data"]["object"]
    intent_id = obj.get("payment_intent") if obj.get("object") == "charge" else obj.get("id")
    reference = (obj.get("metadata") or {}).get("reference")
    outcome = _OUTCOME.get(event["type"])
    try:
        with database.write() as session:
            session.add(StripeEvent(id=event["id"], type=event["type"]))
            session.flush()  # the duplicate stops here: the id is the primary key
            row = session.get(StripePayment, reference) if reference else None
            if row is None and intent_id:
                row = session.scalar(select(StripePayment).where(StripePayment.payment_intent_id == intent_id))
            if row is None or outcome is None:
                return True
            row.webhook_events += 1
            if _RANK[outcome] >= _RANK.get(row.status, 0) and row.status != outcome:
                row.status = outcome
                if outcome == "refunded":
                    charge = session.get(Charge, row.reference)
                    if charge is not None:
                        charge.status = ChargeStatus.REFUNDED
            return True
    except IntegrityError:
        return False


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


@router.post("/webhooks/stripe", include_in_schema=False)
async def stripe_webhook(request: Request) -> JSONResponse:
    services = request.app.state.services
    settings = services.config.stripe
    if services.config.payment_provider != "stripe" or settings is None or not settings.webhook_secret:
        return _error(404, "not_found", "This store does not take Stripe payments.")
    payload = await request.body()
    try:
        stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature"), settings.webhook_secret)
        event = json.loads(payload)  # verified above; the plain dict is what apply_event reads
    except (ValueError, stripe.SignatureVerificationError):
        log.warning("refused a Stripe webhook whose signature does not verify")
        return _error(400, "bad_signature", "The webhook's signature does not verify.")
    applied = await run_in_threadpool(apply_event, services.db, event)
    return JSONResponse({"received": True, "duplicate": not applied})
