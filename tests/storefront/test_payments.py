"""The test-card provider on a real (SQLite) ledger: card rules, fees, and the idempotent provider verbs that
purchases, campaigns and reconcile rely on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storefront.db import Database
from storefront.payments import (
    Card,
    CardDeclinedError,
    InsufficientFundsError,
    InvalidCardError,
    PaymentError,
    TestCardProvider,
)
from storefront.payments.testcards import luhn_valid, processing_fee


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[TestCardProvider]:
    db = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    db.migrate()
    yield TestCardProvider(db)
    db.dispose()


def card(number: str = "4242424242424242", *, month: int = 12, year: int = 2040, cvc: str = "123") -> Card:
    return Card(number=number, exp_month=month, exp_year=year, cvc=cvc)


def test_luhn_and_fee() -> None:
    assert luhn_valid("4242424242424242") and luhn_valid("4000000000000002") and luhn_valid("4000000000009995")
    assert not luhn_valid("4242424242424241") and not luhn_valid("42424242abcd4242") and not luhn_valid("42")
    assert processing_fee(1000) == 59 and processing_fee(499) == 44  # 2.9% + 30 cents, rounded


def test_documented_cards_decide_the_outcome(provider: TestCardProvider) -> None:
    assert provider.authorize("ok", card(), 500, "USD").status == "authorized"
    with pytest.raises(CardDeclinedError):
        provider.authorize("declined", card("4000000000000002"), 500, "USD")
    with pytest.raises(InsufficientFundsError):
        provider.authorize("poor", card("4000000000009995"), 500, "USD")
    with pytest.raises(CardDeclinedError):  # any other valid number: declined, as in a test mode
        provider.authorize("other", card("5555555555554444"), 500, "USD")
    for bad in (card("4242424242424241"), card(year=2001), card(month=13), card(cvc="12")):
        with pytest.raises(InvalidCardError):
            provider.authorize("bad", bad, 500, "USD")
    assert provider.lookup("declined") is None and provider.lookup("bad") is None


def test_verbs_are_idempotent_by_reference(provider: TestCardProvider) -> None:
    first = provider.authorize("ref-1", card(), 995, "USD")
    assert provider.authorize("ref-1", card(), 995, "USD") == first  # authorized once
    captured = provider.capture("ref-1")
    assert captured.status == "captured" and captured.fee_cents == processing_fee(995)
    assert provider.capture("ref-1") == captured
    with pytest.raises(PaymentError, match="refund it instead"):
        provider.void("ref-1")
    assert provider.refund("ref-1").status == "refunded"
    provider.authorize("ref-2", card(), 995, "USD")
    assert provider.void("ref-2").status == "voided"  # type: ignore[union-attr]
    with pytest.raises(PaymentError, match="cannot be captured"):
        provider.capture("ref-2")
    assert provider.void("never-seen") is None
    with pytest.raises(PaymentError):
        provider.capture("never-seen")
