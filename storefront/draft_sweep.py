"""Housekeeping for publishing drafts a creator never came back to: a draft still ``uploading`` whose last
activity (its creation, or its last accepted upload chunk) is older than ``StoreConfig.draft_max_age_s`` becomes
``abandoned``; every abandoned draft loses its wrapped bundle key and its torrent (the row keeps only what the
creator's app needs to hear "this draft was cancelled"), and the uploaded files of every draft that is no longer
uploading are removed from ``data_dir/drafts/``. A draft is never in the catalog (only ``finish`` lists a bundle),
so nothing shown changes.

The database decides which drafts are swept (one conditional update), so several store workers sweeping at once
agree; a chunk uploaded at that moment is refused (409 ``draft_closed``) by the upload's own state check, and a
folder one such chunk recreates is removed on the next round. ``now`` is the caller's clock (the server passes the
time; tests pass their own). Blocking; runs on a worker thread of the server's housekeeping task.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

from sqlalchemy import select, update

from storefront.config import StoreConfig
from storefront.db import Database
from storefront.drafts import drafts_root
from storefront.models import DraftState, PublishDraft


@dataclasses.dataclass
class DraftSweep:
    abandoned: list[str]  # drafts this round found stale
    folders_removed: int


def sweep_drafts(config: StoreConfig, db: Database, *, now: dt.datetime) -> DraftSweep:
    cutoff = now - dt.timedelta(seconds=config.draft_max_age_s)
    with db.write() as session:
        stale = list(
            session.scalars(
                select(PublishDraft.id).where(
                    PublishDraft.state == DraftState.UPLOADING, PublishDraft.updated_at < cutoff
                )
            )
        )
        if stale:
            session.execute(
                update(PublishDraft)
                .where(
                    PublishDraft.id.in_(stale),
                    PublishDraft.state == DraftState.UPLOADING,
                    PublishDraft.updated_at < cutoff,
                )
                .values(state=DraftState.ABANDONED)
            )
        session.execute(  # the key and the torrent of every abandoned draft (a creator's DELETE's too)
            update(PublishDraft)
            .where(PublishDraft.state == DraftState.ABANDONED, PublishDraft.wrapped_key != b"")
            .values(wrapped_key=b"", torrent_data=b"")
        )
        uploading = set(session.scalars(select(PublishDraft.id).where(PublishDraft.state == DraftState.UPLOADING)))
        known = set(session.scalars(select(PublishDraft.id)))
    removed = 0
    root = drafts_root(config)
    if root.is_dir():
        for folder in root.iterdir():
            if folder.name in uploading:
                continue
            orphan_young = folder.name not in known and _modified(folder) >= cutoff  # a draft being created
            if folder.is_dir() and not orphan_young:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return DraftSweep(abandoned=stale, folders_removed=removed)


def _modified(folder: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC)
