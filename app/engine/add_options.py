"""How torrents are added and kept: libtorrent's paused/auto-managed flags, the add options, and file priorities.

Pure helpers over ``lt.add_torrent_params`` and a handle, used by ``Engine`` on the caller's thread (a priority change
waits, bounded, until libtorrent's disk thread has applied it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import libtorrent as lt

from app.engine.errors import EngineError

log = logging.getLogger(__name__)

AUTO = int(lt.torrent_flags.auto_managed)
PAUSED = int(lt.torrent_flags.paused)
PRIORITY_APPLY_TIMEOUT_S = 5.0  # the disk thread answers in milliseconds unless it is busy checking


def checked_priorities(info: lt.torrent_info | None, priorities: Sequence[int]) -> list[int]:
    """One priority per libtorrent file index, or one per file as ``files()`` lists them (pad files left out)."""
    values = [int(p) for p in priorities]
    if any(not 0 <= p <= 7 for p in values):
        raise EngineError("File priorities go from 0 (skip) to 7 (top).")
    if info is None or len(values) == info.num_files():
        return values
    layout = info.layout()
    real = [i for i in range(layout.num_files()) if not layout.file_flags(i) & lt.file_storage.flag_pad_file]
    if len(values) != len(real):
        raise EngineError(f"Expected {len(real)} file priorities, got {len(values)}.")
    expanded = [0] * layout.num_files()  # pad files are zeros nobody downloads
    for index, value in zip(real, values, strict=True):
        expanded[index] = value
    return expanded


def await_file_priorities(handle: lt.torrent_handle, info: lt.torrent_info, values: list[int]) -> None:
    """Return once libtorrent reports ``values``: it applies file priorities on its disk thread, and until then
    ``get_file_priorities()`` answers the old ones (44 of 50 reads right after the call, measured), so a caller that
    widens a torrent's choice would read a stale one and narrow it again. Pad files always read 0."""
    layout = info.layout()
    real = [i for i in range(layout.num_files()) if not layout.file_flags(i) & lt.file_storage.flag_pad_file]
    deadline = time.monotonic() + PRIORITY_APPLY_TIMEOUT_S
    while True:
        current = handle.get_file_priorities()
        if len(current) == len(values) and all(int(current[i]) == values[i] for i in real):
            return
        if time.monotonic() >= deadline:
            log.warning("file priorities still pending after %.0f s; libtorrent applies them later",
                        PRIORITY_APPLY_TIMEOUT_S)
            return
        time.sleep(0.005)


def add_flags(params: lt.add_torrent_params, sequential: bool, skip_check: bool) -> None:
    if sequential:
        params.flags |= lt.torrent_flags.sequential_download
    if skip_check:
        params.flags |= lt.torrent_flags.seed_mode


def set_paused_flags(params: lt.add_torrent_params) -> None:
    params.flags = flags_for(int(params.flags), paused=True)


def set_running_flags(params: lt.add_torrent_params) -> None:
    params.flags = flags_for(int(params.flags), paused=False)


def flags_for(flags: int, paused: bool) -> int:
    """Paused torrents are not auto-managed (the queue would resume them); running ones are."""
    if paused:
        return (flags | PAUSED) & ~AUTO
    return (flags & ~PAUSED) | AUTO
