"""The main window: one tab per page (Store, Library, Transfers, Player, Settings) and a status bar with the
global rates and the store's state.

Closing the window never quits by itself: ``closeEvent`` asks ``close_to_tray()`` — when it says yes the
window hides (the app keeps seeding from the tray) and ``hidden_to_tray`` is emitted; otherwise
``quit_requested`` is emitted and the composition root shuts everything down in order. Window geometry is
kept in a ``QSettings`` file apart from the user's settings.

Main thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QSettings, Signal
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from app.ui.units import format_rate


class MainWindow(QMainWindow):
    """Tabs and a status bar; knows nothing about what the pages do."""

    hidden_to_tray = Signal()
    quit_requested = Signal()

    def __init__(self, icon: QIcon, close_to_tray: Callable[[], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._close_to_tray = close_to_tray
        self.setWindowTitle("Bundlecast")
        self.setWindowIcon(icon)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.rates_label = QLabel("↓ 0 B/s   ↑ 0 B/s")
        self.status_label = QLabel("")
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.rates_label)
        self.resize(1100, 720)

    def add_page(self, page: QWidget, title: str) -> None:
        self.tabs.addTab(page, title)

    def add_bar(self, bar: QWidget) -> None:
        """A bar over the tabs (a notice that hides itself when it has nothing to say)."""
        tabs = self.takeCentralWidget()
        assert tabs is not None
        holder = QWidget(self)
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(bar)
        layout.addWidget(tabs, 1)
        self.setCentralWidget(holder)

    def insert_page(self, index: int, page: QWidget, title: str) -> None:
        """``index`` -1 appends."""
        self.tabs.insertTab(index, page, title)

    def show_page(self, page: QWidget) -> None:
        self.tabs.setCurrentWidget(page)

    def page_titles(self) -> list[str]:
        return [self.tabs.tabText(i) for i in range(self.tabs.count())]

    def set_rates(self, download_rate: int, upload_rate: int) -> None:
        down = format_rate(download_rate) or "0 B/s"
        up = format_rate(upload_rate) or "0 B/s"
        self.rates_label.setText(f"↓ {down}   ↑ {up}")

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)

    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        event.ignore()
        if self._close_to_tray():
            self.hide()
            self.hidden_to_tray.emit()
        else:
            self.quit_requested.emit()

    def restore_geometry(self, store: QSettings) -> None:
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    def save_geometry(self, store: QSettings) -> None:
        store.setValue("window/geometry", self.saveGeometry())
        store.sync()
