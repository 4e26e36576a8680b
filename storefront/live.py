"""Live events on the store: a creator announces a broadcast, goes on the air, ends it; fans see what is on.

The request is checked by ``storefront.live_checks`` (``check_live`` gives a ``LiveRequest``).
``register_live_event`` makes the stream id and the bundle key (wrapped at rest like every bundle key), signs the
live bundle's manifest (kind ``live`` with its ``LiveSection``; encrypted unless the gate is free or e-mail) and lists
it, in the caller's transaction; ``LiveEvents.create`` does so for a creator, ``set_state`` moves an event on the air
or ends it (its creator only), ``listing`` answers "live now" and "upcoming". The stream's private key never comes
here. ``swarm_hash`` is the info-hash a stream's viewers announce to the tracker under. Runs on the API's worker
threads, inside sessions it opens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.bundle import BundleKind, GateType, LiveSection, Manifest
from storefront.catalog import CampaignSpec, new_bundle_id, register_bundle
from storefront.config import StoreConfig
from storefront.creators import require_creator, require_own_bundle
from storefront.db import Database
from storefront.errors import ConflictError
from storefront.keys import StoreKeys
from storefront.live_checks import LiveRequest
from storefront.models import Bundle, CampaignTier, LiveEvent, LiveState

UPCOMING_GRACE = dt.timedelta(hours=6)  # a broadcast not on the air this long after its start drops off the list
MAX_LISTED = 100
_MOVES = {  # state now -> states it may go to
    LiveState.SCHEDULED.value: {LiveState.ON_AIR.value, LiveState.ENDED.value},
    LiveState.ON_AIR.value: {LiveState.ON_AIR.value, LiveState.ENDED.value},
    LiveState.ENDED.value: {LiveState.ENDED.value},
}


def swarm_hash(stream_id_hex: str) -> str:
    """The 20-byte info-hash (hex) a stream's live swarm announces under. The same bytes as
    ``app.live.blocks.swarm_info_hash`` (the store may import only ``app.bundle``; a test holds them equal)."""
    return hashlib.sha1(b"bundlecast/live-swarm/v1" + bytes.fromhex(stream_id_hex), usedforsecurity=False).hexdigest()


def register_live_event(
    session: Session,
    config: StoreConfig,
    keys: StoreKeys,
    request: LiveRequest,
    *,
    account_id: str,
    creator: str,
    bundle_id: str | None = None,
) -> dict[str, Any]:
    """Write a live bundle (signed manifest, wrapped key, campaign and tiers) and its event row in the caller's
    transaction; the store makes the stream id and the bundle key. ``bundle_id``: the demo's fixed id."""
    stream_id = secrets.token_hex(16)
    now = dt.datetime.now(dt.UTC)
    bundle_id = bundle_id or new_bundle_id(request.title)
    manifest = Manifest(
        bundle_id=bundle_id,
        store_id=config.store_id,
        title=request.title,
        creator=creator,
        kind=BundleKind.LIVE,
        description=request.description,
        gate=request.gate,
        files=(),
        info_hash_v1=None,
        info_hash_v2=None,
        created_at=int(now.timestamp()),
        live=LiveSection(
            stream_id=stream_id,
            stream_public_key=request.stream_public_key,
            origin_url=request.origin_url,
            starts_at=int(request.starts_at.timestamp()),
            encrypted=request.gate.type not in (GateType.FREE, GateType.EMAIL),
        ),
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
        config,
        manifest,
        bundle_key=secrets.token_bytes(32),
        torrent_data=None,
        summary=request.description[:200],
        creator_account_id=account_id,
        campaign=campaign,
        keys=keys,
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
    session.flush()
    return {"bundle_id": bundle_id, "stream_id": stream_id, "swarm_hash": swarm_hash(stream_id)}


class LiveEvents:
    def __init__(self, config: StoreConfig, db: Database, keys: StoreKeys) -> None:
        self._config = config
        self._db = db
        self._keys = keys

    def create(self, account_id: str, request: LiveRequest) -> dict[str, Any]:
        """List a new live bundle for this creator; answers ``{bundle_id, stream_id, swarm_hash}``."""
        with self._db.write() as session:
            creator = require_creator(session, account_id)
            return register_live_event(
                session, self._config, self._keys, request, account_id=account_id, creator=creator.display_name
            )

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
        "gate": bundle.gate_type,  # free, email, paid or campaign
        "price_cents": bundle.price_cents,
        "state": event.state,
        "stream_id": event.stream_id,
        "summary": bundle.summary,
    }
