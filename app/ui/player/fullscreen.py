"""A true fullscreen for the player: the picture alone on the whole screen — no tabs, no title, no playlist,
no status bar — with the controls appearing while the mouse moves and hiding again after a moment of stillness.

``FullscreenMode.enter()`` hides the page's other parts and the window's chrome around it (the tab bars and
status/menu bars of its ancestors), takes the margins away, and shows the window fullscreen; ``leave()`` puts
everything back as it was. The picture's native window (which VLC draws into) is never moved or recreated:
reparenting it while VLC drew crashed VLC's X11 output. Main thread only.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QMargins, QObject, QRect, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLayout, QMainWindow, QTabWidget, QWidget

CONTROLS_HIDE_AFTER_MS = 2500


class FullscreenMode(QObject):
    def __init__(self, page: QWidget, page_parts: Sequence[QWidget], controls: QWidget) -> None:
        super().__init__(page)
        self._page = page
        self._page_parts = tuple(page_parts)  # hidden while fullscreen (title, playlist, …)
        self._controls = controls
        self._hidden: list[QWidget] = []
        self._margins: list[tuple[QLayout, QMargins, int]] = []
        self._was_maximized = False
        self._geometry = QRect()
        self._active = False
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.setInterval(CONTROLS_HIDE_AFTER_MS)
        self._hide_timer.timeout.connect(self._hide_controls)

    @property
    def active(self) -> bool:
        return self._active

    @property
    def controls_shown(self) -> bool:
        return self._controls.isVisible()

    def enter(self) -> None:
        if self._active:
            return
        self._active = True
        window = self._page.window()
        self._was_maximized = window.isMaximized()
        self._geometry = window.geometry()
        self._hide_all(list(self._page_parts) + self._chrome_around_page())
        self._drop_margins()
        # Without a window manager (a kiosk, Xvfb) nobody acts on the fullscreen request: size the window first.
        window.setGeometry(window.screen().geometry())
        window.showFullScreen()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)  # mouse moves over VLC's native window reach Qt only application-wide
        self._hide_timer.start()

    def leave(self) -> None:
        if not self._active:
            return
        self._active = False
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._hide_timer.stop()
        for widget in self._hidden:
            widget.show()
        self._hidden.clear()
        for layout, margins, spacing in self._margins:
            layout.setContentsMargins(margins)
            layout.setSpacing(spacing)
        self._margins.clear()
        self._controls.show()
        self._page.unsetCursor()
        window = self._page.window()
        if self._was_maximized:
            window.showMaximized()
        else:
            window.showNormal()
            window.setGeometry(self._geometry)

    def show_controls(self) -> None:
        self._controls.show()
        self._page.unsetCursor()
        self._hide_timer.start()

    def _chrome_around_page(self) -> list[QWidget]:
        chrome: list[QWidget] = []
        parent = self._page.parentWidget()
        while parent is not None:
            if isinstance(parent, QTabWidget):
                chrome.append(parent.tabBar())
            if isinstance(parent, QMainWindow):
                chrome += [w for w in (parent.statusBar(), parent.menuWidget()) if w is not None]
            parent = parent.parentWidget()
        return chrome

    def _hide_all(self, widgets: list[QWidget]) -> None:
        for widget in widgets:
            if widget.isVisible():
                widget.hide()
                self._hidden.append(widget)

    def _drop_margins(self) -> None:
        widget: QWidget | None = self._page
        while widget is not None:
            layout = widget.layout()
            if layout is not None:
                self._margins.append((layout, layout.contentsMargins(), layout.spacing()))
                layout.setContentsMargins(0, 0, 0, 0)
                layout.setSpacing(0)
            widget = widget.parentWidget()

    def _hide_controls(self) -> None:
        if not self._active:
            return
        if self._controls.underMouse():
            self._hide_timer.start()
            return
        self._controls.hide()
        self._page.setCursor(Qt.CursorShape.BlankCursor)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.MouseMove and self._active:
            self.show_controls()
        return False
