"""What the engine does with each libtorrent alert: snapshots, events, resume saves, stream wake-ups.

Every method runs on the engine's alert thread (the shutdown count-down included),
looked up by alert type in ``table()``. Torrent ids come from the registry's handle map or the alert's
info-hashes, never from a blocking handle call per piece.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import libtorrent as lt

from app.engine.disk_error_reload import is_inconsistent_hashes
from app.engine.error_translation import describe_error
from app.engine.events import (
    MetadataReceived,
    PieceFinished,
    StateChanged,
    StatsUpdated,
    TorrentAdded,
    TorrentErrored,
    TorrentFinished,
    TorrentRemoved,
)
from app.engine.piece_reader import PieceReader
from app.engine.publisher import Publisher
from app.engine.rates import RateMeter
from app.engine.redial import remember_dialed_peer
from app.engine.registry import Registry, TorrentRecord
from app.engine.resume_keeper import FULL_FLAGS, ResumeKeeper
from app.engine.seed_limits import SeedLimits
from app.engine.seed_policy import over_seed_limit
from app.engine.settings import EngineSettings
from app.engine.snapshots import SnapshotBook, snapshot_from_status
from app.engine.stream import PieceSignal
from app.engine.torrent_source import torrent_id_of
from app.engine.types import TorrentId, TorrentState

log = logging.getLogger(__name__)
# States a torrent leaves for DOWNLOADING when it wants more data or is resumed (its peers may be long gone).
_IDLE_STATES = frozenset({TorrentState.FINISHED, TorrentState.SEEDING, TorrentState.PAUSED, TorrentState.QUEUED})


class AlertHandlers:
    """The handler per alert type, sharing the engine's registry, book, keeper and publisher."""

    def __init__(  # noqa: PLR0917 - built once by the engine
        self,
        registry: Registry,
        book: SnapshotBook,
        keeper: ResumeKeeper,
        publisher: Publisher,
        signal: PieceSignal,
        piece_reader: PieceReader,
        settings: Callable[[], EngineSettings],
        stop_seeding: Callable[[TorrentId], None],
        listen_port: Callable[[], int | None],
        redial: Callable[[list[TorrentRecord]], None],
        checked: Callable[[TorrentRecord], None],
        seed_limits_of: Callable[[TorrentId], SeedLimits] = lambda _tid: SeedLimits(),
    ) -> None:
        self._seed_limits_of = seed_limits_of
        self._redial = redial
        self._checked = checked
        self._rates = RateMeter()
        self._registry = registry
        self._book = book
        self._keeper = keeper
        self._publisher = publisher
        self._signal = signal
        self._piece_reader = piece_reader
        self._settings = settings
        self._stop_seeding = stop_seeding
        self._listen_port = listen_port

    def table(self) -> dict[type, Callable[[Any], None]]:
        return {
            lt.add_torrent_alert: self.on_added,
            lt.state_update_alert: self.on_state_update,
            lt.torrent_checked_alert: self.on_checked,
            lt.metadata_received_alert: self.on_metadata,
            lt.torrent_finished_alert: self.on_finished,
            lt.torrent_removed_alert: self.on_removed,
            lt.torrent_error_alert: self.on_error,
            lt.file_error_alert: self.on_error,
            lt.save_resume_data_alert: self._keeper.on_saved,
            lt.save_resume_data_failed_alert: self._keeper.on_save_failed,
            lt.piece_finished_alert: self.on_piece,
            lt.read_piece_alert: self._piece_reader.deliver,
            lt.peer_connect_alert: self.on_peer_connected,
            lt.listen_succeeded_alert: self.on_listening,
            lt.storage_moved_alert: self.on_moved,
            lt.storage_moved_failed_alert: self.on_error,
            lt.fastresume_rejected_alert: self.on_resume_rejected,
            lt.metadata_failed_alert: self.on_logged,
            lt.listen_failed_alert: self.on_logged,
            lt.performance_alert: self.on_logged,
        }

    def _id_of(self, alert: Any) -> TorrentId | None:
        record = self._registry.by_handle(alert.handle)
        if record is not None:
            return record.torrent_id
        return None

    def on_added(self, alert: Any) -> None:
        if alert.error.value() != 0:
            return
        torrent_id = torrent_id_of(alert.params.info_hashes)
        record = self._registry.find(torrent_id)
        if record is None or _reload_alert(record):
            return
        name = alert.params.ti.name() if alert.params.ti is not None else alert.params.name
        self._publisher.publish(TorrentAdded(torrent_id, name or torrent_id))

    def on_state_update(self, alert: Any) -> None:
        changed = []
        back_to_downloading = []
        settings = self._settings()
        for status in alert.status:
            # By handle, not by hash: a magnet with only a v2 hash learns its v1 hash with the metadata.
            record = self._registry.by_handle(status.handle)
            if record is None:
                continue
            torrent_id = record.torrent_id
            limits = (record.download_limit, record.upload_limit)
            rates = self._rates.measure(
                torrent_id, int(status.total_payload_download), int(status.total_payload_upload)
            )
            snapshot = snapshot_from_status(
                torrent_id, status, record.added_at, record.magnet_name, limits, record.storage_error, rates
            )
            old = self._book.put(snapshot)
            changed.append(snapshot)
            if old is not None and old.state is not snapshot.state:
                self._publisher.publish(StateChanged(torrent_id, old.state, snapshot.state))
                if snapshot.state is TorrentState.DOWNLOADING and old.state in _IDLE_STATES:
                    back_to_downloading.append(record)
            if status.need_save_resume:
                record.needs_save = True
            record.only_counters_change = bool(status.is_finished) and not snapshot.paused
            if over_seed_limit(status, settings, self._seed_limits_of(torrent_id)):
                self._stop_seeding(torrent_id)
        self._redial(back_to_downloading)  # wants more after its pilot, or resumed: see redial.py
        self._book.set_listen_port(self._listen_port())
        self._publisher.publish(StatsUpdated(tuple(changed), self._book.totals()))

    def on_checked(self, alert: Any) -> None:
        record = self._registry.by_handle(alert.handle)
        if record is None:
            return
        record.checked = True
        if record.recheck_requested:
            self._keeper.request(record, FULL_FLAGS)
        else:
            record.needs_save = True
        self._checked(record)  # peers given while it checked are dialed now (peer_dialer)

    def on_metadata(self, alert: Any) -> None:
        record = self._registry.by_handle(alert.handle)
        if record is None:
            return
        info = alert.handle.torrent_file()
        name = info.name() if info is not None else record.torrent_id
        # Saved at once so a crash from here on never fetches the metadata again; guard 3 still applies.
        alert.handle.save_resume_data(FULL_FLAGS)
        self._publisher.publish(MetadataReceived(record.torrent_id, name))

    def on_finished(self, alert: Any) -> None:
        record = self._registry.by_handle(alert.handle)
        if record is None or not record.checked:
            # Complete already when its (resume) check ended — on every start, or data that was on disk:
            # nothing was downloaded, so nothing to announce.
            return
        self._keeper.request(record)
        self._publisher.publish(TorrentFinished(record.torrent_id, alert.torrent_name))

    def on_peer_connected(self, alert: Any) -> None:
        record = self._registry.by_handle(alert.handle)
        if record is not None:  # dialed_peers is written and read (by redial) on this thread only
            remember_dialed_peer(record, alert)

    def on_removed(self, alert: Any) -> None:
        torrent_id = torrent_id_of(alert.info_hashes)
        self._rates.forget(torrent_id)
        record = self._registry.find(torrent_id)  # the engine forgets a torrent before removing it …
        if record is not None and _reload_alert(record):  # … so this one is being added again
            return
        self._publisher.publish(TorrentRemoved(torrent_id))

    def on_error(self, alert: Any) -> None:
        record = self._registry.by_handle(alert.handle)
        if record is None:
            return
        hint = ""
        for attribute in ("filename", "path"):
            getter = getattr(alert, attribute, None)
            if callable(getter):
                hint = str(getter())
                break
        message = describe_error(alert.error, hint)
        disk_trouble = isinstance(alert, lt.file_error_alert) or is_inconsistent_hashes(alert.error)
        if disk_trouble and not record.reload_on_resume:
            # Pieces may count as had that never reached the disk: Resume adds the torrent again (disk_error_reload).
            record.reload_on_resume = True
            self._keeper.on_storage_error(record)
        if isinstance(alert, lt.file_error_alert):
            if record.storage_error == message:
                return  # every write queued before the disk filled fails the same way: one sentence is enough
            record.storage_error = message
        elif record.storage_error is not None:
            # A consequence, not news: pieces whose writes failed then fail their hash checks, and a hybrid
            # torrent stops with "v1 and v2 hashes do not describe the same data". The fan was told the cause.
            log.info("torrent %s: %s (after: %s)", record.torrent_id, message, record.storage_error)
            return
        log.warning("torrent %s: %s", record.torrent_id, message)
        self._publisher.publish(TorrentErrored(record.torrent_id, message))

    def on_piece(self, alert: Any) -> None:
        self._signal.notify()
        record = self._registry.by_handle(alert.handle)
        # libtorrent also reports every piece a resume check accepts (all of them, on each start): those are
        # not news, and 1,000 restored torrents would flood the subscribers.
        if record is not None and record.checked:
            self._publisher.publish(PieceFinished(record.torrent_id, int(alert.piece_index)))

    def on_listening(self, alert: Any) -> None:
        self._book.set_listen_port(self._listen_port())

    def on_moved(self, alert: Any) -> None:
        record = self._registry.by_handle(alert.handle)
        if record is None:
            return
        new_path = str(alert.storage_path())

        def change(params: lt.add_torrent_params) -> None:
            params.save_path = new_path

        self._keeper.save_change(record, change, FULL_FLAGS)

    def on_resume_rejected(self, alert: Any) -> None:
        log.warning("resume data rejected, libtorrent will recheck: %s", alert.message())

    def on_logged(self, alert: Any) -> None:
        log.info("%s", alert.message())


def _reload_alert(record: TorrentRecord) -> bool:
    """True for the removal and the new add of a torrent added again after a disk error (counted down)."""
    if record.reload_alerts <= 0:
        return False
    record.reload_alerts -= 1
    return True
