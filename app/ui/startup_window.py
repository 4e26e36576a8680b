"""The window a fan sees the moment they start Bundlecast, while the parts are built behind it.

Building the app (the engine, the store client, VLC, every page) takes seconds on a cold start, most of it
importing; this small window needs only Qt, so it is on screen at once and says what is happening — the first
time, that the built-in demo store is being prepared (its media are generated once, about a minute). It closes
when the main window appears. Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from app.ui.icons import app_icon

STARTING_TEXT = "Bundlecast is starting…"
FIRST_TIME_TEXT = ("Preparing the demo store. The first start builds its catalog — about a minute; "
                   "the window opens in a moment and shows how far it has got.")


class StartupWindow(QWidget):
    def __init__(self, *, first_time: bool) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle("Bundlecast")
        self.setWindowIcon(app_icon())
        self.headline = QLabel(STARTING_TEXT)
        self.headline.setStyleSheet("font-size: 16pt; font-weight: 600;")
        self.detail = QLabel(FIRST_TIME_TEXT if first_time else "")
        self.detail.setWordWrap(True)
        self.detail.setVisible(first_time)
        busy = QProgressBar()
        busy.setRange(0, 0)  # busy: no figure to show yet
        busy.setTextVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addWidget(busy)
        self.resize(460, 160)


def show_startup_window(*, first_time: bool) -> StartupWindow:
    """Show the startup window and let Qt paint it before the caller goes on building."""
    from PySide6.QtWidgets import QApplication

    window = StartupWindow(first_time=first_time)
    window.show()
    QApplication.processEvents()
    return window
