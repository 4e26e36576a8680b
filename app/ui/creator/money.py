"""Dollars typed by a creator ↔ cents, and cents shown back. Pure; any thread."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def cents_from_text(text: str) -> int:
    """'4.99', '$4.99' or '4' → cents; ValueError with a sentence for anything else (negative, fractions of a cent)."""
    cleaned = text.strip().lstrip("$").replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"“{text}” is not a price. Write it like 4.99.") from exc
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError("A price is whole cents, like 4.99.")
    return int(cents)


def dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"
