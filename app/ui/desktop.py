"""The shell of the window: the main window, the tray, the engine bridge, and the shell's own Transfers and
Settings pages.

``app.ui.assembly`` (the one place that wires the window) builds the shell, then the sections (Store, Library,
Player …), and connects them to the shell's verbs and signals. The shell knows no section: it offers
``add_page``, ``show_page``, ``show_status``, ``notify``, ``add_close_hook`` and the ``started`` and
``quit_requested`` signals, and its ``bridge`` carries the engine's events as Qt signals. Nobody is handed the
shell itself.

Quitting: ``request_quit`` (tray menu, or closing the window without a tray) hides everything and emits
``quit_requested``; the composition root then leaves the event loop, calls ``close`` and shuts the engine
down, which saves every torrent's resume data.

Main thread only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QWidget

from app.engine.settings import EngineSettings
from app.engine.types import SessionTotals, TorrentSnapshot
from app.settings import AppSettings, SettingsError, SettingsStore
from app.ui.bridge import EngineBridge, EventSource
from app.ui.icons import app_icon
from app.ui.proxy_login import PasswordKeeper, ProxyLogin
from app.ui.rss_rules_dialog import RssRulesDialog
from app.ui.settings_page import SettingsPage
from app.ui.tasks import TaskRunner, ThreadPoolTaskRunner
from app.ui.transfer_automation import AutomationEngine, build_for_desktop
from app.ui.transfers.page import TransferEngine, TransfersPage, parse_source
from app.ui.tray import TrayIcon
from app.ui.window import MainWindow


class DesktopEngine(TransferEngine, AutomationEngine, EventSource, Protocol):
    """Everything the window asks of the engine."""

    @property
    def state_dir(self) -> Path: ...
    def pause_all(self) -> None: ...
    def resume_all(self) -> None: ...
    def apply_settings(self, settings: EngineSettings) -> None: ...
    def set_proxy_password(self, password: str) -> None: ...
    def snapshots(self) -> list[TorrentSnapshot]: ...


@dataclass(frozen=True, slots=True)
class DesktopConfig:
    """What the composition root decided about this run."""

    config_dir: Path
    default_download_dir: Path
    base_engine_settings: EngineSettings  # network layout; the user's settings are applied on top
    proxy_passwords: PasswordKeeper | None = None  # the keyring (app.store.proxy_password); None: none kept


class Desktop(QObject):
    """Owns the window and everything in it for one run of the app."""

    quit_requested = Signal()
    started = Signal()  # the window is up: sections start their background work (contacting the store …)

    def __init__(
        self,
        engine: DesktopEngine,
        settings_store: SettingsStore,
        settings: AppSettings,
        config: DesktopConfig,
        *,
        tasks: ThreadPoolTaskRunner | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self._close_hooks: list[Callable[[], None]] = []
        self._save_lock = threading.Lock()
        self.settings_store = settings_store
        self.settings = settings
        self.config = config
        self.runner = tasks or ThreadPoolTaskRunner(parent=self)
        self.tasks: TaskRunner = self.runner
        self.icon = app_icon()
        self.bridge = EngineBridge(engine, self)
        self.tray = TrayIcon(self.icon, self)
        self.window = MainWindow(self.icon, self._closes_to_tray)
        self.transfers = TransfersPage(
            engine, self.tasks, self.download_dir, parent=self.window,
            show_add_dialog=lambda: self.settings.show_add_dialog,
            view_state=QSettings(str(config.config_dir / "transfers.ini"), QSettings.Format.IniFormat),
        )
        self.settings_page = SettingsPage(settings, self.window)
        self.automation = build_for_desktop(  # alternative limits and schedule, metered, blocklist, contribution
            engine, tasks=self.tasks, settings=lambda: self.settings, base=config.base_engine_settings,
            state_dir=engine.state_dir, config_dir=config.config_dir, download_dir=self.download_dir, parent=self,
        )
        self.window.add_page(self.transfers, "Transfers")
        self.window.add_page(self.settings_page, "Settings")
        self._geometry = QSettings(str(config.config_dir / "window.ini"), QSettings.Format.IniFormat)
        self.window.restore_geometry(self._geometry)
        self.add_close_hook(self.transfers.cancel_add_dialogs)  # a magnet held by an open add dialog is let go
        self.proxy_login = ProxyLogin(engine.set_proxy_password, config.proxy_passwords, self.tasks, self)
        self._connect()
        self.transfers.apply_stats(tuple(engine.snapshots()))

    # --- wiring --------------------------------------------------------------------------------------
    def _connect(self) -> None:
        bridge = self.bridge
        bridge.stats_updated.connect(self._on_stats)
        bridge.torrent_removed.connect(self.transfers.remove_row)
        bridge.torrent_finished.connect(self._on_torrent_finished)
        self.tray.show_requested.connect(self.window.bring_to_front)
        self.tray.pause_all_requested.connect(lambda: self.tasks.run(self.engine.pause_all))
        self.tray.resume_all_requested.connect(lambda: self.tasks.run(self.engine.resume_all))
        self.tray.quit_requested.connect(self.request_quit)
        self.window.quit_requested.connect(self.request_quit)
        self.window.hidden_to_tray.connect(self._on_hidden_to_tray)
        self.settings_page.settings_saved.connect(self.save_settings)
        self.settings_page.transfer_form.proxy_password_entered.connect(self.proxy_login.hold)
        self.proxy_login.failed.connect(self.settings_page.saved_label.setText)
        self.tray.alternative_speed_toggled.connect(self.automation.toggle_alternative)
        self.automation.alternative_changed.connect(self.tray.set_alternative_speed)
        self.automation.alternative_changed.connect(
            lambda on: self.save_settings(self.settings.replace(alt_speed_on=on))
        )
        self.automation.contribution_changed.connect(self.tray.set_contribution)
        self.automation.message.connect(self.transfers.banner.show_info)
        self.settings_page.transfer_form.rss_rules_requested.connect(self._open_rss_rules)

    def _on_stats(self, snapshots: tuple[TorrentSnapshot, ...], totals: SessionTotals) -> None:
        self.transfers.apply_stats(snapshots)
        self.automation.take_batch(snapshots)
        # Not ``totals``' rates: those are libtorrent's slowly decaying averages (see app/ui/shown_rates.py).
        down, up = self.transfers.rates.totals()  # what the rows show, summed (the page keeps the board)
        self.window.set_rates(down, up)
        self.tray.set_rates(down, up)

    def _open_rss_rules(self) -> None:
        dialog = RssRulesDialog(self.config.config_dir, self.tasks, self.window)
        dialog.saved.connect(self.automation.check_rss)
        dialog.open()

    def _on_torrent_finished(self, _torrent_id: str, name: str) -> None:
        self.tray.notify("Download finished", f"“{name}” is complete and seeding.")

    def _closes_to_tray(self) -> bool:
        return self.settings.close_to_tray and self.tray.available

    def _on_hidden_to_tray(self) -> None:
        if not self.settings.tray_hint_shown:
            self.tray.notify(
                "Bundlecast keeps seeding",
                "The window is closed but your torrents keep seeding. Quit from the tray icon's menu.",
            )
            self.save_settings(self.settings.replace(tray_hint_shown=True))

    # --- verbs ---------------------------------------------------------------------------------------
    def add_page(self, page: QWidget, title: str) -> None:
        """A section's page gets a tab, after the pages added before it and before the shell's own."""
        self.window.insert_page(self.window.tabs.indexOf(self.transfers), page, title)

    def show_page(self, page: QWidget) -> None:
        self.window.show_page(page)

    def show_status(self, text: str) -> None:
        """One line in the status bar: the store's state, a playback error …"""
        self.window.show_status(text)

    def notify(self, title: str, text: str) -> None:
        """A desktop notification through the tray (when there is one)."""
        self.tray.notify(title, text)

    def download_dir(self) -> Path:
        return self.settings.download_path(self.config.default_download_dir)

    def start(self, sources: list[str]) -> None:
        """Show the window (unless starting minimized to a tray that exists) and add launch arguments."""
        self.window.tabs.setCurrentIndex(0)  # the first section's page (the Store), not the shell's Transfers
        if not (self.settings.start_minimized and self.tray.available):
            self.window.show()
        self.automation.settings_changed(self.settings)
        self.proxy_login.restore(self.settings.proxy_username)
        self.started.emit()
        self.add_launch_arguments(sources)

    def handle_arguments(self, arguments: list[str]) -> None:
        """Another launch handed over its arguments: come to the front and add its magnets/torrents."""
        self.window.bring_to_front()
        self.add_launch_arguments(arguments)

    def add_launch_arguments(self, arguments: list[str]) -> None:
        sources = [s for s in map(parse_source, arguments) if s]
        if sources:
            self.window.show_page(self.transfers)
            self.transfers.add_sources(sources)

    def save_settings(self, new: AppSettings) -> None:
        """Take the user's settings now; persist them and apply them to the engine on a worker (both may block)."""
        # The Settings page does not show the once-only tray hint flag; never let it reset the flag.
        self.settings = new.replace(tray_hint_shown=self.settings.tray_hint_shown or new.tray_hint_shown)
        engine_settings = self.settings.engine_settings(
            self.config.base_engine_settings, alternative=self.automation.alternative
        )
        self.automation.settings_changed(self.settings)
        keep_password = self.proxy_login.take_held()  # a new proxy password: kept and given before the settings

        def persist() -> None:
            with self._save_lock:  # two saves in flight: the later one writes the newest settings, last
                self.settings_store.save(self.settings)
            if keep_password is not None:
                keep_password()
            self.engine.apply_settings(engine_settings)

        self.tasks.run(persist, None, self._on_settings_not_saved)

    def _on_settings_not_saved(self, exc: BaseException) -> None:
        self.settings_page.saved_label.setText(str(exc) if isinstance(exc, SettingsError) else f"Not applied: {exc}")

    def request_quit(self) -> None:
        """Hide the window and tray, keep the geometry, and ask the composition root to shut down."""
        self.window.save_geometry(self._geometry)
        self.window.hide()
        self.tray.hide()
        self.quit_requested.emit()

    def add_close_hook(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` in ``close`` (the player saves positions and frees VLC before the engine stops)."""
        self._close_hooks.append(hook)

    def close(self) -> None:
        """Stop listening to the engine and let running work finish (before the engine shuts down)."""
        for hook in self._close_hooks:
            hook()
        self.automation.save_contribution(now=True)
        self.bridge.close()
        self.runner.wait_for_done(15_000)
        self.tray.hide()
        self.window.deleteLater()
