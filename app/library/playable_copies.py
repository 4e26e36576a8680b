"""Playable copies: an owner's decrypted copies of a bundle's music, videos and books in their own folders.

It is the owner's copy (a paygate, not DRM): when they ask for it — for one bundle or for every bundle they
own — each media file they may open is written, decrypted, to ``<Music|Videos|Books>/<bundle title>/<name>``
once it is fully downloaded, and kept in step as releases arrive (``sync`` writes what is missing). Each copy is
written to a temporary file beside it, fsynced, renamed into place and its folder fsynced: a copy cut short
(the app killed, the disk full) never sits under a playable name. Turning the choice off removes the copies.

The choices live in ``playable-copies.json`` (written the same atomic way). Blocking file work: worker threads.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.bundle import ContentCipher, License, Manifest, ManifestFile
from app.library.fan_folders import FanFolders
from app.library.locked_files import source_on_disk

log = logging.getLogger(__name__)

BLOCK = 1024 * 1024  # AES-CTR is fastest in blocks of 64 KiB and more (FIELD-NOTES)


class PlayableCopyError(Exception):
    """A playable copy could not be written; the message is a sentence for the fan."""


@dataclass(frozen=True, slots=True)
class BundleOnDisk:
    """What ``sync`` needs of one bundle: its verified manifest, where its files are, which are complete."""

    manifest: Manifest
    content_root: Path
    complete_paths: frozenset[str]  # manifest paths whose every byte is downloaded and verified
    licenses: tuple[License, ...]


def _safe_name(text: str) -> str:
    cleaned = "".join("-" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in text).strip(" .")
    return cleaned or "Bundle"


def copy_target(folders: FanFolders, manifest: Manifest, entry: ManifestFile) -> Path | None:
    """Where the playable copy of ``entry`` goes; None for files that are neither music, video nor a book."""
    folder = folders.folder_for(entry.media_type)
    if folder is None:
        return None
    name = PurePosixPath(entry.path).name
    return folder / _safe_name(manifest.title) / _safe_name(name)


def _key_for(entry: ManifestFile, licenses: Iterable[License]) -> bytes | None:
    return next((key for lic in licenses if (key := lic.file_key(entry.path)) is not None), None)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_copy(source: Path, target: Path, size: int, cipher: ContentCipher | None) -> None:
    """Write ``size`` bytes of ``source`` (decrypted when ``cipher``) to ``target``: temp, fsync, rename, fsync."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".bundlecast-", suffix=".partial", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as writer, source.open("rb") as reader:
            offset = 0
            while offset < size:
                block = reader.read(min(BLOCK, size - offset))
                if not block:
                    raise PlayableCopyError(f"“{source.name}” is shorter on disk than the bundle says; recheck it.")
                writer.write(cipher.decrypt_at(offset, block) if cipher else block)
                offset += len(block)
            writer.flush()
            os.fsync(writer.fileno())
        temp.chmod(0o644)
        temp.replace(target)
        _fsync_folder(target.parent)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        log.warning("playable copy of %s to %s failed: %s", source, target, exc)
        reason = exc.strerror or str(exc)
        raise PlayableCopyError(f"Could not write a playable copy to “{target.parent}”: {reason}.") from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def sync_copies(bundle: BundleOnDisk, folders: FanFolders) -> list[Path]:
    """Write the playable copies of ``bundle`` that are missing (complete files this owner may open); returns
    the copies written. A copy already there with the right size is left alone."""
    written: list[Path] = []
    for entry in bundle.manifest.files:
        target = copy_target(folders, bundle.manifest, entry)
        if target is None or entry.path not in bundle.complete_paths:
            continue
        if target.exists() and target.stat().st_size == entry.size:
            continue
        cipher = None
        if entry.locked:
            key = _key_for(entry, bundle.licenses)
            if key is None or not entry.nonce:
                continue  # not this owner's file (yet): a later release their license does not cover
            cipher = ContentCipher(key, entry.nonce_bytes)
        write_copy(source_on_disk(bundle.content_root, entry), target, entry.size, cipher)
        written.append(target)
    return written


def remove_copies(manifest: Manifest, folders: FanFolders) -> list[Path]:
    """Delete the playable copies of a bundle (and its folders once empty); returns the files removed."""
    removed: list[Path] = []
    for entry in manifest.files:
        target = copy_target(folders, manifest, entry)
        if target is not None and target.is_file():
            target.unlink()
            removed.append(target)
    for folder in {path.parent for path in removed}:
        with contextlib.suppress(OSError):  # the owner put something of their own there
            folder.rmdir()
    return removed


