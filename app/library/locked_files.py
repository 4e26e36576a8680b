"""Where a bundle's locked (encrypted) files live on disk: under a name no media player or reader opens.

A bought ``01 - Track.mp3`` travels the swarm encrypted; kept on disk under its own name it would open as
garbage. The engine stores it as ``01 - Track.mp3.bundlecast-locked`` instead (the torrent is unchanged: the
name is only the file's name on disk). Only the app reads it — the player decrypts on the fly, playable copies
and exports decrypt into a folder the owner chose. Free files keep their names: they are playable as they are.

Pure functions; any thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.bundle import Manifest, ManifestFile

LOCKED_SUFFIX = ".bundlecast-locked"


def locked_disk_name(path: str) -> str:
    """The on-disk name of a locked file whose bundle path is ``path``."""
    return path + LOCKED_SUFFIX


def disk_path(entry: ManifestFile) -> str:
    """A manifest file's path on disk, relative to the bundle's top folder."""
    return locked_disk_name(entry.path) if entry.locked else entry.path


def locked_file_names(manifest: Manifest, torrent_paths: Sequence[str], top_folder: str) -> dict[int, str]:
    """Engine ``file_names`` for a bundle torrent: torrent file index → on-disk path relative to the save path,
    for every locked file. ``torrent_paths`` are relative to ``top_folder``, in torrent order (pads included)."""
    locked = {entry.path for entry in manifest.files if entry.locked}
    prefix = f"{top_folder}/" if top_folder else ""
    return {index: prefix + locked_disk_name(path) for index, path in enumerate(torrent_paths) if path in locked}


def source_on_disk(content_root: Path, entry: ManifestFile) -> Path:
    """The file that holds ``entry``'s bytes: its locked name, or its own name for a bundle added before locked
    files were renamed (the adder renames those the next time it sees the bundle)."""
    renamed = content_root / disk_path(entry)
    if entry.locked and not renamed.exists() and (content_root / entry.path).exists():
        return content_root / entry.path
    return renamed
