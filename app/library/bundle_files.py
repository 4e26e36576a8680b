"""Reads what playable copies need of one bundle from the library's parts: the index record (where it is, its
signed manifest), the engine's file list (which files are complete) and the fan's licenses.

Qt-free; blocking (the engine's file list, the keyring): worker threads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from app.bundle import License, Manifest
from app.engine.types import FileEntry
from app.library.playable_copies import BundleOnDisk


class IndexedBundle(Protocol):
    @property
    def torrent_id(self) -> str: ...
    @property
    def manifest_payload(self) -> str: ...
    @property
    def manifest_signature(self) -> str: ...
    @property
    def content_root(self) -> Path: ...


class BundleIndex(Protocol):
    def get(self, bundle_id: str) -> IndexedBundle | None: ...


class FileLister(Protocol):
    def has_torrent(self, torrent_id: str) -> bool: ...
    def files(self, torrent_id: str) -> list[FileEntry]: ...


def complete_paths(files: Sequence[FileEntry]) -> frozenset[str]:
    """Manifest paths (relative to the torrent's top folder) of the files that are wholly downloaded."""
    return frozenset(
        entry.path.split("/", 1)[-1] if "/" in entry.path else entry.path
        for entry in files
        if entry.size > 0 and entry.downloaded >= entry.size
    )


def bundle_on_disk_reader(
    index: BundleIndex,
    engine: FileLister,
    verified_manifest: Callable[[str, str], Manifest],
    licenses_for_bundle: Callable[[str], Sequence[License]],
    seen: dict[str, tuple[str, Manifest]] | None = None,
) -> Callable[[str], BundleOnDisk | None]:
    """The ``bundle_on_disk`` function ``PlayableCopies`` asks; None for a bundle that is not downloaded here.
    ``seen`` (torrent id → bundle id, manifest) learns every bundle read: what its copies were, after the bundle
    itself is gone."""

    def read(bundle_id: str) -> BundleOnDisk | None:
        record = index.get(bundle_id)
        if record is None or not engine.has_torrent(record.torrent_id):
            return None
        manifest = verified_manifest(record.manifest_payload, record.manifest_signature)
        if seen is not None:
            seen[record.torrent_id] = (bundle_id, manifest)
        files = engine.files(record.torrent_id)
        return BundleOnDisk(manifest, record.content_root, complete_paths(files),
                            tuple(licenses_for_bundle(bundle_id)))

    return read
