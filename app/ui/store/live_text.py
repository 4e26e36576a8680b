"""Words for a live event in the Store tab: when it starts (in the fan's own time zone), what it takes to watch,
and which of a live bundle's page buttons to show. Pure; main thread (no Qt).
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.store.live import LiveEntry
from app.store.models import BundleDetail, GateType
from app.ui.units import format_price

LIVE_KIND = "live"


def is_live(detail: BundleDetail) -> bool:
    return detail.kind == LIVE_KIND and detail.live is not None


def has_recording(detail: BundleDetail) -> bool:
    """Whether an ended broadcast's recording is out (published as the live bundle's release, with its files): its
    page is then an ordinary bundle's — files, Download and Play, or the gate's button, which the ticket already passed.
    """
    return is_live(detail) and detail.live is not None and detail.live.state == "ended" and bool(detail.files)


def start_text(starts_at: datetime, now: datetime | None = None) -> str:
    """``Sat 7 Dec, 20:00 (in 3 days)``, in local time; the year only when it is not this year."""
    now = now or datetime.now(UTC)
    local = starts_at.astimezone()
    year = f" {local.year}" if local.year != now.astimezone().year else ""
    when = f"{local:%a} {local.day} {local:%b}{year}, {local:%H:%M}"
    seconds = (starts_at - now).total_seconds()
    if seconds <= 0:
        return f"{when} (any moment now)"
    if seconds < 3600:
        return f"{when} (in {max(1, round(seconds / 60))} min)"
    if seconds < 36 * 3600:
        hours = round(seconds / 3600)
        return f"{when} (in {hours} hour{'s' if hours != 1 else ''})"
    days = round(seconds / 86400)
    return f"{when} (in {days} days)"


def entry_gate_text(gate: str, price_cents: int | None) -> str:
    """What it takes to watch a listed broadcast."""
    if gate == "free":
        return "Free"
    if gate == "email":
        return "Free for your e-mail"
    if gate == "campaign":
        return "For backers"
    return f"Ticket {format_price(price_cents or 0, 'USD')}"


def entry_text(entry: LiveEntry, now: datetime | None = None) -> str:
    gate = entry_gate_text(entry.gate, entry.price_cents)
    if entry.on_air:
        return f"● LIVE  {entry.title} — {entry.creator} · {gate}"
    return f"{start_text(entry.starts_at, now)} · {entry.title} — {entry.creator} · {gate}"


def state_text(detail: BundleDetail, now: datetime | None = None) -> str:
    """The live bundle page's line: on the air, when it starts, or that it ended."""
    assert detail.live is not None
    if detail.live.state == "on_air":
        return "● LIVE now"
    if detail.live.state == "ended":
        return "This broadcast has ended. Its recording is below." if detail.files else "This broadcast has ended."
    return f"Starts {start_text(detail.live.starts_at, now)}"


def live_buttons(detail: BundleDetail, owned: bool) -> dict[str, bool]:
    """Which of the page's buttons a live bundle shows: Watch once the gate is passed (a free one has none), else
    the gate's own button (a ticket, the e-mail, a pledge); nothing once it has ended."""
    assert detail.live is not None
    gate = detail.gate.type
    open_to_me = owned or gate is GateType.FREE
    running = detail.live.state != "ended"
    campaign_open = detail.campaign is not None and detail.campaign.state.value == "open"
    return {
        "watch": running and open_to_me,
        "email": running and not open_to_me and gate is GateType.EMAIL,
        "buy": running and not open_to_me and gate in (GateType.PAID, GateType.PWYW),
        "pledge": running and not open_to_me and gate is GateType.CAMPAIGN and campaign_open,
    }


def ticket_label(detail: BundleDetail) -> str:
    gate = detail.gate
    return f"Buy a ticket {format_price(gate.price_cents or gate.min_cents or 0, gate.currency)}…"
