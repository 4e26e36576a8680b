"""The Stripe payment provider: the store's ``PaymentProvider`` verbs on Stripe's PaymentIntents, through the
official ``stripe`` SDK (a ``StripeClient`` of our own; no global key).

- ``authorize``: a Customer and a PaymentIntent confirmed with ``capture_method=manual`` (a hold) and
  ``setup_future_usage=off_session`` (the card is saved to the customer).
- ``capture``: captures the hold. Card holds expire after about 7 days and a campaign runs for 30, so a pledge
  whose hold is older than ``REAUTHORIZE_AFTER`` (or that Stripe already cancelled as expired) is charged with a
  new PaymentIntent, off-session, on the saved card. The hold at pledge time proves the card is good and counts the
  backer; the off-session charge at close takes the money (it may be declined then, as any charge may).
- ``void`` cancels the PaymentIntent; ``refund`` creates a Refund; ``lookup`` asks Stripe (search by our reference
  in the metadata) when our own record is missing — a crash between Stripe's answer and our write.
Every call carries an idempotency key derived from our reference (``Charge.id``) and the verb, so a retry of the
same call is answered once by Stripe. Our record of each payment lives in ``stripe_payments``; verified webhooks
update it (``storefront.payments.stripe_webhook``). Secrets are never logged. Calls block: API worker threads.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import stripe
from sqlalchemy.exc import IntegrityError

from storefront.config import StripeSettings
from storefront.db import Database
from storefront.models import StripePayment, utcnow
from storefront.payments.provider import (
    Card,
    CardDeclinedError,
    InsufficientFundsError,
    InvalidCardError,
    PaymentError,
    ProviderPayment,
    ProviderUnavailableError,
)

log = logging.getLogger(__name__)
REAUTHORIZE_AFTER = dt.timedelta(days=6)  # Stripe cancels an uncaptured card PaymentIntent after 7 days
# Test mode: the card numbers of the embedded test-card provider stand for Stripe's test PaymentMethods.
TEST_PAYMENT_METHODS = {
    "4242424242424242": "pm_card_visa",
    "4000000000000002": "pm_card_chargeDeclined",
    "4000000000009995": "pm_card_chargeDeclinedInsufficientFunds",
}
_STATUS = {"requires_capture": "authorized", "succeeded": "captured", "canceled": "voided"}


class StripeProvider:
    name = "stripe"

    def __init__(self, database: Database, settings: StripeSettings) -> None:
        self._db = database
        self._settings = settings
        base = {"api": settings.api_base} if settings.api_base else None
        self._client = stripe.StripeClient(settings.secret_key, base_addresses=base, max_network_retries=2)  # type: ignore[arg-type]

    # --- the verbs --------------------------------------------------------------------------------------
    def authorize(self, reference: str, card: Card, amount_cents: int, currency: str) -> ProviderPayment:
        known = self._record(reference)
        if known is not None:
            return known
        method = self._payment_method(card)
        with _StripeErrorsTranslated():
            customer = self._client.v1.customers.create(
                params={"metadata": {"reference": reference}}, options={"idempotency_key": f"{reference}:customer"}
            )
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": amount_cents,
                    "currency": currency.lower(),
                    "customer": customer.id,
                    "payment_method": method,
                    "confirm": True,
                    "capture_method": "manual",
                    "setup_future_usage": "off_session",
                    "metadata": {"reference": reference},
                },
                options={"idempotency_key": f"{reference}:authorize"},
            )
        if intent.status != "requires_capture":  # e.g. requires_action: the bank wants the fan present (3-D Secure)
            self._cancel_quietly(intent.id, reference)
            raise CardDeclinedError(
                "Your bank asked to confirm this payment, which this store cannot do. Try another card."
            )
        row = StripePayment(
            reference=reference,
            payment_intent_id=intent.id,
            customer_id=customer.id,
            payment_method_id=_id(intent.payment_method) or method,
            amount_cents=amount_cents,
            currency=currency,
            status="authorized",
        )
        try:
            with self._db.write() as session:
                session.add(row)
        except IntegrityError:  # a concurrent authorize of the same reference wrote it first (same intent)
            pass
        return self._require(reference)

    def capture(self, reference: str) -> ProviderPayment:
        row = self._row(reference)
        if row is None:
            raise PaymentError(f"no authorization {reference} to capture")
        if row.status == "captured":
            return _payment(row)
        if row.status != "authorized":
            raise PaymentError(f"payment {reference} is {row.status}; it cannot be captured")
        expand = ["latest_charge.balance_transaction"]  # the captured charge's fee comes with the answer
        intent: Any = None
        if utcnow() - row.authorized_at < REAUTHORIZE_AFTER:
            try:
                with _StripeErrorsTranslated():
                    intent = self._client.v1.payment_intents.capture(
                        row.payment_intent_id,
                        params={"expand": expand},
                        options={"idempotency_key": f"{reference}:capture"},
                    )
            except PaymentError as exc:
                if "expired" not in exc.message:
                    raise
        if intent is None:  # the hold expired (or is about to): charge the saved card off-session
            log.info("payment %s: hold expired; charging the saved card off-session", reference)
            with _StripeErrorsTranslated():
                intent = self._client.v1.payment_intents.create(
                    params={
                        "amount": row.amount_cents,
                        "currency": row.currency.lower(),
                        "customer": row.customer_id or "",
                        "payment_method": row.payment_method_id or "",
                        "off_session": True,
                        "confirm": True,
                        "metadata": {"reference": reference, "replaces": row.payment_intent_id},
                        "expand": expand,
                    },
                    options={"idempotency_key": f"{reference}:offsession"},
                )
        if intent.status != "succeeded":
            raise CardDeclinedError("The saved card could not be charged.")
        return self._update(reference, "captured", intent_id=intent.id, fee_cents=_fee(intent))

    def void(self, reference: str) -> ProviderPayment | None:
        row = self._row(reference)
        if row is None:
            remote = self._search(reference)
            if remote is None:
                return None
            intent_id = remote.id
        else:
            if row.status == "captured":
                raise PaymentError(f"payment {reference} is captured; refund it instead")
            if row.status == "voided":
                return _payment(row)
            intent_id = row.payment_intent_id
        self._cancel_quietly(intent_id, reference)
        return self._update(reference, "voided") if row is not None else None

    def refund(self, reference: str) -> ProviderPayment:
        row = self._row(reference)
        if row is None or row.status not in ("captured", "refunded"):
            raise PaymentError(f"payment {reference} was not captured; nothing to refund")
        if row.status == "refunded":
            return _payment(row)
        with _StripeErrorsTranslated():
            self._client.v1.refunds.create(
                params={"payment_intent": row.payment_intent_id}, options={"idempotency_key": f"{reference}:refund"}
            )
        return self._update(reference, "refunded")

    def lookup(self, reference: str) -> ProviderPayment | None:
        known = self._record(reference)
        if known is not None:
            return known
        intent = self._search(reference)
        if intent is None or intent.status not in _STATUS:
            return None
        return ProviderPayment(reference, _STATUS[intent.status], intent.amount, intent.currency.upper())

    # --- helpers ----------------------------------------------------------------------------------------
    def _payment_method(self, card: Card) -> str:
        """A PaymentMethod id from the browser (Stripe.js), or in test mode one of Stripe's test cards."""
        number = card.number.replace(" ", "").replace("-", "")
        if number.startswith("pm_"):
            return number
        if self._settings.test_mode and number in TEST_PAYMENT_METHODS:
            return TEST_PAYMENT_METHODS[number]
        raise InvalidCardError(
            "This store takes cards through Stripe's payment form; card numbers cannot be sent to it directly."
        )

    def _search(self, reference: str) -> Any:
        with _StripeErrorsTranslated():
            found = self._client.v1.payment_intents.search(params={"query": f"metadata['reference']:'{reference}'"})
        live = [pi for pi in found.data if pi.status != "requires_payment_method"]
        return live[-1] if live else None

    def _cancel_quietly(self, intent_id: str, reference: str) -> None:
        try:
            with _StripeErrorsTranslated():
                self._client.v1.payment_intents.cancel(intent_id, options={"idempotency_key": f"{reference}:cancel"})
        except PaymentError as exc:
            if "canceled" not in exc.message:  # already cancelled (by us or by expiry): the hold is gone either way
                raise

    def _row(self, reference: str) -> StripePayment | None:
        with self._db.session() as session:
            return session.get(StripePayment, reference)

    def _record(self, reference: str) -> ProviderPayment | None:
        row = self._row(reference)
        return None if row is None else _payment(row)

    def _require(self, reference: str) -> ProviderPayment:
        payment = self._record(reference)
        if payment is None:
            raise PaymentError(f"payment {reference} vanished")
        return payment

    def _update(
        self, reference: str, status: str, *, intent_id: str = "", fee_cents: int | None = None
    ) -> ProviderPayment:
        with self._db.write() as session:
            row = session.get_one(StripePayment, reference)
            row.status = status
            if intent_id:
                row.payment_intent_id = intent_id
            if fee_cents is not None:
                row.fee_cents = fee_cents
            return _payment(row)


