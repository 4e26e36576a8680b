"""Registering published bundles in the catalog (called by ``publish`` and the demo builder).

``register_bundle`` writes a bundle, its files, releases, wrapped key and optional campaign in the caller's
transaction, signing the manifest with the store key. Runs on whichever thread holds the session.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.bundle import GateType, Manifest, sign_manifest
from storefront.config import StoreConfig
from storefront.errors import ConflictError, InvalidInputError
from storefront.keys import StoreKeys, load_store_keys
from storefront.models import Bundle, BundleDocument, BundleFile, BundleKey, Campaign, Release


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    """An all-or-nothing goal: backers, amount, or both (both must be met). Price comes from the gate."""

    deadline: dt.datetime  # timezone-aware
    goal_backers: int | None = None
    goal_cents: int | None = None
    campaign_id: str | None = None  # default: the bundle id


def search_text(*parts: str) -> str:
    """What catalog search matches against: the parts, lower-cased, in one short column."""
    return " | ".join(part.lower() for part in parts)[:1100]


def new_bundle_id(title: str) -> str:
    """A URL- and path-safe id: a slug of the title plus a short random suffix."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "bundle"
    return f"{slug}-{secrets.token_hex(3)}"


def register_bundle(
    session: Session,
    config: StoreConfig,
    manifest: Manifest,
    *,
    bundle_key: bytes,
    torrent_data: bytes | None,
    summary: str = "",
    cover_path: str | None = None,
    creator_account_id: str | None = None,
    file_indices: Sequence[int] | None = None,
    campaign: CampaignSpec | None = None,
    keys: StoreKeys | None = None,
) -> Bundle:
    """Add a bundle to the catalog; the manifest is signed here with the store's key.

    ``file_indices`` gives each manifest file's index in the torrent (default: the manifest's order).
    ``cover_path`` is relative to ``config.data_dir``. Raises ``ConflictError`` if the id is taken.
    """
    if manifest.store_id != config.store_id:
        raise InvalidInputError(f"manifest is for store {manifest.store_id!r}, this is {config.store_id!r}")
    if len(bundle_key) != 32:
        raise InvalidInputError("a bundle key is 32 bytes")
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", manifest.bundle_id):
        raise InvalidInputError("a bundle id is 1-64 letters, digits, '.', '_' or '-'")
    if session.get(Bundle, manifest.bundle_id) is not None:
        raise ConflictError(f"bundle {manifest.bundle_id!r} already exists", code="bundle_exists")
    if manifest.gate.type is GateType.CAMPAIGN and campaign is None:
        raise InvalidInputError("a campaign-gated bundle needs a campaign (deadline and goal)")
    if campaign is not None and campaign.goal_backers is None and campaign.goal_cents is None:
        raise InvalidInputError("a campaign needs a goal in backers or in amount")
    keys = keys or load_store_keys(config)
    signed = sign_manifest(manifest, keys.signing)
    indices = list(file_indices) if file_indices is not None else list(range(len(manifest.files)))
    if len(indices) != len(manifest.files):
        raise InvalidInputError("file_indices must name one torrent index per manifest file")
    created = dt.datetime.fromtimestamp(manifest.created_at, dt.UTC) if manifest.created_at else None
    summary = summary or manifest.description[:200]
    bundle = Bundle(
        id=manifest.bundle_id,
        title=manifest.title,
        creator=manifest.creator,
        creator_account_id=creator_account_id,
        kind=manifest.kind.value,
        summary=summary,
        search_text=search_text(manifest.title, manifest.creator, summary),
        gate_type=manifest.gate.type.value,
        price_cents=manifest.gate.price_cents,
        min_cents=manifest.gate.min_cents,
        sort_price=manifest.gate.price_cents or manifest.gate.min_cents or 0,
        currency=manifest.gate.currency,
        cover_path=cover_path,
        info_hash_v1=manifest.info_hash_v1,
        info_hash_v2=manifest.info_hash_v2,
        total_size=sum(f.size for f in manifest.files),
    )
    bundle.document = BundleDocument(
        description=manifest.description,
        manifest_payload=signed.payload,
        manifest_signature=signed.signature,
        torrent_data=torrent_data,
    )
    if created is not None:
        bundle.created_at = created
    bundle.files = [
        BundleFile(
            index=index,
            path=f.path,
            size=f.size,
            media_type=f.media_type,
            duration_s=f.duration_s,
            bitrate=f.bitrate,
            locked=f.locked,
            release_id=f.release,
        )
        for index, f in zip(indices, manifest.files, strict=True)
    ]
    bundle.releases = [
        Release(release_id=r.id, title=r.title, released_at=dt.datetime.fromtimestamp(r.released_at, dt.UTC))
        for r in manifest.releases
    ]
    session.add(bundle)
    session.add(BundleKey(bundle_id=bundle.id, wrapped_key=keys.wrap(bundle_key)))
    if campaign is not None:
        session.add(
            Campaign(
                id=campaign.campaign_id or bundle.id,
                bundle_id=bundle.id,
                goal_backers=campaign.goal_backers,
                goal_cents=campaign.goal_cents,
                price_cents=manifest.gate.price_cents or 0,
                currency=manifest.gate.currency,
                deadline=campaign.deadline,
            )
        )
    session.flush()
    return bundle
