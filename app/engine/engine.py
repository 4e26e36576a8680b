"""The engine façade: one libtorrent session behind a few verbs, frozen snapshots and typed events.

Public methods may be called from any thread; getters that ask libtorrent (files, peers, trackers,
file_ranges, open_stream) block briefly, so the UI calls them from a worker. Events are delivered on the
engine's alert thread (see ``alert_pump``). State lives in ``state_dir``: ``session.dat`` (session
parameters) and ``resume/<id>.resume`` (one atomic file per torrent, see ``resume_keeper``).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import libtorrent as lt

from app.engine.add_options import (
    AUTO,
    add_flags,
    await_file_priorities,
    checked_priorities,
    flags_for,
    set_paused_flags,
    set_running_flags,
)
from app.engine.alert_handlers import AlertHandlers
from app.engine.alert_pump import AlertPump
from app.engine.blocklist import Blocklist, ip_filter_of
from app.engine.disk_error_reload import reload
from app.engine.error_translation import translated
from app.engine.errors import EngineError, InvalidTorrentError, StorageError
from app.engine.events import EngineEvent
from app.engine.file_names import disk_name, rename_files, set_file_names
from app.engine.labels import LabelBook
from app.engine.peer_dialer import PeerDialer, resolve
from app.engine.piece_reader import PieceReader
from app.engine.proxy_settings import proxy_pack
from app.engine.publisher import Publisher
from app.engine.reads import checked_file_info, file_entries, peer_entries, tracker_entries, verified_ranges
from app.engine.redial import Redialer
from app.engine.registry import Registry, TorrentRecord
from app.engine.resume_keeper import ResumeKeeper
from app.engine.resume_store import ResumeStore
from app.engine.seed_limits import SeedLimitBook
from app.engine.session_settings import RECONNECT_BACKOFF_S, settings_pack
from app.engine.session_state import load_session_params, save_session_params
from app.engine.settings import EngineSettings, SeedLimitAction
from app.engine.snapshots import SnapshotBook, snapshot_from_resume, snapshot_from_status
from app.engine.stream import PieceSignal, TorrentStream
from app.engine.stream_desk import StreamDesk
from app.engine.torrent_controls import TorrentControls
from app.engine.torrent_source import (
    params_from_bytes,
    params_from_file,
    params_from_magnet,
    torrent_id_of,
)
from app.engine.types import (
    ByteRange,
    FileEntry,
    PeerEntry,
    SessionTotals,
    TorrentId,
    TorrentSnapshot,
    TrackerEntry,
)
from app.engine.upload_gate import close_gate, open_gate

log = logging.getLogger(__name__)

SAVE_CHECK_SECONDS = 1.0  # how often torrents libtorrent flagged as changed are saved (crash safety)
# How long shutdown waits beyond its count-down for the alert thread to finish the handler it is in and destroy the
# session (at load 25 on 2 cores a handler took over 5 s); past it the thread is left to finish on its own.
SHUTDOWN_GRACE_S = 60.0
RESCUE_CHECK_SECONDS = 1.0  # how often torrents left without connections are looked at (peer_dialer)


class Engine:
    """Owns the libtorrent session; see docs/CONTRACTS.md for the verbs."""

    def __init__(self, settings: EngineSettings, state_dir: Path) -> None:
        self._settings = settings
        self._proxy_password = ""  # see set_proxy_password
        self._state_dir = state_dir
        self._registry = Registry()
        self._book = SnapshotBook()
        self._publisher = Publisher()
        self._signal = PieceSignal()
        self._piece_reader = PieceReader()
        self._store = ResumeStore(state_dir / "resume")
        self._keeper = ResumeKeeper(self._store, self._registry)
        self._streams = StreamDesk(self._registry, self._signal, self._piece_reader, self._rate_of)
        self._session: lt.session | None = None
        self._redialer = Redialer(lambda: self._session, RECONNECT_BACKOFF_S)
        self._dialer = PeerDialer()
        self._last_rescue = 0.0
        self._pump: AlertPump | None = None
        self._last_save_check = 0.0
        self._labels = LabelBook(state_dir, self.has_torrent)  # categories and tags (labels.json)
        self._controls = TorrentControls(self._registry, state_dir)  # the menu's knobs (first_last_pieces.json)
        self._seed_limits = SeedLimitBook(state_dir, self.has_torrent)  # per-torrent ratio/time (seed_limits.json)
        self._uploads_allowed = True

    # --- life cycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Load session parameters and every resume file, then start the alert thread."""
        if self._session is not None:
            return
        self._state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        params = load_session_params(self._state_dir)
        merged: Any = dict(params.settings)
        merged.update(settings_pack(self._settings, self._proxy_password))
        params.settings = merged
        self._session = lt.session(params)
        self._restore_torrents()
        self._labels.load(self._registry.ids())
        self._seed_limits.load(self._registry.ids())
        self._controls.restore()
        handlers = AlertHandlers(
            self._registry,
            self._book,
            self._keeper,
            self._publisher,
            self._signal,
            self._piece_reader,
            lambda: self._settings,
            self._stop_seeding,
            lambda: self.listen_port,
            self._redialer.redial,
            self._dialer.on_checked,
            self._seed_limits.get,
        )
        self._book.set_listen_port(self.listen_port)
        self._pump = AlertPump(self._session, handlers.table(), self._tick, self._settings.stats_interval_ms / 1000)
        self._pump.start()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Pause, ask every torrent for resume data, count the answers down until ``timeout``, then abort.

        All of it runs on the alert thread (the only thread that pops alerts), which then destroys the session and
        ends; this waits for that — also for a handler or subscriber that is slow under load — up to ``timeout`` +
        ``SHUTDOWN_GRACE_S``. Subscribers hear nothing from the moment shutdown starts.
        """
        pump = self._pump
        if self._session is None or pump is None:
            return
        self._publisher.close()  # a slow subscriber must not hold up the count-down
        self._streams.close_all()
        self._session = None  # from here on only the alert thread touches the session (verbs say "not running")
        self._pump = None
        if not pump.finish(lambda session: self._save_and_abort(session, pump, timeout), timeout + SHUTDOWN_GRACE_S):
            log.error("shutdown: the alert thread is still busy; it saves and closes the session when it is done")

    def _save_and_abort(self, session: lt.session, pump: AlertPump, timeout: float) -> None:
        """The final work, on the alert thread: the count-down, ``session.dat``, a short tracker goodbye."""
        session.pause()
        missing = self._keeper.save_all_and_wait(pump.pump_once, timeout)
        if missing:
            log.warning("shutdown: %d resume answers missing; their previous files stay", missing)
        save_session_params(self._state_dir, session)
        session.apply_settings({"stop_tracker_timeout": 1})  # the destructor announces "stopped" within this

    # --- adding -------------------------------------------------------------------------------------------
    def add_torrent_file(
        self,
        path: Path,
        save_path: Path,
        *,
        paused: bool = False,
        file_priorities: Sequence[int] | None = None,
        sequential: bool = False,
        skip_check: bool = False,
    ) -> TorrentId:
        """Add a .torrent file (refused unread when oversized); returns its id, the same id if already added.
        ``skip_check`` trusts data already in ``save_path`` without hashing it (libtorrent's seed mode)."""
        params = params_from_file(Path(path))
        add_flags(params, sequential, skip_check)
        return self._add(params, save_path, paused, file_priorities)

    def add_torrent_bytes(
        self,
        data: bytes,
        save_path: Path,
        *,
        paused: bool = False,
        file_priorities: Sequence[int] | None = None,
        file_names: Mapping[int, str] | None = None,
        sequential: bool = False,
        skip_check: bool = False,
    ) -> TorrentId:
        """Add a .torrent from memory (e.g. from the store); ``file_priorities`` can fetch one file alone;
        ``file_names`` (file index → path relative to ``save_path``) stores files under other names on disk."""
        params = params_from_bytes(data)
        set_file_names(params, file_names or {})
        add_flags(params, sequential, skip_check)
        return self._add(params, save_path, paused, file_priorities)

    def add_magnet(self, uri: str, save_path: Path, *, paused: bool = False) -> TorrentId:
        """Add a magnet link; its display name is sanitized and never used as a path."""
        return self._add(params_from_magnet(uri), save_path, paused, None)

    def _add(
        self,
        params: lt.add_torrent_params,
        save_path: Path,
        paused: bool,
        file_priorities: Sequence[int] | None,
    ) -> TorrentId:
        session = self._require_session()
        info = params.ti
        torrent_id = torrent_id_of(info.info_hashes() if info is not None else params.info_hashes)
        with self._registry.lock:
            if self._registry.find(torrent_id) is not None:
                return torrent_id
            params.save_path = str(Path(save_path).expanduser().resolve())
            if file_priorities is not None:
                params.file_priorities = checked_priorities(info, file_priorities)
            params.flags = flags_for(int(params.flags), paused)
            params.flags &= ~int(lt.torrent_flags.duplicate_is_error)
            added_at = time.time()
            params.added_time = int(added_at)
            record = TorrentRecord(torrent_id, lt.torrent_handle(), added_at, magnet_name=params.name)
            # Persisted before libtorrent sees it: from here on a crash cannot lose the torrent.
            try:
                self._keeper.save_new(record, params)
            except OSError as exc:
                raise StorageError(f"Cannot save the torrent's state: {exc.strerror or exc}.") from exc
            try:
                record.handle = session.add_torrent(params)
            except RuntimeError as exc:
                self._store.delete(torrent_id)
                log.warning("libtorrent refused a torrent: %s", exc)
                raise InvalidTorrentError("Bundlecast could not add this torrent: its contents are unusable.") from exc
            self._registry.add(record)
            self._book.put(snapshot_from_status(torrent_id, record.handle.status(), added_at, record.magnet_name))
        return torrent_id

    def _restore_torrents(self) -> None:
        session = self._require_session()
        for loaded in self._store.load_all():
            params = loaded.params
            params.flags &= ~int(lt.torrent_flags.duplicate_is_error)
            try:
                handle = session.add_torrent(params)
            except RuntimeError as exc:
                self._store.set_aside(loaded.torrent_id, f"libtorrent refused it: {exc}")
                continue
            added_at = float(params.added_time or time.time())
            record = TorrentRecord(loaded.torrent_id, handle, added_at, magnet_name=params.name)
            record.saved_pieces = loaded.verified_pieces
            record.saved_has_metadata = params.ti is not None
            record.download_limit = max(0, int(params.download_limit))  # -1 in libtorrent means unlimited
            record.upload_limit = max(0, int(params.upload_limit))
            self._registry.add(record)
            # libtorrent's first status of a restored torrent may predate its resume check (progress 0,
            # no save path): show what the resume record says until the first batch of updates.
            self._book.put(snapshot_from_resume(loaded.torrent_id, params, added_at))

    # --- torrent verbs ------------------------------------------------------------------------------------
    @translated
    def pause(self, tid: TorrentId) -> None:
        """Stop transferring until ``resume``; survives restarts."""
        record = self._registry.get(tid)
        record.handle.unset_flags(AUTO)  # an auto-managed torrent would be resumed by the queue
        record.handle.pause()
        self._keeper.save_change(record, set_paused_flags)

    @translated
    def resume(self, tid: TorrentId) -> None:
        """Let a paused torrent run again (it joins the download/seed queue); one stopped by a disk error
        (after the fan freed some space) checks its files from scratch and goes on (see ``disk_error_reload``)."""
        record = self._registry.get(tid)
        if record.reload_on_resume:
            self._reload(record, running=True)
            return
        if record.storage_error is not None:
            record.storage_error = None
            # libtorrent holds a torrent whose disk filled in upload mode and retries on its own only after
            # optimistic_disk_retry (10 min); a torrent its errors stopped stays stopped until cleared.
            record.handle.unset_flags(lt.torrent_flags.upload_mode)
        record.handle.clear_error()
        record.handle.set_flags(AUTO)
        record.handle.resume()
        self._keeper.save_change(record, set_running_flags)

    def pause_all(self) -> None:
        """Pause every torrent."""
        for tid in self._registry.ids():
            self.pause(tid)

    def resume_all(self) -> None:
        """Resume every torrent."""
        for tid in self._registry.ids():
            self.resume(tid)

    @translated
    def remove(self, tid: TorrentId, *, delete_data: bool = False) -> None:
        """Forget a torrent (its resume file too); ``delete_data`` also deletes its downloaded files."""
        session = self._require_session()
        record = self._registry.get(tid)
        self._streams.close_torrent(tid)
        self._registry.pop(tid)
        option = int(lt.options_t.delete_files) if delete_data else 0
        session.remove_torrent(record.handle, option)
        self._store.delete(tid)
        self._book.drop(tid)
        self._labels.forget(tid)
        self._controls.forget(tid)
        self._seed_limits.forget(tid)

    @translated
    def force_recheck(self, tid: TorrentId) -> None:
        """Hash every piece on disk again; the only case where saved progress may shrink."""
        record = self._registry.get(tid)
        if record.reload_on_resume:  # after a disk error libtorrent's own recheck is no cure (disk_error_reload)
            self._reload(record, running=False)
            return
        record.recheck_requested = True  # the one case where fewer pieces may replace the saved file
        record.checked = False
        record.storage_error = None
        record.handle.force_recheck()

    def _reload(self, record: TorrentRecord, *, running: bool) -> None:
        self._streams.close_torrent(record.torrent_id)  # a reader holds the old handle
        reload(self._require_session(), record, self._registry, self._store, running=running)
        # The old torrent's ERROR must not stand until the next batch of updates.
        limits = (record.download_limit, record.upload_limit)
        status = record.handle.status()
        self._book.put(snapshot_from_status(record.torrent_id, status, record.added_at, record.magnet_name, limits))
        with self._registry.lock:
            peers = sorted(record.known_peers)
        for endpoint in peers:  # the new torrent knows no peer; dialed once its check ends (peer_dialer)
            self._dialer.dial(record, endpoint)

    @translated
    def move_storage(self, tid: TorrentId, new_path: Path) -> None:
        """Move a torrent's files to ``new_path`` (asynchronous; the snapshot's state is MOVING meanwhile)."""
        record = self._registry.get(tid)
        target = Path(new_path).expanduser().resolve()
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot create {target}: {exc.strerror or exc}.") from exc
        record.handle.move_storage(str(target))

    @translated
    def set_file_priorities(self, tid: TorrentId, priorities: Sequence[int]) -> None:
        """One priority per file: 0 skips a file, 1 … 7 want it (4 is normal)."""
        record = self._registry.get(tid)
        info = record.handle.torrent_file()
        values = checked_priorities(info, priorities)
        record.handle.prioritize_files(values)
        if info is not None:
            await_file_priorities(record.handle, info, values)

        def change(params: lt.add_torrent_params) -> None:
            params.file_priorities = values

        self._keeper.save_change(record, change)

    @translated
    def set_torrent_limits(self, tid: TorrentId, *, download: int | None = None, upload: int | None = None) -> None:
        """Per-torrent rates in bytes/s (0 = unlimited, None = unchanged); these also apply to local peers.

        The snapshot's ``download_limit``/``upload_limit`` show them at once; resume data keeps them.
        """
        record = self._registry.get(tid)
        with self._registry.lock:
            if download is not None:
                record.download_limit = max(0, int(download))
            if upload is not None:
                record.upload_limit = max(0, int(upload))
            down, up = record.download_limit, record.upload_limit
        if download is not None:
            record.handle.set_download_limit(down or -1)
        if upload is not None:
            record.handle.set_upload_limit(up or -1)
        self._book.set_limits(tid, down, up)

        def change(params: lt.add_torrent_params) -> None:
            params.download_limit = down or -1
            params.upload_limit = up or -1

        self._keeper.save_change(record, change)

    @translated
    def apply_settings(self, settings: EngineSettings) -> None:
        """Apply new settings to the running session (uploads stay stopped while ``set_uploads_allowed(False)``)."""
        self._settings = settings
        pack: Any = settings_pack(settings, self._proxy_password)
        session = self._require_session()
        session.apply_settings(pack)
        if not self._uploads_allowed:
            close_gate(session)

    @translated
    def set_proxy_password(self, password: str) -> None:
        """The SOCKS5 proxy's password for ``settings.proxy_username``: held in memory only (never in a file or a
        log) and used from now on, also by every later ``apply_settings``. Every torrent announces again at once: an
        announce the proxy refused before the password came (the keyring answers after start) is not left to
        libtorrent's back-off."""
        self._proxy_password = password
        if self._session is not None:
            pack: Any = proxy_pack(self._settings, password)
            self._session.apply_settings(pack)
            for record in self._registry.records():
                record.handle.force_reannounce()

    @translated
    def set_uploads_allowed(self, allowed: bool) -> None:
        """Stop every upload at once (a metered connection) or allow them again; see ``upload_gate``."""
        self._uploads_allowed = allowed
        session = self._require_session()
        if allowed:
            open_gate(session, self._settings)
        else:
            close_gate(session)

    @translated
    def set_blocklist(self, blocklist: Blocklist | None) -> None:
        """Refuse connections to and from the listed address ranges (None: block nobody); see ``blocklist``."""
        self._require_session().set_ip_filter(ip_filter_of(blocklist))

    @translated
    def rate_limits(self) -> tuple[int, int]:
        """The session's (download, upload) limits as libtorrent holds them now (bytes/s, 0 = unlimited)."""
        current = self._require_session().get_settings()
        return int(current["download_rate_limit"]), int(current["upload_rate_limit"])

    @translated
    def connect_peer(self, tid: TorrentId, host: str, port: int) -> None:
        """Connect to a known peer (tests, the store's seeds) now; a host name is resolved here (blocking).

        The peer stays known: while the torrent wants data and has no connection it is dialed again (peer_dialer).
        """
        self._registry.get(tid)
        address = resolve(host, port)
        record = self._registry.get(tid)
        with self._registry.lock:  # redialed when the torrent wants data again (see redial, peer_dialer)
            record.known_peers.add((address, port))
        self._dialer.dial(record, (address, port))  # at once, not at libtorrent's next connect round

    @translated
    def add_web_seed(self, tid: TorrentId, url: str) -> None:
        """Add an HTTP web seed (BEP 19); for a multi-file torrent the URL names the folder, ending in /."""
        self._registry.get(tid).handle.add_url_seed(url)

    # --- reads --------------------------------------------------------------------------------------------
    def snapshots(self) -> list[TorrentSnapshot]:
        """The latest snapshot of every torrent, oldest added first; never waits on libtorrent."""
        return self._book.all()

    def snapshot(self, tid: TorrentId) -> TorrentSnapshot:
        """The latest snapshot of one torrent."""
        return self._book.get(tid)

    @translated
    def files(self, tid: TorrentId) -> list[FileEntry]:
        """The torrent's files (empty until a magnet's metadata arrives); blocks briefly."""
        return file_entries(self._registry.get(tid).handle)

    @translated
    def peers(self, tid: TorrentId) -> list[PeerEntry]:
        """The peers connected now; blocks briefly."""
        return peer_entries(self._registry.get(tid).handle)

    @translated
    def trackers(self, tid: TorrentId) -> list[TrackerEntry]:
        """The torrent's trackers and what they last said; blocks briefly."""
        return tracker_entries(self._registry.get(tid).handle)

    @translated
    def dht_nodes(self) -> int:
        """How many DHT nodes the session knows (0 with DHT off); blocks briefly."""
        session = self._require_session()
        with warnings.catch_warnings():  # session.status() is deprecated, and still the one direct read of it
            warnings.simplefilter("ignore", DeprecationWarning)
            return int(session.status().dht_nodes)

    def totals(self) -> SessionTotals:
        """Session-wide rates and totals from the latest batch."""
        return self._book.totals()

    @translated
    def file_ranges(self, tid: TorrentId, file_index: int) -> list[ByteRange]:
        """Verified byte ranges of one file (for a seek bar); blocks briefly."""
        handle = self._registry.get(tid).handle
        checked_file_info(handle, file_index)
        return verified_ranges(handle, file_index)

    @translated
    def file_path(self, tid: TorrentId, file_index: int) -> Path:
        """Where one file of the torrent lives on disk."""
        handle = self._registry.get(tid).handle
        info = checked_file_info(handle, file_index)
        return Path(handle.status().save_path) / disk_name(handle, info, file_index)

    @translated
    def rename_files(self, tid: TorrentId, names: Mapping[int, str]) -> None:
        """Store files under other names on disk (file index → path relative to the save path); the torrent is
        unchanged. Blocks until libtorrent reports the new names; they are kept across restarts."""
        record = self._registry.get(tid)
        changed = rename_files(record.handle, names)
        if changed:

            def change(params: lt.add_torrent_params) -> None:
                params.renamed_files = {**dict(params.renamed_files), **changed}

            self._keeper.save_change(record, change)

    def torrent_ids(self) -> list[TorrentId]:
        """Ids of every torrent in the session."""
        return self._registry.ids()

    def has_torrent(self, tid: TorrentId) -> bool:
        """Whether a torrent with that id is in the session."""
        return self._registry.find(tid) is not None

    def subscribe(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]:
        """Receive every engine event on the alert thread; returns the function that unsubscribes."""
        return self._publisher.subscribe(callback)

    @property
    def listen_port(self) -> int | None:
        """The TCP port the session listens on, None before start or when listening failed."""
        session = self._session
        if session is None:
            return None
        port = session.listen_port()
        return port or None

    @property
    def controls(self) -> TorrentControls:
        """Reannounce, magnet link, queue position, sequential, first and last pieces first (``torrent_controls``)."""
        return self._controls

    @property
    def labels(self) -> LabelBook:
        """Categories (with their save paths) and tags of the torrents; see ``labels``. Writes touch the disk."""
        return self._labels

    @property
    def seed_limits(self) -> SeedLimitBook:
        """Each torrent's own share-ratio and seeding-time limits over the global ones; see ``seed_limits``."""
        return self._seed_limits

    @property
    def state_dir(self) -> Path:
        """The folder holding session parameters and resume files."""
        return self._state_dir

    # --- streaming ----------------------------------------------------------------------------------------
    @translated
    def open_stream(self, tid: TorrentId, file_index: int, *, timeout: float = 30.0) -> TorrentStream:
        """A reader of one file that steers the picker while open (see ``stream`` and ``stream_desk``)."""
        return self._streams.open(self._registry.get(tid), file_index, timeout)

    def _rate_of(self, tid: TorrentId) -> int:
        try:
            return self._book.get(tid).download_rate
        except EngineError:
            return 0

    # --- internals ----------------------------------------------------------------------------------------
    def _tick(self) -> None:
        session = self._session
        if session is None:
            return
        session.post_torrent_updates()
        self._redialer.tick()
        now = time.monotonic()
        if now - self._last_rescue >= RESCUE_CHECK_SECONDS:
            self._last_rescue = now
            self._dialer.rescue(self._registry.records(), lambda r: self._book.connections_while_wanting(r.torrent_id))
        if now - self._last_save_check >= SAVE_CHECK_SECONDS:
            self._last_save_check = now
            self._keeper.request_due()

    def _stop_seeding(self, tid: TorrentId) -> None:
        log.info("torrent %s reached its seeding limit", tid)
        if self._settings.seed_limit_action is SeedLimitAction.REMOVE:
            self.remove(tid)
        else:
            self.pause(tid)

    def _require_session(self) -> lt.session:
        if self._session is None:
            raise EngineError("The engine is not running.")
        return self._session