class _StripeErrorsTranslated:
    """Stripe's exceptions as the store's payment errors (messages a fan can read; no secrets in them)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        if exc is None or not isinstance(exc, stripe.StripeError):
            return
        if isinstance(exc, stripe.CardError):
            decline = _error_body(exc).get("decline_code") or exc.code
            if decline == "insufficient_funds":
                raise InsufficientFundsError("Your card has insufficient funds. Try another card.") from None
            if exc.code in (
                "incorrect_number",
                "invalid_number",
                "invalid_expiry_month",
                "invalid_expiry_year",
                "expired_card",
                "incorrect_cvc",
                "invalid_cvc",
            ):
                raise InvalidCardError("Check the card's number, expiry date and security code.") from None
            raise CardDeclinedError("Your card was declined. Try another card.") from None
        if isinstance(exc, stripe.InvalidRequestError):
            body = _error_body(exc)
            pi = body.get("payment_intent") or {}
            if body.get("code") == "payment_intent_unexpected_state" and pi.get("status") == "canceled":
                reason = "expired" if pi.get("cancellation_reason") == "automatic" else "canceled"
                raise PaymentError(f"the payment was {reason} at Stripe") from None
            raise PaymentError(f"Stripe refused the request ({body.get('code') or 'invalid_request'})") from None
        if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
            log.error("Stripe refused the store's API key (check the configured key; it is not logged)")
        raise ProviderUnavailableError(
            "The payment service cannot be reached; nothing was charged. Try again."
        ) from None


def _error_body(exc: stripe.StripeError) -> dict[str, Any]:
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else {}


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) or value is None else str(value.id)


def _fee(intent: Any) -> int:
    charge = intent.latest_charge
    if isinstance(charge, str) or charge is None or isinstance(charge.balance_transaction, str | None):
        return 0
    return int(charge.balance_transaction.fee)


def _payment(row: StripePayment) -> ProviderPayment:
    return ProviderPayment(row.reference, row.status, row.amount_cents, row.currency, row.fee_cents)
