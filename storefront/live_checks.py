"""Checking a creator's live event request: title, description, start time, gate, the stream's public key, the
origin's URL, and a state change. Each refusal is an ``InvalidInputError`` with one sentence naming the field and
the limit (a title of 10,000 characters, a start in the past or more than a year ahead, a key that is not an
Ed25519 point). Nothing is written here. Pure; any thread.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from app.bundle import Gate, GateType
from storefront.draft_checks import MAX_DESCRIPTION, MAX_TITLE, CampaignDraft, check_campaign, check_gate
from storefront.errors import InvalidInputError

MAX_AHEAD = dt.timedelta(days=365)  # further ahead than this is a typo, not a plan
PAST_SLACK = dt.timedelta(minutes=5)  # a start "now" from a machine whose clock is a little behind is fine
MAX_ORIGIN_URL = 500
# Gate names a creator may give (the contract's "price" is the bundle gate "paid").
_GATES = {
    "free": GateType.FREE,
    "email": GateType.EMAIL,
    "price": GateType.PAID,
    "paid": GateType.PAID,
    "campaign": GateType.CAMPAIGN,
}
_STATES = {"on_air", "ended"}  # the states a creator may set (models.LiveState)


@dataclass(frozen=True, slots=True)
class LiveRequest:
    title: str
    description: str
    starts_at: dt.datetime
    gate: Gate
    stream_public_key: str  # base64 of the 32 raw bytes, as the creator sent it (checked)
    origin_url: str
    campaign: CampaignDraft | None


def _bad(message: str, code: str = "invalid_input") -> InvalidInputError:
    return InvalidInputError(message, code=code)


def _text(data: dict[str, Any], key: str, limit: int, *, required: bool) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad(f"The {key} must be text.")
    value = value.strip()
    if required and not value:
        raise _bad(f"Give the broadcast a {key}.")
    if len(value) > limit:
        raise _bad(f"The {key} has {len(value):,} characters; at most {limit:,} fit.", code="too_long")
    return value


def check_starts_at(value: object, now: dt.datetime) -> dt.datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad("Give the start time as a Unix time in seconds (starts_at).", code="invalid_start")
    if not math.isfinite(value):
        raise _bad("Give the start time as a Unix time in seconds (starts_at).", code="invalid_start")
    # Compared as numbers first: a huge one (2**40) is no datetime at all.
    if value < (now - PAST_SLACK).timestamp():
        raise _bad("The start time is in the past. Choose a time from now on.", code="invalid_start")
    if value > (now + MAX_AHEAD).timestamp():
        raise _bad(
            "The start time is more than a year ahead. Choose a time within the next year.", code="invalid_start"
        )
    return dt.datetime.fromtimestamp(float(value), dt.UTC)


def check_stream_key(value: object) -> str:
    if not isinstance(value, str):
        raise _bad("Give the stream's public key (stream_public_key, base64).", code="invalid_stream_key")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad("The stream's public key is not base64.", code="invalid_stream_key") from exc
    if len(raw) != 32:
        raise _bad("The stream's public key is 32 bytes (an Ed25519 public key).", code="invalid_stream_key")
    if not _is_ed25519_point(raw):
        raise _bad("The stream's public key is not an Ed25519 public key.", code="invalid_stream_key")
    return base64.b64encode(raw).decode("ascii")


_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P


def _is_ed25519_point(raw: bytes) -> bool:
    """Whether 32 bytes decode to a point of Ed25519 (RFC 8032, 5.1.3): ``cryptography`` loads any 32 bytes and
    fails only when verifying, so a key no signature can ever match would otherwise be listed."""
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    sign = raw[31] >> 7
    if y >= _P:
        return False
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    if v * x * x % _P == (-u) % _P:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    elif v * x * x % _P != u:
        return False
    return not (x == 0 and sign == 1)


def check_origin_url(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_ORIGIN_URL:
        raise _bad(
            f"Give the origin's address (origin_url, at most {MAX_ORIGIN_URL} characters).", code="invalid_origin"
        )
    try:
        parts = urlsplit(value)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # "http://[::1" and the like, or a port that is not a number
        usable = False
    if not usable or any(c.isspace() for c in value):
        raise _bad("The origin's address must be an http:// or https:// URL.", code="invalid_origin")
    return value


def check_live_gate(data: dict[str, Any]) -> Gate:
    name = data.get("gate")
    gate_type = _GATES.get(name) if isinstance(name, str) else None
    if gate_type is None:
        raise _bad("Choose a gate: free, email, price or campaign.", code="invalid_gate")
    return check_gate({"type": gate_type.value, "price_cents": data.get("price_cents")})


def check_live(data: object, now: dt.datetime | None = None) -> LiveRequest:
    """The creator's request, checked; ``InvalidInputError`` with one sentence otherwise. Pure."""
    if not isinstance(data, dict):
        raise _bad("The request body must be a JSON object.")
    now = now or dt.datetime.now(dt.UTC)
    title = _text(data, "title", MAX_TITLE, required=True)
    description = _text(data, "description", MAX_DESCRIPTION, required=False)
    starts_at = check_starts_at(data.get("starts_at"), now)
    gate = check_live_gate(data)
    campaign = check_campaign(data.get("campaign"), gate)
    return LiveRequest(
        title=title,
        description=description,
        starts_at=starts_at,
        gate=gate,
        stream_public_key=check_stream_key(data.get("stream_public_key")),
        origin_url=check_origin_url(data.get("origin_url")),
        campaign=campaign,
    )


def check_state(data: object) -> str:
    state = data.get("state") if isinstance(data, dict) else None
    if not isinstance(state, str) or state not in _STATES:
        raise _bad('The state is "on_air" or "ended".', code="invalid_state")
    return str(state)
