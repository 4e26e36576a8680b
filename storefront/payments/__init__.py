"""Payments: the provider interface the store charges through, and the embedded test-card provider."""

from storefront.payments.provider import (
    Card,
    CardDeclinedError,
    InsufficientFundsError,
    InvalidCardError,
    PaymentError,
    PaymentProvider,
    ProviderPayment,
    ProviderUnavailableError,
)
from storefront.payments.testcards import TEST_CARDS, TestCard, TestCardProvider

__all__ = [
    "TEST_CARDS",
    "Card",
    "CardDeclinedError",
    "InsufficientFundsError",
    "InvalidCardError",
    "PaymentError",
    "PaymentProvider",
    "ProviderPayment",
    "ProviderUnavailableError",
    "TestCard",
    "TestCardProvider",
]
