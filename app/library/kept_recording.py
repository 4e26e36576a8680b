"""A broadcast's recording added over what this fan already played: the files the live viewer kept in the
recording's layout (``app.live.recording``) are moved to where the recording bundle's torrent will find them, so the
engine's check on adding finds their pieces verified and only the rest is downloaded — and the fan seeds at once.

``add_with_kept_files`` verifies the recording bundle's signed manifest and its .torrent like every add
(``BundleAdder``), moves each kept file whose path the signed manifest lists into the torrent's top folder in the
download folder (a locked file — kept as its published ciphertext by a ticket holder — under its locked name) — never
over a file that is there, never outside that folder — and then adds the bundle. A kept file whose bytes differ from the
published ones costs nothing but its download: the check refuses its pieces. Blocking (store, disk, engine): a worker.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.engine import inspect_torrent
from app.library.adder import AddedBundle, BundleAdder, Want
from app.library.backend import StoreBackend
from app.library.locked_files import disk_path


@dataclass(frozen=True, slots=True)
class KeptRecordingAdded:
    added: AddedBundle
    placed: tuple[str, ...]  # manifest paths whose kept file was moved into place
    placed_bytes: int


def _safe_relative(path: str) -> PurePosixPath | None:
    parts = PurePosixPath(path)
    if parts.is_absolute() or any(part in ("", ".", "..") for part in parts.parts):
        return None
    return parts


def add_with_kept_files(
    adder: BundleAdder,
    backend: StoreBackend,
    bundle_id: str,
    kept_dir: Path,
    download_dir: Callable[[], Path],
    *,
    want: Want = Want.FREE,
    recheck: bool = False,
    backed: bool = False,
) -> KeptRecordingAdded:
    """Move the kept recording files into the recording bundle's layout, then add the bundle (checked on add)."""
    detail = backend.bundle(bundle_id)
    manifest = adder.verified_manifest(detail.manifest.payload, detail.manifest.signature)
    meta = inspect_torrent(backend.download_torrent(bundle_id))
    top = download_dir() / meta.name if meta.multi_file else download_dir()
    placed: list[str] = []
    placed_bytes = 0
    for entry in manifest.files:
        relative = _safe_relative(entry.path)
        if relative is None:
            continue
        # A locked file is kept as its published ciphertext; on disk it goes under the locked name, like the adder's.
        source, target = kept_dir / relative, top / disk_path(entry)
        if not source.is_file() or target.exists() or source.stat().st_size > entry.size:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            source.replace(target)
        except OSError:  # another file system: copy, then drop the kept one
            shutil.copyfile(source, target)
            source.unlink()
        placed.append(entry.path)
        placed_bytes += target.stat().st_size
    added = adder.add(bundle_id, want, recheck=recheck, backed=backed)
    return KeptRecordingAdded(added, tuple(placed), placed_bytes)
