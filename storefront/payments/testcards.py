"""The embedded test-card provider: the store's default payment provider, for demos and tests.

It behaves like a payment service's test mode: card numbers documented by payment services decide the outcome
(``4242 4242 4242 4242`` succeeds, ``4000 0000 0000 0002`` is declined, ``4000 0000 0000 9995`` has
insufficient funds); any other Luhn-valid number is declined. Its ledger is its own table, written in its own
transactions — it stands for the payment service's books, which is what reconcile compares ours against.
Fee: 2.9% + 30 cents per captured payment, like common card processors. An optional latency per call makes the
gap between "charged" and "license written" wide enough to crash into (tests of reconcile). Thread-safe.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from storefront.db import Database
from storefront.models import TestCardPayment
from storefront.payments.provider import (
    Card,
    CardDeclinedError,
    InsufficientFundsError,
    InvalidCardError,
    PaymentError,
    ProviderPayment,
)


@dataclass(frozen=True, slots=True)
class TestCard:
    __test__ = False  # not a pytest class
    number: str
    outcome: str  # "success" | "card_declined" | "insufficient_funds"


TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("4242424242424242", "success"),
    TestCard("4000000000000002", "card_declined"),
    TestCard("4000000000009995", "insufficient_funds"),
)
_OUTCOMES = {card.number: card.outcome for card in TEST_CARDS}


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        digit = int(ch)
        if i % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def processing_fee(amount_cents: int) -> int:
    return round(amount_cents * 0.029) + 30


class TestCardProvider:
    __test__ = False  # not a pytest class
    name = "testcard"

    def __init__(self, database: Database, *, latency_s: float = 0.0, clock: type[dt.datetime] = dt.datetime):
        self._db = database
        self._latency_s = latency_s
        self._clock = clock

    def _wait(self) -> None:
        """Half the latency on the way there, half on the way back (after the ledger is written): the answer
        of a real payment service arrives after its books changed — the window a crash can fall into."""
        if self._latency_s:
            time.sleep(self._latency_s / 2)

    def _authorize(self, reference: str, card: Card, amount_cents: int, currency: str) -> ProviderPayment:
        self._wait()
        number = card.number.replace(" ", "").replace("-", "")
        if not luhn_valid(number):
            raise InvalidCardError("That card number is not valid; check the digits.")
        today = self._clock.now(dt.UTC)
        if not 1 <= card.exp_month <= 12 or (card.exp_year, card.exp_month) < (today.year, today.month):
            raise InvalidCardError("That card has expired or its expiry date is not valid.")
        if not (card.cvc.isdigit() and 3 <= len(card.cvc) <= 4):
            raise InvalidCardError("The card's security code (CVC) is 3 or 4 digits.")
        outcome = _OUTCOMES.get(number, "card_declined")
        if outcome == "card_declined":
            raise CardDeclinedError("Your card was declined. Try another card.")
        if outcome == "insufficient_funds":
            raise InsufficientFundsError("Your card has insufficient funds. Try another card.")
        try:
            with self._db.write() as session:
                existing = session.get(TestCardPayment, reference)
                if existing is not None:  # idempotent: the same reference authorizes once
                    return _payment(existing)
                row = TestCardPayment(
                    reference=reference,
                    card_last4=number[-4:],
                    amount_cents=amount_cents,
                    currency=currency,
                    status="authorized",
                )
                session.add(row)
                session.flush()
                return _payment(row)
        except IntegrityError:  # a concurrent call with the same reference won
            return self._require(reference)

    def _capture(self, reference: str) -> ProviderPayment:
        self._wait()
        with self._db.write() as session:
            row = session.get(TestCardPayment, reference)
            if row is None:
                raise PaymentError(f"no authorization {reference} to capture")
            if row.status == "captured":
                return _payment(row)
            if row.status != "authorized":
                raise PaymentError(f"payment {reference} is {row.status}; it cannot be captured")
            row.status = "captured"
            row.fee_cents = processing_fee(row.amount_cents)
            return _payment(row)

    def _void(self, reference: str) -> ProviderPayment | None:
        self._wait()
        with self._db.write() as session:
            row = session.get(TestCardPayment, reference)
            if row is None:
                return None
            if row.status == "captured":
                raise PaymentError(f"payment {reference} is captured; refund it instead")
            row.status = "voided"
            return _payment(row)

    def _refund(self, reference: str) -> ProviderPayment:
        self._wait()
        with self._db.write() as session:
            row = session.get(TestCardPayment, reference)
            if row is None or row.status not in ("captured", "refunded"):
                raise PaymentError(f"payment {reference} was not captured; nothing to refund")
            row.status = "refunded"
            return _payment(row)

    def authorize(self, reference: str, card: Card, amount_cents: int, currency: str) -> ProviderPayment:
        payment = self._authorize(reference, card, amount_cents, currency)
        self._wait()
        return payment

    def capture(self, reference: str) -> ProviderPayment:
        payment = self._capture(reference)
        self._wait()
        return payment

    def void(self, reference: str) -> ProviderPayment | None:
        payment = self._void(reference)
        self._wait()
        return payment

    def refund(self, reference: str) -> ProviderPayment:
        payment = self._refund(reference)
        self._wait()
        return payment

    def lookup(self, reference: str) -> ProviderPayment | None:
        with self._db.session() as session:
            row = session.get(TestCardPayment, reference)
            return None if row is None else _payment(row)

    def _require(self, reference: str) -> ProviderPayment:
        payment = self.lookup(reference)
        if payment is None:
            raise PaymentError(f"payment {reference} vanished")
        return payment


def _payment(row: TestCardPayment) -> ProviderPayment:
    return ProviderPayment(
        reference=row.reference,
        status=row.status,
        amount_cents=row.amount_cents,
        currency=row.currency,
        fee_cents=row.fee_cents,
    )
