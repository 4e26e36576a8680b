"""Adds a store bundle to the engine: fetch its .torrent, check it against the signed manifest, pick its files.

``BundleAdder.add(bundle_id, want)`` runs on a worker: it fetches the bundle's detail and .torrent, verifies
the manifest's signature with the store's pinned key, refuses a .torrent whose info-hash is not the one the
manifest pins, and adds it to the engine into the download folder with file priorities — only the free
pilot for *Watch pilot*, the free files for someone who does not own the bundle, everything for an owner.
Adding a bundle that is already in the engine widens its priorities (never narrows them). The result is
recorded in the ``LibraryIndex``. The .torrent is read by the engine's ``inspect_torrent``.

Blocking; worker threads only.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from app.bundle import BundleError, Manifest, SignedManifest, verify_manifest
from app.engine import InvalidTorrentError, inspect_torrent
from app.engine.types import FileEntry, TorrentId
from app.library.backend import StoreBackend
from app.library.companion_files import subtitles_for
from app.library.errors import BundleCheckError
from app.library.index import LibraryIndex, LibraryRecord
from app.library.locked_files import locked_file_names

NORMAL, SKIP = 4, 0


class Want(enum.Enum):
    PILOT = "pilot"  # the first free video only
    FREE = "free"  # every free file
    ALL = "all"  # everything (owners)


class BundleEngine(Protocol):
    def add_torrent_bytes(
        self, data: bytes, save_path: Path, *, paused: bool = False, file_priorities: Sequence[int] | None = None,
        file_names: Mapping[int, str] | None = None,
    ) -> TorrentId: ...
    def rename_files(self, torrent_id: TorrentId, names: Mapping[int, str]) -> None: ...
    def has_torrent(self, torrent_id: TorrentId) -> bool: ...
    def files(self, torrent_id: TorrentId) -> list[FileEntry]: ...
    def set_file_priorities(self, torrent_id: TorrentId, priorities: Sequence[int]) -> None: ...
    def force_recheck(self, torrent_id: TorrentId) -> None: ...
    def remove(self, torrent_id: TorrentId, *, delete_data: bool = False) -> None: ...


@dataclass(frozen=True, slots=True)
class AddedBundle:
    bundle_id: str
    title: str
    torrent_id: TorrentId
    manifest: Manifest
    wanted_paths: tuple[str, ...]


def wanted_paths(manifest: Manifest, want: Want) -> set[str]:
    if want is Want.ALL:
        return {f.path for f in manifest.files}
    free = [f for f in manifest.files if not f.locked]
    if want is Want.PILOT:
        videos = [f for f in free if f.media_type.startswith("video/")]
        if not videos:
            return {f.path for f in free}
        subtitles = subtitles_for(manifest, videos[0], {f.path: 0 for f in free})  # the pilot's own subtitles
        return {videos[0].path, *(subtitle.file.path for subtitle in subtitles)}
    return {f.path for f in free}


def priorities_for(torrent_paths: Sequence[str], wanted: set[str]) -> list[int]:
    """One priority per torrent file; a manifest path matches the torrent path relative to the top folder."""
    return [NORMAL if path in wanted else SKIP for path in torrent_paths]


class BundleAdder:
    def __init__(
        self, backend: StoreBackend, engine: BundleEngine, index: LibraryIndex, download_dir: Callable[[], Path]
    ) -> None:
        self._backend = backend
        self._engine = engine
        self._index = index
        self._download_dir = download_dir

    def verified_manifest(self, payload: str, signature: str) -> Manifest:
        try:
            return verify_manifest(SignedManifest(payload=payload, signature=signature), self._backend.public_key())
        except BundleError as exc:
            raise BundleCheckError(detail=f"manifest: {exc}") from exc

    def add(
        self, bundle_id: str, want: Want, *, recheck: bool = False, backed: bool = False, save_path: Path | None = None
    ) -> AddedBundle:
        detail = self._backend.bundle(bundle_id)
        manifest = self.verified_manifest(detail.manifest.payload, detail.manifest.signature)
        if manifest.bundle_id != bundle_id:
            raise BundleCheckError(detail=f"manifest is for {manifest.bundle_id}, not {bundle_id}")
        torrent = self._backend.download_torrent(bundle_id)
        try:
            meta = inspect_torrent(torrent)
        except InvalidTorrentError as exc:
            raise BundleCheckError(detail=str(exc)) from exc
        pinned_v1, pinned_v2 = manifest.info_hash_v1, manifest.info_hash_v2
        if (pinned_v1 and meta.info_hash_v1 != pinned_v1.lower()) or (
            pinned_v2 and meta.info_hash_v2 is not None and not meta.info_hash_v2.startswith(pinned_v2.lower())
        ) or not (pinned_v1 or pinned_v2):
            raise BundleCheckError(detail=f"info-hash {meta.info_hash_v1} is not the signed one")
        wanted = wanted_paths(manifest, want)
        priorities = priorities_for(meta.file_paths, wanted)
        # A bundle this computer holds grows where its files are (a release: the grown torrent finds them there).
        if save_path is None:
            held = self._index.get(bundle_id)
            on_disk = held is not None and self._engine.has_torrent(held.torrent_id)
            save_path = Path(held.save_path) if held is not None and on_disk else self._download_dir()
        existing = self._engine.has_torrent(meta.id)
        # Locked files live on disk under a name no player opens (app.library.locked_files).
        top_folder = meta.name if meta.multi_file else ""
        names = locked_file_names(manifest, meta.file_paths, top_folder)
        torrent_id = self._engine.add_torrent_bytes(torrent, save_path, file_priorities=priorities, file_names=names)
        if existing:
            self._engine.rename_files(torrent_id, names)  # a bundle added before locked files were renamed
            # By libtorrent's file index: files() leaves out pad files, which every hybrid (store) torrent has.
            current = {entry.index: entry.priority for entry in self._engine.files(torrent_id)}
            merged = [max(current.get(index, SKIP), wanted_now) for index, wanted_now in enumerate(priorities)]
            if any(current.get(index, SKIP) != value for index, value in enumerate(merged)):
                self._engine.set_file_priorities(torrent_id, merged)
            if recheck:
                self._engine.force_recheck(torrent_id)
        self._index.put(
            LibraryRecord(
                bundle_id=bundle_id,
                title=manifest.title,
                kind=str(manifest.kind.value if hasattr(manifest.kind, "value") else manifest.kind),
                torrent_id=torrent_id,
                save_path=str(save_path),
                manifest_payload=detail.manifest.payload,
                manifest_signature=detail.manifest.signature,
                top_folder=top_folder,
                cover_url=detail.cover_url or "",
                backed=backed,
                added_at=time.time(),
            )
        )
        return AddedBundle(bundle_id, manifest.title, torrent_id, manifest, tuple(sorted(wanted)))
