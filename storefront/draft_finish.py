"""The last step of publishing: a whole, verified draft becomes a listed bundle (or a release of one).

New bundle: the draft's folder is renamed to ``content/<bundle id>`` (same file system: atomic), the .torrent and
cover are written, then ONE transaction registers the bundle (signed manifest, wrapped key, campaign and tiers)
and marks the draft published. If the transaction fails the folder is renamed back; if the process dies between
the rename and the commit, the next ``finish`` finds the folder already in place and commits. Release: the new
files move next to the published ones, then one transaction signs the grown manifest, swaps the bundle's files,
torrent and info-hashes and adds the release. Blocking; runs on the API's worker threads.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

from sqlalchemy import delete

from app.bundle import BundleKind, Gate, GateType, Manifest, ManifestFile, Release, sign_manifest
from storefront.catalog import CampaignSpec, register_bundle
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.keys import StoreKeys
from storefront.models import (
    Bundle,
    BundleDocument,
    BundleFile,
    CampaignTier,
    CreatorProfile,
    DraftState,
    PublishDraft,
    PublishDraftFile,
)
from storefront.models import Release as ReleaseRow
from storefront.torrent_layout import TorrentLayout, read_layout


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def _draft_dir(config: StoreConfig, draft_id: str) -> Path:
    return config.data_dir / "drafts" / draft_id


def _gate(raw: dict[str, object]) -> Gate:
    return Gate(
        GateType(str(raw["type"])),
        price_cents=raw.get("price_cents"),  # type: ignore[arg-type]
        min_cents=raw.get("min_cents"),  # type: ignore[arg-type]
        currency=str(raw.get("currency") or "USD"),
    )


def _move_into_place(source: Path, top: str, final_dir: Path, layout: TorrentLayout) -> Path:
    """drafts/<id>/<top> -> content/<bundle id>/<top>; returns the staging folder a rollback moves it back to."""
    wrap = source / ".wrap"  # drafts/<id>/.wrap/<top> -> content/<bundle id>/<top>: two renames, both resumable
    if final_dir.exists():
        return wrap  # moved by a finish that died before its commit
    if not (wrap / top).exists():
        (source / top).mkdir(parents=True, exist_ok=True)  # a bundle of empty files has nothing uploaded
        for entry in layout.files:  # zero-byte files never received a chunk
            path = source / top / entry.path
            if entry.size == 0 and not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
        wrap.mkdir(exist_ok=True)
        (source / top).rename(wrap / top)
    wrap.rename(final_dir)
    return wrap


def _published(db: Database, draft_id: str) -> bool:
    with db.session() as session:
        return session.get_one(PublishDraft, draft_id).state == DraftState.PUBLISHED


def finish_new_bundle(config: StoreConfig, db: Database, keys: StoreKeys, draft_id: str) -> None:
    with db.session() as session:
        draft = session.get_one(PublishDraft, draft_id)
        creator = session.get_one(CreatorProfile, draft.account_id).display_name
        data = json.loads(draft.draft_json)
        bundle_id, torrent, top = draft.bundle_id, draft.torrent_data, draft.top_name
        bundle_key = keys.unwrap(draft.wrapped_key)
        account_id = draft.account_id
    layout = read_layout(torrent)
    source = _draft_dir(config, draft_id)
    final_dir = config.content_dir(bundle_id)
    config.ensure_dirs()
    cover_rel = f"covers/{bundle_id}.png" if data["has_cover"] else None
    if cover_rel and (source / "cover.png").is_file():
        _write_atomically(config.data_dir / cover_rel, (source / "cover.png").read_bytes())
    wrap = _move_into_place(source, top, final_dir, layout)
    _write_atomically(config.torrent_path(bundle_id), torrent)
    files = tuple(ManifestFile(**f) for f in data["files"])
    campaign_raw = data.get("campaign")
    now = dt.datetime.now(dt.UTC)
    manifest = Manifest(
        bundle_id=bundle_id,
        store_id=config.store_id,
        title=data["title"],
        creator=creator,
        kind=BundleKind(data["kind"]),
        description=data["description"],
        gate=_gate(data["gate"]),
        files=files,
        info_hash_v1=layout.info_hash_v1,
        info_hash_v2=layout.info_hash_v2,
        cover=f"/api/v1/bundles/{bundle_id}/cover" if cover_rel else None,
        releases=(),
        created_at=int(now.timestamp()),
    )
    campaign = None
    if campaign_raw:
        campaign = CampaignSpec(
            deadline=now + dt.timedelta(days=float(campaign_raw["deadline_days"])),
            goal_backers=campaign_raw["goal_backers"],
            goal_cents=campaign_raw["goal_cents"],
        )
    try:
        with db.write() as session:
            # Row lock (PostgreSQL) / write lock (SQLite): two finishes at once commit once, the other sees it.
            row = session.get_one(PublishDraft, draft_id, with_for_update=True)
            if row.state == DraftState.PUBLISHED:
                return  # another finish committed first
            register_bundle(
                session,
                config,
                manifest,
                bundle_key=bundle_key,
                torrent_data=torrent,
                summary=data["summary"],
                cover_path=cover_rel,
                creator_account_id=account_id,
                file_indices=[e.torrent_index for e in layout.files],
                campaign=campaign,
                keys=keys,
            )
            for position, tier in enumerate((campaign_raw or {}).get("tiers") or []):
                session.add(
                    CampaignTier(
                        campaign_id=bundle_id,
                        tier_id=tier["tier_id"],
                        title=tier["title"],
                        description=tier["description"],
                        price_cents=tier["price_cents"],
                        position=position,
                    )
                )
            row.state = DraftState.PUBLISHED
    except BaseException:
        if _published(db, draft_id):
            raise  # another finish listed it meanwhile: its files stay where they are
        if final_dir.exists():
            final_dir.rename(wrap)
            (wrap / top).rename(source / top)
        config.torrent_path(bundle_id).unlink(missing_ok=True)
        if cover_rel:
            (config.data_dir / cover_rel).unlink(missing_ok=True)
        raise
    shutil.rmtree(source, ignore_errors=True)


def finish_release(config: StoreConfig, db: Database, keys: StoreKeys, draft_id: str) -> None:
    with db.session() as session:
        draft = session.get_one(PublishDraft, draft_id)
        data = json.loads(draft.draft_json)
        bundle_id, torrent, top = draft.bundle_id, draft.torrent_data, draft.top_name
        document = session.get_one(BundleDocument, bundle_id)
        current = Manifest.from_dict(json.loads(document.manifest_payload))
        new_rows = [
            (f.path, f.size)
            for f in session.query(PublishDraftFile).filter(PublishDraftFile.draft_id == draft_id)
            if f.path not in {m.path for m in current.files}
        ]
    layout = read_layout(torrent)
    source = _draft_dir(config, draft_id) / top
    target_top = config.content_dir(bundle_id) / top
    moved: list[Path] = []
    for path, size in new_rows:
        target = target_top / path
        if target.is_file() and target.stat().st_size == size and not (source / path).exists():
            continue  # moved by a finish that died before its commit
        target.parent.mkdir(parents=True, exist_ok=True)
        if size == 0 and not (source / path).exists():
            target.touch()
        else:
            (source / path).rename(target)
        moved.append(target)
    raw_release = data["release"]
    now = dt.datetime.now(dt.UTC)
    files = tuple(ManifestFile(**f) for f in data["files"])
    release = Release(id=raw_release[0], title=raw_release[1], released_at=int(now.timestamp()))
    manifest = Manifest(
        bundle_id=current.bundle_id,
        store_id=current.store_id,
        title=current.title,
        creator=current.creator,
        kind=current.kind,
        description=current.description,
        gate=current.gate,
        files=files,
        info_hash_v1=layout.info_hash_v1,
        info_hash_v2=layout.info_hash_v2,
        cover=current.cover,
        releases=(*current.releases, release),
        created_at=current.created_at,
        live=current.live,  # a live bundle keeps its stream when its recording is released
    )
    signed = sign_manifest(manifest, keys.signing)
    try:
        with db.write() as session:
            row = session.get_one(PublishDraft, draft_id, with_for_update=True)
            if row.state == DraftState.PUBLISHED:
                return
            bundle = session.get_one(Bundle, bundle_id)
            bundle.info_hash_v1 = layout.info_hash_v1
            bundle.info_hash_v2 = layout.info_hash_v2
            bundle.total_size = sum(f.size for f in files)
            doc = session.get_one(BundleDocument, bundle_id)
            doc.manifest_payload = signed.payload
            doc.manifest_signature = signed.signature
            doc.torrent_data = torrent
            session.execute(delete(BundleFile).where(BundleFile.bundle_id == bundle_id))
            session.flush()
            for entry, f in zip(layout.files, files, strict=True):
                session.add(
                    BundleFile(
                        bundle_id=bundle_id,
                        index=entry.torrent_index,
                        path=f.path,
                        size=f.size,
                        media_type=f.media_type,
                        duration_s=f.duration_s,
                        bitrate=f.bitrate,
                        locked=f.locked,
                        release_id=f.release,
                    )
                )
            session.add(ReleaseRow(bundle_id=bundle_id, release_id=release.id, title=release.title, released_at=now))
            row.state = DraftState.PUBLISHED
    except BaseException:
        if not _published(db, draft_id):
            for target in moved:
                target.unlink(missing_ok=True)
        raise
    _write_atomically(config.torrent_path(bundle_id), torrent)
    shutil.rmtree(_draft_dir(config, draft_id), ignore_errors=True)
