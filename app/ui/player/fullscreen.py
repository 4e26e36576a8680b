"""A true fullscreen for the player: the picture alone on the whole screen — no tabs, no playlist, no title —
with the controls appearing while the mouse moves and hiding again after a moment of stillness.

``FullscreenView.enter(picture, controls)`` moves the page's picture area (the native window VLC draws into;
Qt reparents it, its window id stays) and its control row into a frameless top-level window shown fullscreen;
``leave()`` hands them back for the page to put where they were. Keys pressed there go to ``on_key``.
Main thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

CONTROLS_HIDE_AFTER_MS = 2500


class FullscreenView(QWidget):
    def __init__(self, on_key: Callable[[QKeyEvent], bool]) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self.setStyleSheet("background: black;")
        self.setWindowTitle("Bundlecast — fullscreen")
        self._on_key = on_key
        self._picture: QWidget | None = None
        self._controls: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.setInterval(CONTROLS_HIDE_AFTER_MS)
        self._hide_timer.timeout.connect(self._hide_controls)
        self.setMouseTracking(True)

    @property
    def active(self) -> bool:
        return self._picture is not None

    @property
    def controls_shown(self) -> bool:
        return self._controls is not None and self._controls.isVisible()

    def enter(self, picture: QWidget, controls: QWidget) -> None:
        self._picture, self._controls = picture, controls
        self._layout.addWidget(picture, 1)
        self._layout.addWidget(controls)
        picture.show()
        controls.show()
        self.showFullScreen()
        self.activateWindow()
        self.setFocus()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)  # mouse moves over VLC's native window reach Qt only application-wide
        self._hide_timer.start()

    def leave(self) -> tuple[QWidget, QWidget] | None:
        """Give the picture and controls back (the caller re-parents them); None when not fullscreen."""
        if self._picture is None or self._controls is None:
            return None
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._hide_timer.stop()
        widgets = (self._picture, self._controls)
        for widget in widgets:
            self._layout.removeWidget(widget)
        self._controls.show()
        self._picture = self._controls = None
        self.hide()
        return widgets

    def show_controls(self) -> None:
        if self._controls is not None:
            self._controls.show()
            self.unsetCursor()
            self._hide_timer.start()

    def _hide_controls(self) -> None:
        controls = self._controls
        if controls is None:
            return
        if controls.underMouse():
            self._hide_timer.start()
            return
        controls.hide()
        self.setCursor(Qt.CursorShape.BlankCursor)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.MouseMove and self.active:
            self.show_controls()
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._on_key(event):
            super().keyPressEvent(event)
