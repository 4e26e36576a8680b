"""Publishing through the creator API: a draft is created (checked, bundle key wrapped), its content arrives by a
resumable, piece-verified upload, and ``finish`` lists it — only then, only whole.

Why an upload rather than the store fetching from the creator's swarm: the store runs no torrent client (FastAPI
workers, possibly several behind a balancer, and an engine per worker would be a second seeding stack to run),
and a creator behind NAT is often not reachable from the store at all; an HTTPS upload over the creator's own
authenticated session passes any NAT, resumes at the byte the store last acknowledged, and lets the store check
each chunk against the torrent's piece hashes before writing it — a creator cannot upload bytes that do not match.

Content of a draft lives under ``data_dir/drafts/<draft id>/<torrent name>/`` (outside the web seed's folder);
``finish`` moves it into ``content/<bundle id>/`` and registers the bundle in one transaction that also marks the
draft published, so a crash anywhere leaves either no bundle or a whole one (``finish`` again completes it). A
release's new files are moved next to the bundle's existing ones (those never change: every file is
piece-aligned in a hybrid torrent, so the old files' pieces, and every fan's copy of them, stay valid).
Blocking; runs on the API's worker threads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.bundle import Manifest, ManifestFile, Release, sign_manifest
from storefront.catalog import new_bundle_id
from storefront.config import StoreConfig
from storefront.creators import require_creator, require_own_bundle
from storefront.db import Database
from storefront.draft_checks import CheckedDraft, check_draft, check_files
from storefront.draft_finish import finish_new_bundle, finish_release
from storefront.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from storefront.keys import StoreKeys
from storefront.models import BundleDocument, BundleKey, DraftState, PublishDraft, PublishDraftFile, utcnow
from storefront.torrent_layout import read_layout

MAX_CHUNK = 8 * 1024 * 1024


def drafts_root(config: StoreConfig) -> Path:
    return config.data_dir / "drafts"


def draft_file_path(config: StoreConfig, draft: PublishDraft, path: str) -> Path:
    return drafts_root(config) / draft.id / draft.top_name / path


class Drafts:
    def __init__(self, config: StoreConfig, db: Database, keys: StoreKeys) -> None:
        self._config = config
        self._db = db
        self._keys = keys

    # --- creating ------------------------------------------------------------------------------------------
    def create(self, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._db.session() as session:
            require_creator(session, account_id)
        checked = check_draft(body)
        bundle_id = new_bundle_id(checked.title)
        return self._store(account_id, bundle_id, checked, existing=None)

    def create_release(self, account_id: str, bundle_id: str, body: dict[str, Any]) -> dict[str, Any]:
        checked = check_draft(body, release=True)
        with self._db.session() as session:
            require_own_bundle(session, account_id, bundle_id)
            document = session.get_one(BundleDocument, bundle_id)
            current = Manifest.from_dict(json.loads(document.manifest_payload))
        key_row = self._bundle_key(bundle_id)
        if checked.bundle_key != key_row:
            raise InvalidInputError("This is not the bundle's key: encrypt the release with it.", code="invalid_key")
        assert checked.release is not None
        if any(r.id == checked.release[0] for r in current.releases):
            raise ConflictError(f"Release {checked.release[0]!r} is already published.", code="release_exists")
        # A live bundle's first release (its recording) has no folder yet: the release names it.
        if current.files and checked.layout.name != self._top_name(bundle_id):
            raise InvalidInputError("A release keeps the bundle's folder name.", code="files_mismatch")
        old = {f.path: f for f in current.files}
        new_raw = body.get("files") or []
        merged: list[dict[str, Any]] = [asdict(f) for f in current.files]  # the published files, unchanged
        for raw in new_raw:
            if not isinstance(raw, dict) or raw.get("path") in old:
                raise InvalidInputError("A release adds new files; it cannot replace published ones.")
            merged.append({**raw, "release": checked.release[0]})
        if not new_raw:
            raise InvalidInputError("A release adds at least one file.", code="no_files")
        files = check_files(merged, checked.layout, current.gate)
        for f in files:
            was = old.get(f.path)
            if was is not None and (was.size, was.nonce, was.locked) != (f.size, f.nonce, f.locked):
                raise InvalidInputError(f"{f.path} changed; a release cannot change published files.")
        checked = dataclasses.replace(checked, files=files, gate=current.gate)
        return self._store(account_id, bundle_id, checked, existing=current)

    def _top_name(self, bundle_id: str) -> str:
        with self._db.session() as session:
            document = session.get_one(BundleDocument, bundle_id)
            data = document.torrent_data
        if data is None:
            data = self._config.torrent_path(bundle_id).read_bytes()
        return read_layout(data).name

    def _bundle_key(self, bundle_id: str) -> bytes:
        with self._db.session() as session:
            row = session.get(BundleKey, bundle_id)
            if row is None:
                raise NotFoundError("This bundle has no key on the store.", code="bundle_key_missing")
            return self._keys.unwrap(row.wrapped_key)

    def _store(
        self, account_id: str, bundle_id: str, checked: CheckedDraft, *, existing: Manifest | None
    ) -> dict[str, Any]:
        layout = checked.layout
        draft_json = {
            "title": checked.title,
            "kind": checked.kind.value,
            "description": checked.description,
            "summary": checked.summary,
            "gate": {
                "type": checked.gate.type.value,
                "price_cents": checked.gate.price_cents,
                "min_cents": checked.gate.min_cents,
                "currency": checked.gate.currency,
            },
            "files": [asdict(f) for f in checked.files],
            "campaign": asdict(checked.campaign) if checked.campaign else None,
            "release": list(checked.release) if checked.release else None,
            "has_cover": checked.cover is not None,
        }
        old_paths = {f.path for f in existing.files} if existing else set()
        with self._db.write() as session:
            draft = PublishDraft(
                account_id=account_id,
                bundle_id=bundle_id,
                is_release=existing is not None,
                draft_json=json.dumps(draft_json),
                torrent_data=checked.torrent,
                wrapped_key=self._keys.wrap(checked.bundle_key),
                top_name=layout.name,
                piece_size=layout.piece_size,
            )
            session.add(draft)
            session.flush()
            for entry in layout.files:
                session.add(
                    PublishDraftFile(
                        draft_id=draft.id,
                        position=entry.position,
                        torrent_index=entry.torrent_index,
                        path=entry.path,
                        size=entry.size,
                        first_piece=entry.first_piece,
                        pad_after=entry.pad_after,
                        received=entry.size if entry.path in old_paths else 0,  # already on the store
                    )
                )
            draft_id = draft.id
        folder = drafts_root(self._config) / draft_id
        folder.mkdir(parents=True, exist_ok=True)
        if checked.cover is not None:
            (folder / "cover.png").write_bytes(checked.cover)
        return self.status(account_id, draft_id)

    # --- reading -------------------------------------------------------------------------------------------
    def _own(self, session: Session, account_id: str, draft_id: str) -> PublishDraft:
        require_creator(session, account_id)
        draft = session.get(PublishDraft, draft_id)
        if draft is None:
            raise NotFoundError("There is no such publishing draft.", code="unknown_draft")
        if draft.account_id != account_id:
            raise ForbiddenError("This draft belongs to another creator.", code="not_your_bundle")
        return draft

    def status(self, account_id: str, draft_id: str) -> dict[str, Any]:
        with self._db.session() as session:
            draft = self._own(session, account_id, draft_id)
            files = list(
                session.scalars(
                    select(PublishDraftFile)
                    .where(PublishDraftFile.draft_id == draft_id)
                    .order_by(PublishDraftFile.position)
                )
            )
            return {
                "draft_id": draft.id,
                "bundle_id": draft.bundle_id,
                "state": draft.state,
                "piece_size": draft.piece_size,
                "max_chunk": MAX_CHUNK,
                "files": [{"index": f.position, "path": f.path, "size": f.size, "received": f.received} for f in files],
                "missing_bytes": sum(f.size - f.received for f in files),
            }

    # --- uploading -----------------------------------------------------------------------------------------
    def upload(self, account_id: str, draft_id: str, position: int, offset: int, data: bytes) -> dict[str, Any]:
        """Write piece-verified bytes at ``offset`` of file ``position``; returns the bytes held of that file."""
        if len(data) > MAX_CHUNK:
            raise InvalidInputError(f"Send at most {MAX_CHUNK // (1024 * 1024)} MB per request.", code="too_large")
        with self._db.session() as session:
            draft = self._own(session, account_id, draft_id)
            if draft.state != DraftState.UPLOADING:
                raise ConflictError(f"This draft is {draft.state}; it takes no more content.", code="draft_closed")
            row = session.scalar(
                select(PublishDraftFile).where(
                    PublishDraftFile.draft_id == draft_id, PublishDraftFile.position == position
                )
            )
            if row is None:
                raise NotFoundError(f"This draft has no file number {position}.", code="unknown_file")
            torrent = draft.torrent_data
            target = draft_file_path(self._config, draft, row.path)
            received = row.received
        if offset > received:
            raise ConflictError(
                f"The store holds {received} bytes of this file; continue from there.", code="upload_gap"
            )
        layout = read_layout(torrent)
        entry = layout.file(position)
        layout.check_chunk(entry, offset, data)
        if offset + len(data) > received:  # a chunk the store already holds is verified and acknowledged
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.pwrite(fd, data, offset)
                os.fsync(fd)
            finally:
                os.close(fd)
            with self._db.write() as session:
                row = session.get_one(PublishDraftFile, row.id)
                row.received = max(row.received, offset + len(data))
                received = row.received
                session.get_one(PublishDraft, draft_id).updated_at = utcnow()  # active: not swept (draft_sweep)
        return {"index": position, "received": received, "size": entry.size}

    # --- finishing -----------------------------------------------------------------------------------------
    def finish(self, account_id: str, draft_id: str) -> dict[str, Any]:
        with self._db.session() as session:
            draft = self._own(session, account_id, draft_id)
            if draft.state == DraftState.ABANDONED:
                raise ConflictError("This draft was cancelled.", code="draft_closed")
            if draft.state == DraftState.PUBLISHED:
                return {"bundle_id": draft.bundle_id, "state": "published"}
            missing = session.scalar(
                select(PublishDraftFile.path).where(
                    PublishDraftFile.draft_id == draft_id, PublishDraftFile.received < PublishDraftFile.size
                )
            )
            if missing is not None:
                raise ConflictError(f"{missing} has not been uploaded completely yet.", code="upload_incomplete")
            is_release = draft.is_release
        if is_release:
            finish_release(self._config, self._db, self._keys, draft_id)
        else:
            finish_new_bundle(self._config, self._db, self._keys, draft_id)
        return {"bundle_id": draft.bundle_id, "state": "published"}

    def abandon(self, account_id: str, draft_id: str) -> None:
        with self._db.write() as session:
            draft = self._own(session, account_id, draft_id)
            if draft.state == DraftState.PUBLISHED:
                raise ConflictError("This draft is already published.", code="draft_closed")
            draft.state = DraftState.ABANDONED
        shutil.rmtree(drafts_root(self._config) / draft_id, ignore_errors=True)


def release_of(draft: dict[str, Any], now: dt.datetime) -> Release | None:
    raw = draft.get("release")
    return Release(id=raw[0], title=raw[1], released_at=int(now.timestamp())) if raw else None


def manifest_files(draft: dict[str, Any]) -> tuple[ManifestFile, ...]:
    return tuple(ManifestFile(**f) for f in draft["files"])


__all__ = ["Drafts", "draft_file_path", "drafts_root", "manifest_files", "release_of", "sign_manifest"]
