"""The window's side of the transfer automation: alternative speed limits (by hand, the tray, or the schedule),
no uploads on a metered connection, and the IP blocklist.

``TransferAutomation`` owns the Qt-free ``AltSpeedSwitch`` and looks at its clock every ``TICK_MS``; a switch
applies the user's settings with the normal or the alternative limits to the engine. It listens to Qt's
``QNetworkInformation`` (``isMeteredChanged``) — or any object with the same ``isMetered()`` and signal, which is
how a test fakes a metered network at the Qt level — and stops uploads while the connection is metered (and the
setting asks for it). The blocklist file is parsed on a worker; a broken file gives a sentence (``message``) and
leaves the previous list in place. Every engine call runs on the task runner.

Main thread; engine calls and file reading on the task runner's pool.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QNetworkInformation

from app.automation.speed_schedule import AltSpeedSwitch
from app.engine.blocklist import Blocklist, read_blocklist
from app.engine.settings import EngineSettings
from app.settings import AppSettings
from app.ui.tasks import TaskRunner

TICK_MS = 15_000


class AutomationEngine(Protocol):
    def apply_settings(self, settings: EngineSettings) -> None: ...
    def set_uploads_allowed(self, allowed: bool) -> None: ...
    def set_blocklist(self, blocklist: Blocklist | None) -> None: ...


def system_network_information() -> QObject | None:
    """Qt's network information (NetworkManager on Linux), or None where no backend loads."""
    if not QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Metered):
        return None
    return QNetworkInformation.instance()


class TransferAutomation(QObject):
    """Alternative limits, metered connections and the blocklist, applied to the engine."""

    alternative_changed = Signal(bool)
    uploads_allowed_changed = Signal(bool)
    message = Signal(str)  # a sentence for the user (blocklist loaded or refused)

    def __init__(
        self,
        engine: AutomationEngine,
        tasks: TaskRunner,
        settings: Callable[[], AppSettings],
        base: EngineSettings,
        *,
        network: QObject | None = None,
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
        self.switch = AltSpeedSwitch(self._on_alternative, clock)
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.switch.tick)
        self._timer.start()
        if network is not None:
            network.isMeteredChanged.connect(lambda _metered: self._apply_metered())  # type: ignore[attr-defined]

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
        if settings.blocklist_path != self._blocklist_path:
            self._blocklist_path = settings.blocklist_path
            self._load_blocklist(settings.blocklist_path)

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
