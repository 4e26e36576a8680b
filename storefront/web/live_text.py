"""Words for live events on the store's web pages: a start time and a gate as a fan reads them. Pure; any thread."""

from __future__ import annotations

import datetime as dt


def start_time_text(unix_s: int) -> str:
    """``Fri 4 Dec 2026, 21:00 UTC`` (the page also carries the ISO time in a ``<time>`` element)."""
    when = dt.datetime.fromtimestamp(int(unix_s), dt.UTC)
    return f"{when:%a} {when.day} {when:%b %Y, %H:%M} UTC"


def iso_time(unix_s: int) -> str:
    return dt.datetime.fromtimestamp(int(unix_s), dt.UTC).isoformat().replace("+00:00", "Z")


def live_gate_text(gate: str, price_cents: int | None = None, currency: str = "USD") -> str:
    """What it takes to watch: free, free for an e-mail address, a ticket's price, or backing the campaign."""
    if gate == "free":
        return "Free to watch"
    if gate == "email":
        return "Free with your e-mail address"
    if gate == "campaign":
        return "For backers of its campaign"
    price = f"{(price_cents or 0) / 100:.2f} {currency}"
    return f"Ticket {price}"
