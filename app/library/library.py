"""``Library``: the fan's bundle use cases on one object — the shelf, what to play, adding, export.

The UI calls every verb from a worker (they block: keyring, store HTTP, disk, the engine's file list).
*Play* is a query: the library index already holds the bundle's torrent id and signed manifest, so
``what_to_play`` verifies the manifest against the pinned store key, picks the license (``app.library.licenses``,
the same choice export makes) and maps the media files to the engine's file indices; only a bundle that was never
added on this computer is added first. Worker threads only.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from app.bundle import BundleError, License, Manifest
from app.engine.types import FileEntry, TorrentId
from app.library.adder import AddedBundle, BundleAdder, BundleEngine, Want
from app.library.backend import StoreBackend
from app.library.campaign_progress import with_campaign_progress
from app.library.errors import BundleCheckError, NotInLibraryError
from app.library.export import export_bundle
from app.library.index import LibraryIndex, LibraryRecord
from app.library.kept_recording import add_with_kept_files
from app.library.licenses import license_for_player, rank_licenses
from app.library.playlist import PlayPlan, offer_for, plan_items
from app.library.shelf import ShelfBundle, shelf_bundle
from app.player.resume import ResumePositions, WatchState
from app.store.errors import StoreError


class LibraryEngine(BundleEngine, Protocol):
    def files(self, torrent_id: TorrentId) -> list[FileEntry]: ...


class Library:
    def __init__(
        self,
        backend: StoreBackend,
        engine: LibraryEngine,
        index: LibraryIndex,
        download_dir: Callable[[], Path],
        watch: ResumePositions,
        *,
        kept_live_root: Path | None = None,  # what the Live tab kept of each live bundle (app.library.kept_recording)
    ) -> None:
        self._backend = backend
        self._download_dir = download_dir
        self._kept_live_root = kept_live_root
        self._engine = engine
        self.index = index
        self.watch = watch
        self.adder = BundleAdder(backend, engine, index, download_dir)

    # --- adding ----------------------------------------------------------------------------------------------
    def add(self, bundle_id: str, want: Want | None = None, *, recheck: bool = False,
            backed: bool = False) -> AddedBundle:
        """Add a bundle with what the fan may have (``want`` None: everything when owned, else the free files)."""
        if want is None:
            want = Want.ALL if self._backend.licenses_for_bundle(bundle_id) else Want.FREE
        kept = self._kept_live_root / bundle_id if self._kept_live_root is not None else None
        if kept is not None and kept.is_dir():  # a live bundle's recording, mostly played here already
            added = add_with_kept_files(self.adder, self._backend, bundle_id, kept, self._download_dir, want=want,
                                        recheck=recheck, backed=backed).added  # fmt: skip
            shutil.rmtree(kept, ignore_errors=True)  # what was not placed is not the recording's
            return added
        return self.adder.add(bundle_id, want, recheck=recheck, backed=backed)

    def follow_release(self, bundle_id: str) -> TorrentId:
        """The bundle grew (a new release): add the store's grown torrent where the fan's copy is — the files there
        are kept (libtorrent checks them), the new release's fetched as the fan may have them (everything when
        licensed, else the free files) — then point the Library's record at it (torrent id and signed manifest, by
        ``BundleAdder.add``) and drop the old torrent from the engine, keeping its files (the grown one holds them)."""
        old = self.index.get(bundle_id)
        if old is None:
            return self.add(bundle_id).torrent_id
        want = Want.ALL if self._backend.licenses_for_bundle(bundle_id) else Want.FREE
        added = self.adder.add(bundle_id, want, backed=old.backed, save_path=Path(old.save_path))
        if added.torrent_id != old.torrent_id and self._engine.has_torrent(old.torrent_id):
            self._engine.remove(old.torrent_id)
        return added.torrent_id

    def verified_manifest(self, record: LibraryRecord) -> Manifest:
        """The record's manifest, checked against the pinned store key (a ``BundleCheckError`` if it fails)."""
        return self.adder.verified_manifest(record.manifest_payload, record.manifest_signature)

    # --- playing ---------------------------------------------------------------------------------------------
    def what_to_play(self, bundle_id: str, *, pilot_only: bool = False, start_path: str | None = None) -> PlayPlan:
        """The items to play (everything this fan may play, or the pilot alone), starting at ``start_path``."""
        added = False
        record = self.index.get(bundle_id)
        if record is None or not self._engine.has_torrent(record.torrent_id):
            self.add(bundle_id, Want.PILOT if pilot_only else None)
            record, added = self.index.get(bundle_id), True
            if record is None:
                raise NotInLibraryError("This bundle is not in your library yet.")
        manifest = self.verified_manifest(record)
        license = license_for_player(manifest, self._backend.licenses_for_bundle(bundle_id))
        files = [(entry.index, entry.path) for entry in self._engine.files(record.torrent_id)]
        items = tuple(plan_items(manifest, record.torrent_id, files, license, pilot_only=pilot_only))
        start = next((i for i, item in enumerate(items) if item.file.path == start_path), 0)
        offer = None if license else offer_for(manifest)
        if offer is not None:
            offer = with_campaign_progress(offer, self._backend)  # the pledge offer shows the campaign's progress
        return PlayPlan(items, license, offer, start, added)

    # --- the shelf -------------------------------------------------------------------------------------------
    def shelf(self, *, sync: bool = True) -> list[ShelfBundle]:
        """Every bundle the fan owns, watched or backed, by title (``sync``: ask the store for new licenses and
        for the account's pledges first — a campaign backed on another computer or on the web is on the shelf)."""
        if sync:
            self._backend.sync_licenses()
        pledged = self._backend.backed_bundles(sync=sync)
        by_bundle: dict[str, list[License]] = {}
        for lic in self._backend.licenses():
            by_bundle.setdefault(lic.bundle_id, []).append(lic)
        records = {r.bundle_id: r for r in self.index.all()}
        watch = self.watch.snapshot()
        shelf = []
        for bundle_id in by_bundle.keys() | records.keys() | pledged:
            record, licenses = records.get(bundle_id), by_bundle.get(bundle_id, [])
            manifest = self._manifest_or_none(record)
            backed = bundle_id in pledged
            if record is not None and manifest is not None:
                shelf.append(shelf_bundle(bundle_id, record, manifest, license_for_player(manifest, licenses), watch,
                                          title=record.title, cover_url=record.cover_url, owned=bool(licenses),
                                          backed=backed))
            else:
                shelf.append(self._from_store(bundle_id, licenses, watch, backed=backed))
        return sorted(shelf, key=lambda b: b.title.casefold())

    def _manifest_or_none(self, record: LibraryRecord | None) -> Manifest | None:
        if record is None:
            return None
        try:
            return self.verified_manifest(record)
        except BundleCheckError:
            return None

    def _from_store(self, bundle_id: str, licenses: list[License], watch: WatchState, *,
                    backed: bool) -> ShelfBundle:
        """A licensed or backed bundle never added here: its title and files from the store (the id offline)."""
        try:
            detail = self._backend.bundle(bundle_id)
            manifest = self.adder.verified_manifest(detail.manifest.payload, detail.manifest.signature)
        except (StoreError, BundleError):  # offline or a broken answer: the id still names the bundle
            return shelf_bundle(bundle_id, None, None, None, watch, title=bundle_id, owned=bool(licenses),
                                backed=backed)
        return shelf_bundle(bundle_id, None, manifest, license_for_player(manifest, licenses), watch,
                            title=detail.title, creator=detail.creator, kind=detail.kind,
                            cover_url=detail.cover_url or "", owned=bool(licenses), backed=backed)

    # --- export ----------------------------------------------------------------------------------------------
    def export(self, bundle_id: str, target: Path, progress: Callable[[int, int], None] | None = None) -> list[Path]:
        record = self.index.get(bundle_id)
        if record is None:
            raise NotInLibraryError("Download this bundle first, then export it.")
        manifest = self.verified_manifest(record)
        licenses: Sequence[License] = rank_licenses(manifest, self._backend.licenses_for_bundle(bundle_id))
        return export_bundle(manifest, list(licenses), record.content_root, target, progress)
