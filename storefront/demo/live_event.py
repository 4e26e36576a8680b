"""The demo catalog's live event: an upcoming free broadcast by the music bundle's band, so a fan's first look at the
store shows the "Upcoming" row and a live bundle's page.

``ensure_demo_live_event`` lists it once (fixed id ``DEMO_LIVE_ID``, the demo creator's account) and, since a demo
store lives on for weeks, moves its start a few days ahead again whenever it has come within a day — re-signing the
manifest, whose live section carries the start. Nobody broadcasts it: its stream key pair is made here and the
private half is thrown away (a real creator's app keeps its own). Runs in the demo builder's process, under its lock.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.bundle import Gate, GateType, Manifest, sign_manifest
from app.bundle.canonical import parse_canonical_json
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.demo import recipe
from storefront.keys import StoreKeys, load_store_keys
from storefront.live import register_live_event
from storefront.live_checks import LiveRequest
from storefront.models import Account, Bundle, BundleDocument, LiveEvent, LiveState

DEMO_LIVE_ID = "quiet-orbitals-live"
TITLE = "The Quiet Orbitals — Live from the Boathouse"
CREATOR = "The Quiet Orbitals"
DESCRIPTION = (
    "The band behind Harbor Lights plays the album through, live, with the harbour behind them. "
    "Free to watch: the broadcast travels through its viewers, about two seconds behind the stage."
)
AHEAD = dt.timedelta(days=3)  # where a new or moved start goes
KEEP_AHEAD = dt.timedelta(days=1)  # closer than this, it moves again
ORIGIN_URL = "http://127.0.0.1:9/"  # nobody broadcasts the demo (port 9 is discard)


def next_start(now: dt.datetime) -> dt.datetime:
    """Three days ahead, on the hour."""
    return (now + AHEAD).replace(minute=0, second=0, microsecond=0)


def ensure_demo_live_event(config: StoreConfig, database: Database, now: dt.datetime | None = None) -> None:
    now = now or dt.datetime.now(dt.UTC)
    keys = load_store_keys(config)
    with database.write() as session:
        event = session.get(LiveEvent, DEMO_LIVE_ID)
        account_id = session.scalar(select(Account.id).where(Account.email == recipe.CREATOR_EMAIL))
        assert account_id is not None, "the demo creator's account is made first"
        if event is None:
            register_live_event(
                session,
                config,
                keys,
                _request(next_start(now)),
                account_id=account_id,
                creator=CREATOR,
                bundle_id=DEMO_LIVE_ID,
            )
            return
        bundle = session.get_one(Bundle, DEMO_LIVE_ID)
        if bundle.creator_account_id is None:  # built before the demo creator's account existed
            bundle.creator_account_id = account_id
        if event.state == LiveState.SCHEDULED and event.starts_at < now + KEEP_AHEAD:
            _move(session, keys, event, next_start(now))


def _request(starts_at: dt.datetime) -> LiveRequest:
    public = Ed25519PrivateKey.generate().public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return LiveRequest(
        title=TITLE,
        description=DESCRIPTION,
        starts_at=starts_at,
        gate=Gate(GateType.FREE),
        stream_public_key=base64.b64encode(raw).decode("ascii"),
        origin_url=ORIGIN_URL,
        campaign=None,
    )


def _move(session: Session, keys: StoreKeys, event: LiveEvent, starts_at: dt.datetime) -> None:
    document = session.get_one(BundleDocument, event.bundle_id)
    data = parse_canonical_json(document.manifest_payload.encode("utf-8"))
    assert isinstance(data, dict)
    manifest = Manifest.from_dict(data)
    assert manifest.live is not None
    moved = dataclasses.replace(manifest, live=dataclasses.replace(manifest.live, starts_at=int(starts_at.timestamp())))
    signed = sign_manifest(moved, keys.signing)
    document.manifest_payload, document.manifest_signature = signed.payload, signed.signature
    event.starts_at = starts_at
