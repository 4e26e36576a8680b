"""Live events on the store: a creator announces a broadcast, goes on the air, ends it; fans see what is on.

``check_live`` turns the creator's request into a ``LiveRequest`` or raises ``InvalidInputError`` with one sentence
(a title of 10,000 characters, a start time in the past or more than a year ahead, a key that is not an Ed25519
public key, an origin that is not an http(s) URL). ``LiveEvents.create`` makes the stream id and the bundle key
(wrapped at rest like every bundle key), signs the live bundle's manifest (kind ``live`` with its ``LiveSection``;
encrypted unless the gate is free or e-mail) and lists it, in one transaction; ``set_state`` moves it on the air or
ends it (its creator only); ``listing`` answers "live now" and "upcoming". The stream's private key never comes
here. ``swarm_hash`` is the info-hash a stream's viewers announce to the tracker under. Runs on the API's worker
threads, inside sessions it opens.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.bundle import BundleKind, Gate, GateType, LiveSection, Manifest
from storefront.catalog import CampaignSpec, new_bundle_id, register_bundle
from storefront.config import StoreConfig
from storefront.creators import require_creator, require_own_bundle
from storefront.db import Database
from storefront.draft_checks import MAX_DESCRIPTION, MAX_TITLE, CampaignDraft, check_campaign, check_gate
from storefront.errors import ConflictError, InvalidInputError, NotFoundError
from storefront.keys import StoreKeys
from storefront.models import Bundle, CampaignTier, LiveEvent, LiveState

MAX_AHEAD = dt.timedelta(days=365)  # further ahead than this is a typo, not a plan
PAST_SLACK = dt.timedelta(minutes=5)  # a start "now" from a machine whose clock is a little behind is fine
UPCOMING_GRACE = dt.timedelta(hours=6)  # a broadcast not on the air this long after its start drops off the list
MAX_ORIGIN_URL = 500
MAX_LISTED = 100
# Gate names a creator may give (the contract's "price" is the bundle gate "paid").
_GATES = {
    "free": GateType.FREE,
    "email": GateType.EMAIL,
    "price": GateType.PAID,
    "paid": GateType.PAID,
    "campaign": GateType.CAMPAIGN,
}
_STATES = {LiveState.ON_AIR.value, LiveState.ENDED.value}
_MOVES = {  # state now -> states it may go to
    LiveState.SCHEDULED.value: {LiveState.ON_AIR.value, LiveState.ENDED.value},
    LiveState.ON_AIR.value: {LiveState.ON_AIR.value, LiveState.ENDED.value},
    LiveState.ENDED.value: {LiveState.ENDED.value},
}


def swarm_hash(stream_id_hex: str) -> str:
    """The 20-byte info-hash (hex) a stream's live swarm announces under. The same bytes as
    ``app.live.blocks.swarm_info_hash`` (the store may import only ``app.bundle``; a test holds them equal)."""
    return hashlib.sha1(b"bundlecast/live-swarm/v1" + bytes.fromhex(stream_id_hex), usedforsecurity=False).hexdigest()


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


def gate_name(gate_type: str) -> str:
    return gate_type  # the bundle's gate type: free, email, paid or campaign


class LiveEvents:
    def __init__(self, config: StoreConfig, db: Database, keys: StoreKeys) -> None:
        self._config = config
        self._db = db
        self._keys = keys

    def create(self, account_id: str, request: LiveRequest) -> dict[str, Any]:
        """List a new live bundle for this creator; answers ``{bundle_id, stream_id, swarm_hash}``."""
        stream_id = secrets.token_hex(16)
        bundle_key = secrets.token_bytes(32)
        now = dt.datetime.now(dt.UTC)
        with self._db.write() as session:
            creator = require_creator(session, account_id)
            bundle_id = new_bundle_id(request.title)
            section = LiveSection(
                stream_id=stream_id,
                stream_public_key=request.stream_public_key,
                origin_url=request.origin_url,
                starts_at=int(request.starts_at.timestamp()),
                encrypted=request.gate.type not in (GateType.FREE, GateType.EMAIL),
            )
            manifest = Manifest(
                bundle_id=bundle_id,
                store_id=self._config.store_id,
                title=request.title,
                creator=creator.display_name,
                kind=BundleKind.LIVE,
                description=request.description,
                gate=request.gate,
                files=(),
                info_hash_v1=None,
                info_hash_v2=None,
                created_at=int(now.timestamp()),
                live=section,
            )
            campaign = None
            if request.campaign is not None:
                campaign = CampaignSpec(
                    deadline=now + dt.timedelta(days=request.campaign.deadline_days),
                    goal_backers=request.campaign.goal_backers,
                    goal_cents=request.campaign.goal_cents,
                )
            register_bundle(
                session,
                self._config,
                manifest,
                bundle_key=bundle_key,
                torrent_data=None,
                summary=request.description[:200],
                creator_account_id=account_id,
                campaign=campaign,
                keys=self._keys,
            )
            for position, tier in enumerate(request.campaign.tiers if request.campaign else ()):
                session.add(
                    CampaignTier(
                        campaign_id=bundle_id,
                        tier_id=tier.tier_id,
                        title=tier.title,
                        description=tier.description,
                        price_cents=tier.price_cents,
                        position=position,
                    )
                )
            session.add(
                LiveEvent(
                    bundle_id=bundle_id,
                    stream_id=stream_id,
                    swarm_hash=swarm_hash(stream_id),
                    starts_at=request.starts_at,
                    state=LiveState.SCHEDULED,
                    state_changed_at=now,
                )
            )
        return {"bundle_id": bundle_id, "stream_id": stream_id, "swarm_hash": swarm_hash(stream_id)}

    def set_state(self, account_id: str, bundle_id: str, state: str) -> dict[str, Any]:
        """On the air or ended — the bundle's creator only (403), a live bundle only (409)."""
        with self._db.write() as session:
            require_own_bundle(session, account_id, bundle_id)
            event = session.get(LiveEvent, bundle_id, with_for_update=True)
            if event is None:
                raise ConflictError("This bundle is not a live broadcast.", code="not_live")
            if state not in _MOVES[event.state]:
                raise ConflictError("This broadcast has ended; it cannot go on the air again.", code="live_ended")
            if event.state != state:
                event.state = state
                event.state_changed_at = dt.datetime.now(dt.UTC)
            return {"bundle_id": bundle_id, "state": event.state}

    def event(self, bundle_id: str) -> dict[str, Any]:
        """One live bundle's broadcast facts (404 when the bundle is not live)."""
        with self._db.session() as session:
            row = session.execute(
                select(LiveEvent, Bundle)
                .join(Bundle, Bundle.id == LiveEvent.bundle_id)
                .where(LiveEvent.bundle_id == bundle_id)
            ).first()
            if row is None:
                raise NotFoundError(f"There is no live broadcast {bundle_id!r} in this store.", code="unknown_bundle")
            return _entry(row[0], row[1])

    def listing(self, now: dt.datetime | None = None) -> dict[str, list[dict[str, Any]]]:
        """``live_now`` (on the air, earliest start first) and ``upcoming`` (scheduled, soonest first)."""
        now = now or dt.datetime.now(dt.UTC)
        with self._db.session() as session:
            on_air = session.execute(
                select(LiveEvent, Bundle)
                .join(Bundle, Bundle.id == LiveEvent.bundle_id)
                .where(LiveEvent.state == LiveState.ON_AIR)
                .order_by(LiveEvent.starts_at, LiveEvent.bundle_id)
                .limit(MAX_LISTED)
            ).all()
            scheduled = session.execute(
                select(LiveEvent, Bundle)
                .join(Bundle, Bundle.id == LiveEvent.bundle_id)
                .where(LiveEvent.state == LiveState.SCHEDULED, LiveEvent.starts_at >= now - UPCOMING_GRACE)
                .order_by(LiveEvent.starts_at, LiveEvent.bundle_id)
                .limit(MAX_LISTED)
            ).all()
            return {
                "live_now": [_entry(event, bundle) for event, bundle in on_air],
                "upcoming": [_entry(event, bundle) for event, bundle in scheduled],
            }

    def swarm_for(self, info_hash_hex: str) -> str | None:
        """The stream id whose live swarm announces under this info-hash, while it is not over."""
        with self._db.session() as session:
            return session.scalar(
                select(LiveEvent.stream_id).where(
                    LiveEvent.swarm_hash == info_hash_hex, LiveEvent.state != LiveState.ENDED
                )
            )

    def open_swarm_hashes(self) -> list[str]:
        with self._db.session() as session:
            return list(session.scalars(select(LiveEvent.swarm_hash).where(LiveEvent.state != LiveState.ENDED)))


def live_view(session: Session, bundle_id: str) -> dict[str, Any] | None:
    """A live bundle's broadcast for its detail page (``LiveInfo``), in the caller's session."""
    event = session.get(LiveEvent, bundle_id)
    if event is None:
        return None
    return {
        "stream_id": event.stream_id,
        "swarm_hash": event.swarm_hash,
        "starts_at": int(event.starts_at.timestamp()),
        "state": event.state,
    }


def _entry(event: LiveEvent, bundle: Bundle) -> dict[str, Any]:
    return {
        "bundle_id": bundle.id,
        "title": bundle.title,
        "creator": bundle.creator,
        "starts_at": int(event.starts_at.timestamp()),
        "gate": gate_name(bundle.gate_type),
        "price_cents": bundle.price_cents,
        "state": event.state,
        "stream_id": event.stream_id,
        "summary": bundle.summary,
    }
