"""The payment-provider interface: authorize, capture, void, refund, and look a payment up.

Every call names the payment by OUR reference (the ``Charge.id``), which the provider treats as an idempotency
key — calling ``authorize`` twice with one reference authorizes once. That is what lets the store retry, and
reconcile after a crash, without double-charging. Calls block (a real provider is a network service); the API
makes them from its worker threads, never from the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from storefront.errors import PaymentFailedError, ServiceUnavailableError, StoreError


@dataclass(frozen=True, slots=True)
class Card:
    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)

    @property
    def last4(self) -> str:
        return self.number[-4:]


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    reference: str
    status: str  # authorized | captured | voided | refunded
    amount_cents: int
    currency: str
    fee_cents: int = 0


class PaymentError(StoreError):
    code = "payment_failed"
    status = 402


class CardDeclinedError(PaymentError, PaymentFailedError):
    code = "card_declined"


class InsufficientFundsError(PaymentError, PaymentFailedError):
    code = "insufficient_funds"


class InvalidCardError(PaymentError):
    code = "invalid_card"
    status = 422


class ProviderUnavailableError(PaymentError, ServiceUnavailableError):
    code = "payment_provider_unavailable"
    status = 503


class PaymentProvider(Protocol):
    name: str

    def authorize(self, reference: str, card: Card, amount_cents: int, currency: str) -> ProviderPayment:
        """Hold the amount on the card; raises CardDeclinedError, InsufficientFundsError, InvalidCardError."""
        ...

    def capture(self, reference: str) -> ProviderPayment:
        """Take the authorized amount; ``fee_cents`` is the provider's fee."""
        ...

    def void(self, reference: str) -> ProviderPayment | None:
        """Release an authorization (None when the provider never saw the reference)."""
        ...

    def refund(self, reference: str) -> ProviderPayment:
        """Give a captured amount back."""
        ...

    def lookup(self, reference: str) -> ProviderPayment | None:
        """The provider's record of a payment, or None when it has none (the call never reached it)."""
        ...