class CopyChoices:
    """Whether the owner wants playable copies: for every bundle they own, or per bundle (which wins).

    Thread-safe; each change is written at once (temp file, fsync, rename, fsync folder).
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._all = False
        self._remove_with_bundle = False
        self._bundles: dict[str, bool] = {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            self._all = bool(raw.get("all", False))
            self._remove_with_bundle = bool(raw.get("remove_with_bundle", False))
            self._bundles = {str(k): bool(v) for k, v in dict(raw.get("bundles", {})).items()}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            log.warning("playable-copy choices in %s unreadable (%s); starting with none", path, exc)

    def wants(self, bundle_id: str) -> bool:
        with self._lock:
            return self._bundles.get(bundle_id, self._all)

    @property
    def for_all(self) -> bool:
        with self._lock:
            return self._all

    @property
    def remove_with_bundle(self) -> bool:
        """Whether removing a bundle from Bundlecast removes its playable copies too (they stay by default)."""
        with self._lock:
            return self._remove_with_bundle

    def set_remove_with_bundle(self, on: bool) -> None:
        with self._lock:
            self._remove_with_bundle = on
            self._save()

    def set_for_all(self, on: bool) -> None:
        """Every owned bundle (a bundle's own choice, when made, still wins)."""
        with self._lock:
            self._all = on
            self._save()

    def set_for_bundle(self, bundle_id: str, on: bool | None) -> None:
        """One bundle's choice; None follows the choice for all."""
        with self._lock:
            if on is None:
                self._bundles.pop(bundle_id, None)
            else:
                self._bundles[bundle_id] = on
            self._save()

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".playable-copies-", suffix=".tmp", dir=self._path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"version": 1, "all": self._all, "remove_with_bundle": self._remove_with_bundle,
                           "bundles": self._bundles}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temp).replace(self._path)
            _fsync_folder(self._path.parent)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


class PlayableCopies:
    """The use case: follow the owner's choices for the bundles in the library.

    ``bundle_on_disk(bundle_id)`` gives what is needed of one bundle (None when it is not in the library);
    the caller builds it from the library index, the engine's file list and the license vault.
    """

    def __init__(
        self, choices: CopyChoices, folders: FanFolders, bundle_on_disk: Callable[[str], BundleOnDisk | None]
    ) -> None:
        self.choices = choices
        self.folders = folders
        self._bundle_on_disk = bundle_on_disk
        self._lock = threading.Lock()  # one sync at a time: two workers never write the same copy

    def sync(self, bundle_id: str) -> list[Path]:
        """Bring one bundle's copies in step with the choice: write the missing ones, or remove them all."""
        with self._lock:
            bundle = self._bundle_on_disk(bundle_id)
            if bundle is None or not bundle.licenses:
                return []  # only owners get copies (a free bundle's claim is a license too)
            if not self.choices.wants(bundle_id):
                remove_copies(bundle.manifest, self.folders)
                return []
            return sync_copies(bundle, self.folders)

    def sync_all(self, bundle_ids: Iterable[str]) -> list[Path]:
        written: list[Path] = []
        for bundle_id in bundle_ids:
            written += self.sync(bundle_id)
        return written

    def set_choice(self, bundle_id: str | None, on: bool) -> None:
        """The owner's choice for one bundle, or for all (``bundle_id`` None); call ``sync`` after it."""
        if bundle_id is None:
            self.choices.set_for_all(on)
        else:
            self.choices.set_for_bundle(bundle_id, on)

    def copy_of(self, bundle_id: str, entry_path: str) -> Path | None:
        """The playable copy of one file (writing it now if the owner has none): what a book opens with."""
        with self._lock:
            bundle = self._bundle_on_disk(bundle_id)
            if bundle is None:
                return None
            entry = next((f for f in bundle.manifest.files if f.path == entry_path), None)
            target = copy_target(self.folders, bundle.manifest, entry) if entry is not None else None
            if entry is None or target is None:
                return None
            if not (target.exists() and target.stat().st_size == entry.size):
                if entry.path not in bundle.complete_paths:
                    raise PlayableCopyError(f"“{PurePosixPath(entry.path).name}” is still downloading.")
                cipher = None
                if entry.locked:
                    key = _key_for(entry, bundle.licenses)
                    if key is None or not entry.nonce:
                        raise PlayableCopyError("Your license does not open this file.")
                    cipher = ContentCipher(key, entry.nonce_bytes)
                write_copy(source_on_disk(bundle.content_root, entry), target, entry.size, cipher)
            return target

    def remove_with_bundle(self, manifest: Manifest) -> list[Path]:
        """The owner removed the bundle and asked for its copies to go too."""
        with self._lock:
            return remove_copies(manifest, self.folders)
