"""Decides when resume data is asked for and whether an answer may replace the file on disk.

Runs on the engine's alert thread: periodic saves, save alerts and the shutdown count-down (``save_all_and_wait``,
which pops through the pump on that thread; answers are copied out of each alert before the next pop).
The three guards of FIELD-NOTES against libtorrent 2.1.1's "0 pieces" resume records:
1. periodic saves use ``only_if_modified`` and only torrents libtorrent flagged ``need_save_resume``;
2. no torrent is asked before its first check has finished;
3. an answer claiming fewer verified pieces (or no metadata where we had it) than the file on disk is
   refused, unless a recheck was asked for.
And one for disk errors: from a torrent's disk error until it is added again (disk_error_reload), its saved record
claims no piece and libtorrent's answers are refused — they may count pieces whose writes failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import libtorrent as lt

from app.engine.registry import Registry, TorrentRecord
from app.engine.resume_store import ResumeStore, count_pieces, forget_progress
from app.engine.torrent_source import torrent_id_of

log = logging.getLogger(__name__)

_FLAGS = lt.save_resume_flags_t
PERIODIC_FLAGS = int(_FLAGS.only_if_modified) | int(_FLAGS.save_info_dict)
FULL_FLAGS = int(_FLAGS.save_info_dict) | int(_FLAGS.flush_disk_cache)
CHANGE_FLAGS = int(_FLAGS.save_info_dict)
SEEDING_SAVE_SECONDS = 300.0


class ResumeKeeper:
    """Asks libtorrent for resume data at the right moments and writes the answers through the guards."""

    def __init__(self, store: ResumeStore, registry: Registry) -> None:
        self._store = store
        self._registry = registry
        self._awaiting: set[str] = set()
        self.files_written = 0
        self.answers_refused = 0

    def save_new(self, record: TorrentRecord, params: lt.add_torrent_params) -> None:
        """Persist a torrent the moment it is added (a magnet without metadata included)."""
        self._store.save(record.torrent_id, params)
        record.saved_pieces = count_pieces(params)
        record.saved_has_metadata = params.ti is not None
        self.files_written += 1

    def request(self, record: TorrentRecord, flags: int = PERIODIC_FLAGS) -> bool:
        """Ask for resume data if the torrent's first check is over (guard 2); True when asked."""
        if not record.checked:
            return False
        record.needs_save = False
        record.handle.save_resume_data(flags)
        return True

    def save_change(
        self, record: TorrentRecord, change: Callable[[lt.add_torrent_params], None], flags: int = CHANGE_FLAGS
    ) -> None:
        """Persist a user's change (pause, priorities, new folder): the saved record is patched at once, and when the
        torrent's first check is over libtorrent is asked too (never "only if modified": a change is always saved).
        Patching first means the file says what the user chose even while an answer asked before the change, or the
        torrent's first check, is still on its way."""
        if self._store.patch(record.torrent_id, change):
            self.files_written += 1
        self.request(record, flags)

    def on_storage_error(self, record: TorrentRecord) -> None:
        """A disk error (alert thread): the saved record forgets its pieces, so a restart checks the files."""
        try:
            if self._store.patch(record.torrent_id, forget_progress):
                record.saved_pieces = 0
                self.files_written += 1
        except OSError as exc:  # the state folder may be on the disk that filled
            log.warning("could not mark %s for a recheck: %s", record.torrent_id, exc)

    def request_due(self) -> None:
        """Periodic: ask every checked torrent that libtorrent marked as needing a save (guard 1).

        A complete torrent that is seeding changes only its upload counters: it is saved at most every
        ``SEEDING_SAVE_SECONDS`` so a seedbox of thousands does not rewrite every file every few seconds
        (pause, priorities and other changes are saved at once through ``save_change``).
        """
        now = time.monotonic()
        for record in self._registry.records():
            if not record.needs_save:
                continue
            if record.only_counters_change and now - record.last_periodic_save < SEEDING_SAVE_SECONDS:
                continue
            if self.request(record):
                record.last_periodic_save = now

    def on_saved(self, alert: Any) -> None:
        params: lt.add_torrent_params = alert.params
        record = self._registry.by_handle(alert.handle)
        if record is None:  # removed while the answer was on its way: never resurrect its file
            self._awaiting.discard(torrent_id_of(params.info_hashes))
            return
        torrent_id = record.torrent_id
        self._awaiting.discard(torrent_id)
        if record.reload_on_resume:
            return  # its pieces may not be on disk (see on_storage_error)
        pieces = count_pieces(params)
        has_metadata = params.ti is not None
        if not record.recheck_requested and (
            pieces < record.saved_pieces or (record.saved_has_metadata and not has_metadata)
        ):
            self.answers_refused += 1
            log.warning(
                "refused resume data for %s claiming %d pieces (file on disk has %d)",
                torrent_id,
                pieces,
                record.saved_pieces,
            )
            return
        if not has_metadata and record.magnet_name and not params.name:
            params.name = record.magnet_name
        self._store.save(torrent_id, params)
        record.saved_pieces = pieces
        record.saved_has_metadata = has_metadata
        record.recheck_requested = False
        self.files_written += 1

    def on_save_failed(self, alert: Any) -> None:
        record = self._registry.by_handle(alert.handle)
        torrent_id = record.torrent_id if record is not None else ""
        self._awaiting.discard(torrent_id)
        if alert.error.value() != 0 and "not modified" not in alert.error.message():
            log.warning("saving resume data failed for %s: %s", torrent_id, alert.error.message())

    def save_all_and_wait(self, pump_once: Callable[[int], None], timeout: float) -> int:
        """The shutdown count-down: ask every checked torrent, pump answers until all came or time is up.

        Returns how many answers were still missing at the deadline (their older files stay as they are).
        """
        self._awaiting.clear()
        for record in self._registry.records():
            if self.request(record, FULL_FLAGS | int(_FLAGS.only_if_modified)):
                self._awaiting.add(record.torrent_id)
        deadline = time.monotonic() + timeout
        while self._awaiting and time.monotonic() < deadline:
            pump_once(100)
        if self._awaiting:
            log.warning("shutdown: %d torrents did not answer in time", len(self._awaiting))
        return len(self._awaiting)
