"""The window's side of the transfer automation: alternative speed limits (by hand, the tray, or the schedule),
no uploads on a metered connection, the IP blocklist, the watched folder and the week's seeding contribution.

``TransferAutomation`` owns the Qt-free ``AltSpeedSwitch`` and looks at its clock every ``TICK_MS``; a switch
applies the user's settings with the normal or the alternative limits to the engine. It listens to Qt's
``QNetworkInformation`` (``isMeteredChanged``) — or any object with the same ``isMetered()`` and signal, which is
how a test fakes a metered network at the Qt level — and stops uploads while the connection is metered (and the
setting asks for it). The blocklist file is parsed on a worker; a broken file gives a sentence (``message``) and
leaves the previous list in place. The watched folder is scanned every ``WATCH_MS`` on a worker, one scan at a
time; what it added or refused is told through ``message``. Every engine call runs on the task runner.

Main thread; engine calls and file reading on the task runner's pool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QNetworkInformation

from app.automation.contribution import WeeklyContribution
from app.automation.rss import CheckResult, RssDownloader, load_rules
from app.automation.speed_schedule import AltSpeedSwitch
from app.automation.watched_folder import ScanResult, WatchedFolder
from app.engine.blocklist import Blocklist, read_blocklist
from app.engine.errors import EngineError
from app.engine.labels import LabelBook
from app.engine.settings import EngineSettings
from app.engine.types import PeerEntry, TorrentId, TorrentSnapshot
from app.settings import AppSettings
from app.ui.tasks import TaskRunner

TICK_MS = 15_000
FANS_SAMPLE_MS = 60_000  # peer lists of uploading torrents, for the week's count of fans
CONTRIBUTION_SAVE_MS = 300_000
WATCH_MS = 2_000
RSS_MS = 15 * 60_000


class AutomationEngine(Protocol):
    def apply_settings(self, settings: EngineSettings) -> None: ...
    def set_uploads_allowed(self, allowed: bool) -> None: ...
    def set_blocklist(self, blocklist: Blocklist | None) -> None: ...
    def peers(self, tid: TorrentId) -> list[PeerEntry]: ...
    def add_torrent_file(
        self, path: Path, save_path: Path, *, paused: bool = False, file_priorities: Sequence[int] | None = None,
        sequential: bool = False, skip_check: bool = False,
    ) -> TorrentId: ...
    def add_torrent_bytes(self, data: bytes, save_path: Path, *, paused: bool = False) -> TorrentId: ...
    def add_magnet(self, uri: str, save_path: Path, *, paused: bool = False) -> TorrentId: ...
    @property
    def labels(self) -> LabelBook: ...


def system_network_information() -> QObject | None:
    """Qt's network information (NetworkManager on Linux), or None where no backend loads."""
    if not QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Metered):
        return None
    return QNetworkInformation.instance()


