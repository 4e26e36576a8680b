"""On-disk names of a torrent's files that differ from the names inside the torrent.

libtorrent can store a file under another name without changing the torrent (its info-hash, pieces and what
peers see stay the same): ``renamed_files`` in ``add_torrent_params`` names files before anything is written,
``torrent_handle.rename_file`` renames one that is already there (an asynchronous disk job; a file not written
yet only changes its name). Resume data keeps the names, so they survive restarts. Bundles use this to keep
locked (encrypted) files under a name no media player opens.

Pure helpers over libtorrent objects; called on the caller's thread (the renames block briefly).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import PurePosixPath

import libtorrent as lt

from app.engine.errors import EngineError

log = logging.getLogger(__name__)

_RENAME_APPLY_TIMEOUT_S = 5.0  # a rename is a disk job: milliseconds unless the disk thread is busy checking


def checked_file_names(info: lt.torrent_info | None, names: Mapping[int, str]) -> dict[int, str]:
    """``names`` (libtorrent file index → relative path, '/'-separated) checked: known indices, no pad files,
    relative paths that stay inside the save folder."""
    if info is None and names:
        raise EngineError("Files can be named only once the torrent's file list is known.")
    layout = info.layout() if info is not None else None
    checked: dict[int, str] = {}
    for index, name in names.items():
        if layout is None or not 0 <= index < layout.num_files():
            raise EngineError(f"The torrent has no file number {index}.")
        if layout.file_flags(index) & lt.file_storage.flag_pad_file:
            raise EngineError("Padding inside a torrent cannot be given a name.")
        path = PurePosixPath(name)
        if not name or path.is_absolute() or any(part in ("", ".", "..") for part in path.parts) or "\\" in name:
            raise EngineError("A file's new name must stay inside the torrent's download folder.")
        checked[int(index)] = str(path)
    return checked


def set_file_names(params: lt.add_torrent_params, names: Mapping[int, str]) -> None:
    """Name files on disk before the torrent is added: nothing is ever written under the torrent's own name."""
    if names:
        current = dict(params.renamed_files)
        current.update(checked_file_names(params.ti, names))
        params.renamed_files = current


def disk_name(handle: lt.torrent_handle, info: lt.torrent_info, index: int) -> str:
    """Where file ``index`` lives relative to the save path, renames included."""
    return str(handle.get_renamed_files().file_path(info.layout(), index, "")).replace("\\", "/")


def rename_files(handle: lt.torrent_handle, names: Mapping[int, str]) -> dict[int, str]:
    """Give files of a torrent in the session new names on disk (moving any bytes already there) and return once
    libtorrent reports them; returns the names that changed."""
    info = handle.torrent_file()
    wanted = checked_file_names(info, names)
    if info is None:
        return {}
    changed = {index: name for index, name in wanted.items() if disk_name(handle, info, index) != name}
    for index, name in changed.items():
        handle.rename_file(index, name)
    deadline = time.monotonic() + _RENAME_APPLY_TIMEOUT_S
    while any(disk_name(handle, info, index) != name for index, name in changed.items()):
        if time.monotonic() >= deadline:
            raise EngineError("The files could not be renamed on disk; check the download folder, then try again.")
        time.sleep(0.01)
    return changed
