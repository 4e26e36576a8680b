"""The "Live now" row and the upcoming broadcasts at the top of the Store's catalog.

``LiveRow`` fetches the store's live listing on the task runner (at ``reload`` — when the store connects — and every
``REFRESH_MS`` while it is on screen) and shows each broadcast as one line: ``● LIVE`` or its start time, title,
creator, what it takes to watch. It hides itself when nothing is live or coming. Opening a line emits
``bundle_selected(bundle_id)``. Main thread; HTTP on the task runner.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.store.live import LiveEntry, LiveListing
from app.ui.store.live_text import entry_text
from app.ui.tasks import TaskRunner

REFRESH_MS = 60_000
BUNDLE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
MAX_ROWS_SHOWN = 4  # a longer list scrolls inside the row; the catalog stays in view


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-size: 12pt; font-weight: 600;")
    return label


class LiveRow(QWidget):
    bundle_selected = Signal(str)
    loaded = Signal(int, int)  # live now, upcoming

    def __init__(self, load_live: Callable[[], LiveListing], tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._load_live = load_live
        self._tasks = tasks
        self.live_heading = _heading("Live now")
        self.live_list = self._list()
        self.upcoming_heading = _heading("Upcoming broadcasts")
        self.upcoming_list = self._list()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.live_heading, self.live_list, self.upcoming_heading, self.upcoming_list):
            layout.addWidget(widget)
        self.hide()
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh_if_shown)
        self._timer.start()

    def _list(self) -> QListWidget:
        widget = QListWidget()
        widget.itemActivated.connect(self._open)
        widget.itemClicked.connect(self._open)
        return widget

    def reload(self) -> None:
        self._tasks.run(self._load_live, self.show_listing, self._keep_what_is_shown)

    def _refresh_if_shown(self) -> None:
        if self.isVisible():
            self.reload()

    def _keep_what_is_shown(self, _exc: BaseException) -> None:
        """A store that does not answer keeps the last listing (the catalog below says what is wrong)."""

    def show_listing(self, listing: LiveListing) -> None:
        self._fill(self.live_heading, self.live_list, listing.live_now)
        self._fill(self.upcoming_heading, self.upcoming_list, listing.upcoming)
        self.setVisible(bool(listing.live_now or listing.upcoming))
        self.loaded.emit(len(listing.live_now), len(listing.upcoming))

    def _fill(self, heading: QLabel, widget: QListWidget, entries: tuple[LiveEntry, ...]) -> None:
        widget.clear()
        for entry in entries:
            item = QListWidgetItem(entry_text(entry))
            item.setData(BUNDLE_ID_ROLE, entry.bundle_id)
            item.setToolTip(entry.summary)
            widget.addItem(item)
        heading.setVisible(bool(entries))
        widget.setVisible(bool(entries))
        rows = min(len(entries), MAX_ROWS_SHOWN)
        widget.setFixedHeight(rows * max(widget.sizeHintForRow(0), 20) + 2 * widget.frameWidth() + 4)

    def lines(self) -> list[str]:
        """Every line shown, live ones first (tests, accessibility)."""
        return [w.item(i).text() for w in (self.live_list, self.upcoming_list) for i in range(w.count())]

    def _open(self, item: QListWidgetItem) -> None:
        self.bundle_selected.emit(str(item.data(BUNDLE_ID_ROLE)))