class TransferAutomation(QObject):
    """Alternative limits, metered connections and the blocklist, applied to the engine."""

    alternative_changed = Signal(bool)
    uploads_allowed_changed = Signal(bool)
    live_upload_changed = Signal(object)  # the Settings' live upload cap, bits/s (None: no cap), when it changes
    message = Signal(str)  # a sentence for the user (blocklist loaded or refused)
    contribution_changed = Signal(str)  # "2.4 GB uploaded this week to 37 fans"

    def __init__(
        self,
        engine: AutomationEngine,
        tasks: TaskRunner,
        settings: Callable[[], AppSettings],
        base: EngineSettings,
        *,
        network: QObject | None = None,
        contribution: WeeklyContribution | None = None,
        download_dir: Callable[[], Path] | None = None,
        rss_dirs: tuple[Path, Path] | None = None,
        clock: Callable[[], datetime] = datetime.now,
        tick_ms: int = TICK_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._tasks = tasks
        self._settings = settings
        self._base = base
        self._network = network
        self._uploads_allowed = True
        self._blocklist_path: str | None = None
        self._live_upload_bps = settings().live_upload_bps()
        self.switch = AltSpeedSwitch(self._on_alternative, clock)
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.switch.tick)
        self._timer.start()
        if network is not None:
            network.isMeteredChanged.connect(lambda _metered: self._apply_metered())  # type: ignore[attr-defined]
        self.contribution = contribution
        self._download_dir = download_dir
        self.watched: WatchedFolder | None = None
        self._scanning = False
        self._watch_timer = QTimer(self)
        self._watch_timer.setInterval(WATCH_MS)
        self._watch_timer.timeout.connect(self.scan_watched_folder)
        self._rss: RssDownloader | None = None
        self._rss_config: Path | None = None
        self._rss_running = False
        if rss_dirs is not None and download_dir is not None:
            self._rss_config, rss_state = rss_dirs
            self._rss = RssDownloader(rss_state, self._add_magnet_to, self._add_torrent_to)
            self._rss_timer = QTimer(self)
            self._rss_timer.setInterval(RSS_MS)
            self._rss_timer.timeout.connect(self.check_rss)
            self._rss_timer.start()
        self._uploading: set[TorrentId] = set()
        self._sentence = ""
        if contribution is not None:
            self._fans_timer = QTimer(self)
            self._fans_timer.setInterval(FANS_SAMPLE_MS)
            self._fans_timer.timeout.connect(self.sample_fans)
            self._fans_timer.start()
            self._save_timer = QTimer(self)
            self._save_timer.setInterval(CONTRIBUTION_SAVE_MS)
            self._save_timer.timeout.connect(self.save_contribution)
            self._save_timer.start()

    @property
    def alternative(self) -> bool:
        return self.switch.alternative

    @property
    def uploads_allowed(self) -> bool:
        return self._uploads_allowed

    def settings_changed(self, settings: AppSettings) -> None:
        """The user saved settings (or the app started): schedule, metered rule, blocklist."""
        self.switch.configure(settings.speed_schedule(), settings.alt_speed_on)
        self._apply_metered()
        self._configure_watched_folder(settings)
        if settings.blocklist_path != self._blocklist_path:
            self._blocklist_path = settings.blocklist_path
            self._load_blocklist(settings.blocklist_path)
        if settings.live_upload_bps() != self._live_upload_bps:
            self._live_upload_bps = settings.live_upload_bps()
            self.live_upload_changed.emit(self._live_upload_bps)

    # --- seeding contribution ------------------------------------------------------------------------
    def take_batch(self, snapshots: tuple[TorrentSnapshot, ...]) -> None:
        """A stats batch: count this week's uploads, note which torrents upload now."""
        if self.contribution is None:
            return
        self.contribution.take_batch(snapshots)
        for snap in snapshots:
            if snap.upload_rate > 0 and snap.num_peers > 0:
                self._uploading.add(snap.id)
            else:
                self._uploading.discard(snap.id)
        sentence = self.contribution.sentence()
        if sentence != self._sentence:
            self._sentence = sentence
            self.contribution_changed.emit(sentence)

    def sample_fans(self) -> None:
        """Ask the uploading torrents for their peers (on a worker) and count those being sent data."""
        ids = list(self._uploading)

        def receivers() -> list[str]:
            found: list[str] = []
            for tid in ids:
                try:
                    found += [peer.address for peer in self._engine.peers(tid) if peer.upload_rate > 0]
                except EngineError:  # removed meanwhile: nobody to count
                    found += []
            return found

        if ids and self.contribution is not None:
            self._tasks.run(receivers, self._on_fans, self._fail)

    def _on_fans(self, addresses: list[str]) -> None:
        if self.contribution is not None:
            self.contribution.take_fans(addresses)
            self.take_batch(())

    def save_contribution(self, *, now: bool = False) -> None:
        """Persist the week's figures (on a worker; ``now`` writes at once, for shutdown)."""
        contribution = self.contribution
        if contribution is None:
            return
        data = contribution.snapshot_bytes()
        if now:
            contribution.write(data)
        else:
            self._tasks.run(lambda: contribution.write(data), None, self._fail)

    # --- watched folder ------------------------------------------------------------------------------
    def _configure_watched_folder(self, settings: AppSettings) -> None:
        folder = Path(settings.watched_folder).expanduser() if settings.watched_folder.strip() else None
        current = self.watched
        if folder is None or self._download_dir is None:
            self.watched = None
            self._watch_timer.stop()
            return
        if current is not None and current.folder == folder:
            current.set_delete_after(settings.watched_folder_delete)
            return
        download_dir = self._download_dir
        self.watched = WatchedFolder(
            folder, lambda path: self._engine.add_torrent_file(path, download_dir()),
            delete_after=settings.watched_folder_delete,
        )
        self._watch_timer.start()

    def scan_watched_folder(self) -> None:
        """One scan on a worker (skipped while the previous one runs)."""
        watched = self.watched
        if watched is None or self._scanning:
            return
        self._scanning = True
        self._tasks.run(watched.scan, self._on_scanned, self._on_scan_failed)

    def _on_scanned(self, result: ScanResult) -> None:
        self._scanning = False
        for name, _tid in result.added:
            self.message.emit(f"Added {name} from the watched folder.")
        for name, sentence in result.refused:
            self.message.emit(f"{name} in the watched folder was not added: {sentence}")

    def _on_scan_failed(self, exc: BaseException) -> None:
        self._scanning = False
        self._fail(exc)

    # --- RSS ---------------------------------------------------------------------------------------
    def _target(self, category: str) -> Path:
        assert self._download_dir is not None
        return self._engine.labels.save_path_of(category) or self._download_dir()

    def _labelled(self, tid: TorrentId, category: str) -> TorrentId:
        if category and category in self._engine.labels.current().categories:
            self._engine.labels.set_category(tid, category)
        return tid

    def _add_magnet_to(self, uri: str, category: str) -> TorrentId:
        return self._labelled(self._engine.add_magnet(uri, self._target(category)), category)

    def _add_torrent_to(self, data: bytes, category: str) -> TorrentId:
        return self._labelled(self._engine.add_torrent_bytes(data, self._target(category)), category)

    def check_rss(self) -> None:
        """Fetch the feeds of the user's rules and add what matches (on a worker; one check at a time)."""
        rss, config = self._rss, self._rss_config
        if rss is None or config is None or self._rss_running:
            return
        self._rss_running = True

        def check() -> CheckResult:
            rules = load_rules(config)
            return rss.check(rules) if rules else CheckResult()

        self._tasks.run(check, self._on_rss, self._on_rss_failed)

    def _on_rss(self, result: CheckResult) -> None:
        self._rss_running = False
        for title, _tid in result.added:
            self.message.emit(f"RSS: added “{title}”.")
        for sentence in result.problems:
            self.message.emit(f"RSS: {sentence}")

    def _on_rss_failed(self, exc: BaseException) -> None:
        self._rss_running = False
        self._fail(exc)

    def toggle_alternative(self) -> None:
        self.switch.toggle()

    def _on_alternative(self, on: bool) -> None:
        engine_settings = self._settings().engine_settings(self._base, alternative=on)
        self._tasks.run(lambda: self._engine.apply_settings(engine_settings), None, self._fail)
        self.alternative_changed.emit(on)

    def _apply_metered(self) -> None:
        metered = bool(self._network is not None and self._network.isMetered())  # type: ignore[attr-defined]
        allowed = not (metered and self._settings().no_upload_on_metered)
        if allowed != self._uploads_allowed:
            self._uploads_allowed = allowed
            self._tasks.run(lambda: self._engine.set_uploads_allowed(allowed), None, self._fail)
            self.uploads_allowed_changed.emit(allowed)

    def _load_blocklist(self, path_text: str) -> None:
        if not path_text.strip():
            self._tasks.run(lambda: self._engine.set_blocklist(None), None, self._fail)
            return
        path = Path(path_text).expanduser()

        def load() -> Blocklist:
            blocklist = read_blocklist(path)
            self._engine.set_blocklist(blocklist)
            return blocklist

        self._tasks.run(load, self._on_blocklist, self._fail)

    def _on_blocklist(self, blocklist: Blocklist) -> None:
        skipped = f" ({blocklist.skipped_lines} unreadable lines skipped)" if blocklist.skipped_lines else ""
        self.message.emit(f"Blocklist loaded: {len(blocklist.ranges):,} address ranges are blocked{skipped}.")

    def _fail(self, exc: BaseException) -> None:
        self.message.emit(str(exc) or type(exc).__name__)


def build_for_desktop(
    engine: AutomationEngine,
    *,
    tasks: TaskRunner,
    settings: Callable[[], AppSettings],
    base: EngineSettings,
    state_dir: Path,
    config_dir: Path,
    download_dir: Callable[[], Path],
    parent: QObject,
) -> TransferAutomation:
    """The desktop's automation: Qt's network information, this week's contribution kept in ``state_dir``."""
    return TransferAutomation(
        engine, tasks, settings, base, network=system_network_information(),
        contribution=WeeklyContribution(state_dir), download_dir=download_dir, rss_dirs=(config_dir, state_dir),
        parent=parent,
    )
