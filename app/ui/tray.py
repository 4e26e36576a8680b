"""The tray icon: rates in its tooltip, a menu (Show, Pause all, Resume all, Quit), and notifications.

Where the desktop has no system tray (``QSystemTrayIcon.isSystemTrayAvailable()`` is False — offscreen, a bare
X server, some Wayland shells) ``TrayIcon.available`` is False, nothing is shown, and the window quits on close
instead of hiding (a hidden window with no tray could never be brought back).

Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.ui.units import format_rate


class TrayIcon(QObject):
    """Bundlecast's presence in the system tray."""

    show_requested = Signal()
    pause_all_requested = Signal()
    resume_all_requested = Signal()
    quit_requested = Signal()
    alternative_speed_toggled = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._available = QSystemTrayIcon.isSystemTrayAvailable()
        self.menu = QMenu()
        self.show_action = self._add_action("Show Bundlecast", self.show_requested)
        self.menu.addSeparator()
        self.pause_all_action = self._add_action("Pause all", self.pause_all_requested)
        self.resume_all_action = self._add_action("Resume all", self.resume_all_requested)
        self.alternative_speed_action = self.menu.addAction("Alternative speed limits")
        self.alternative_speed_action.setCheckable(True)
        self.alternative_speed_action.triggered.connect(lambda _checked: self.alternative_speed_toggled.emit())
        self.contribution_action = self.menu.addAction("")
        self.contribution_action.setEnabled(False)
        self.contribution_action.setVisible(False)
        self._contribution = ""
        self._rates_text = ""
        self.menu.addSeparator()
        self.quit_action = self._add_action("Quit", self.quit_requested)
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setContextMenu(self.menu)
        self.icon.setToolTip("Bundlecast")
        self.icon.activated.connect(self._on_activated)
        self.messages: list[tuple[str, str]] = []  # every notification shown, oldest first
        if self._available:
            self.icon.show()

    @property
    def available(self) -> bool:
        """True when the desktop shows tray icons (so closing the window can keep the app running)."""
        return self._available

    def _add_action(self, text: str, signal: SignalInstance) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(signal.emit)
        return action

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()

    def set_rates(self, download_rate: int, upload_rate: int) -> None:
        down = format_rate(download_rate) or "0 B/s"
        up = format_rate(upload_rate) or "0 B/s"
        self._rates_text = f"↓ {down}   ↑ {up}"
        self._show_tooltip()

    def set_alternative_speed(self, on: bool) -> None:
        """Tick the menu's "Alternative speed limits" entry (whoever switched them)."""
        self.alternative_speed_action.setChecked(on)

    def set_contribution(self, sentence: str) -> None:
        """"2.4 GB uploaded this week to 37 fans": in the menu and the tooltip."""
        self._contribution = sentence
        self.contribution_action.setText(sentence)
        self.contribution_action.setVisible(bool(sentence))
        self._show_tooltip()

    def _show_tooltip(self) -> None:
        lines = ["Bundlecast", self._rates_text, self._contribution]
        self.icon.setToolTip("\n".join(line for line in lines if line))

    @property
    def tooltip(self) -> str:
        return self.icon.toolTip()

    def notify(self, title: str, text: str) -> None:
        """A desktop notification (a balloon from the tray icon) when the tray exists."""
        self.messages.append((title, text))
        if self._available:
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)

    @property
    def last_message(self) -> tuple[str, str] | None:
        return self.messages[-1] if self.messages else None

    def hide(self) -> None:
        self.icon.hide()
