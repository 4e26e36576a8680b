"""Resume (or recheck) after a disk error: the torrent is taken out of libtorrent and added again from its saved
record without any progress, so libtorrent checks every piece on disk from scratch.

Measured with libtorrent 2.1.1 (docs/FIELD-NOTES-FOUND.md, stop 24; scripts in /tmp/df of that stop):

* libtorrent 2 hashes a piece from its write buffer, so a piece can pass — and count as "have", also in the resume
  data — before its write fails (ENOSPC); after the fan frees space, ``clear_error`` + resume left such pieces as
  holes of zeros in a torrent that reached seeding.
* ``force_recheck`` on the same torrent object is no cure: after failed writes into a full tmpfs it ended in
  torrent_inconsistent_hashes ("v1 and v2 hashes do not describe the same data") in 6 of 10 plain-libtorrent runs
  (one more stalled at 45 of 46 pieces); with one more ``clear_error`` + ``force_recheck`` on that error, 2 of 6
  runs still had not finished after 60 s. What stays wrong lives in that
  torrent's in-session state (its piece picker and merkle trees, the disk back end's per-storage hashes computed
  from write buffers); the saved merkle trees are not to blame: a torrent added from resume data whose trees
  were verified and whose data has holes rechecks cleanly.
* Removing the torrent and adding it again, without the resume data's piece bitfield, gave a clean check and a
  byte-identical download in 6 of 6 runs, an inconsistent-hashes error during the disk-full included.

So a disk error (or libtorrent's inconsistent-hashes error) marks the record ``reload_on_resume``; the saved
record loses its progress at once (a restart then checks the files too, see ``ResumeKeeper.on_storage_error``),
and Resume or Force recheck calls ``reload``. The fan sees "Checking", then the download finishing.

Called on the caller's thread (a verb), under the registry lock like ``Engine._add``; the handlers skip the
alerts of the removal and of the new add (``reload_alerts``), so subscribers hear neither.
"""

from __future__ import annotations

import logging

import libtorrent as lt

from app.engine.add_options import set_running_flags
from app.engine.registry import Registry, TorrentRecord
from app.engine.resume_store import ResumeStore, forget_progress

log = logging.getLogger(__name__)

INCONSISTENT_HASHES = 217  # libtorrent's errors::torrent_inconsistent_hashes ("v1 and v2 hashes do not …")


def is_inconsistent_hashes(code: lt.error_code) -> bool:
    return code.category().name() == "libtorrent" and code.value() == INCONSISTENT_HASHES


def reload(
    session: lt.session, record: TorrentRecord, registry: Registry, store: ResumeStore, *, running: bool
) -> None:
    """Remove the torrent (its files stay) and add it again from its saved record, progress forgotten.

    ``running`` starts it (Resume); otherwise its saved paused/running choice stays (Force recheck).
    """
    params = store.load(record.torrent_id) or _params_of(record.handle)
    if params.ti is None:
        params.ti = record.handle.torrent_file()
    forget_progress(params)
    if running:
        set_running_flags(params)
    params.flags = int(params.flags) & ~int(lt.torrent_flags.duplicate_is_error)
    with registry.lock:
        record.reload_alerts = 2  # torrent_removed_alert, then add_torrent_alert: not news (alert_handlers)
        session.remove_torrent(record.handle)  # queued before the add on libtorrent's thread: no duplicate
        registry.rehandle(record, session.add_torrent(params))
        record.storage_error = None
        record.reload_on_resume = False
        record.checked = False  # guard 2: no save until the new check has ended …
        record.recheck_requested = True  # … and then it may claim fewer pieces than the file did
        record.needs_save = False
    try:
        store.save(record.torrent_id, params)  # claims nothing: a crash before the check ends checks again
        record.saved_pieces = 0
    except OSError as exc:
        log.warning("could not save %s before its recheck: %s", record.torrent_id, exc)
    log.info("torrent %s: added again after a disk error; libtorrent checks its files", record.torrent_id)


def _params_of(handle: lt.torrent_handle) -> lt.add_torrent_params:
    """Only when the saved record is gone: the torrent, its folder and file priorities."""
    params = lt.add_torrent_params()
    params.ti = handle.torrent_file()
    params.save_path = handle.status().save_path
    params.file_priorities = [int(p) for p in handle.get_file_priorities()]
    return params
