"""Prices as a fan reads them: ``995, "USD"`` → ``"$9.95"`` (pure; the UI's labels and the player's offer)."""

from __future__ import annotations


def format_price(cents: int, currency: str) -> str:
    """``995, "USD"`` → ``"$9.95"``; other currencies keep their code."""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency.upper())
    amount = f"{cents // 100}.{cents % 100:02d}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency.upper()}"
