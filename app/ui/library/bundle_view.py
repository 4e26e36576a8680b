"""One bundle of the Library, beside the grid: its title and state, *Continue* and *Up next*, the actions
(*Play*, *Read*, *Download*, *Export decrypted copy…*, *Seeding limits…*, *Remove…*), and its episodes or tracks
in release order — each with its title (not its path), release, progress and watched state — then its books.
Double-clicking an episode plays from it; double-clicking a book (or *Read*) opens it in the system's reader.

It only shows and asks: every action is a signal with the bundle id (and the episode's path).

Main thread only.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.library import ShelfBook, ShelfBundle, ShelfEpisode

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
BOOK_ROLE = Qt.ItemDataRole.UserRole + 2  # a book row's path in the bundle ("" when the fan may not open it)


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}" if whole >= 3600 else \
        f"{whole // 60}:{whole % 60:02d}"


def progress_text(episode: ShelfEpisode) -> str:
    if not episode.playable:
        return "Locked"
    if episode.watched:
        return "Watched ✓"
    if episode.started:
        total = f" of {clock(episode.duration_s)}" if episode.duration_s else ""
        return f"{clock(episode.position_s)}{total} ({episode.progress * 100:.0f}%)"
    return ""


class BundleView(QWidget):
    play_requested = Signal(str, str)  # bundle id, path to start from ("" = from the start / where it was left)
    read_requested = Signal(str, str)  # bundle id, the book's path in the bundle
    download_requested = Signal(str)
    export_requested = Signal(str)
    remove_requested = Signal(str)
    seed_limits_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bundle: ShelfBundle | None = None
        self.title = QLabel("Pick a bundle on the left.")
        self.title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        self.title.setWordWrap(True)
        self.subtitle = QLabel()
        self.state = QLabel()
        self.continue_button = QPushButton()
        self.up_next_button = QPushButton()
        self.continue_button.clicked.connect(lambda: self._play(self.bundle.continue_episode if self.bundle else None))
        self.up_next_button.clicked.connect(lambda: self._play(self.bundle.up_next if self.bundle else None))
        actions = QHBoxLayout()
        self.play_button = self._button(actions, "Play", lambda b: self.play_requested.emit(b, ""))
        self.read_button = self._button(actions, "Read", lambda _b: self._read(
            self.bundle.first_readable_book if self.bundle else None))
        self.download_button = self._button(actions, "Download", self.download_requested.emit)
        self.export_button = self._button(actions, "Export decrypted copy…", self.export_requested.emit)
        self.seed_limits_button = self._button(actions, "Seeding limits…", self.seed_limits_requested.emit)
        self.remove_button = self._button(actions, "Remove…", self.remove_requested.emit)
        actions.addStretch(1)
        self.episodes = QTreeWidget()
        self.episodes.setColumnCount(3)
        self.episodes.setHeaderLabels(["Title", "Released", "Progress"])
        self.episodes.setRootIsDecorated(False)
        self.episodes.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.episodes.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.episodes.itemActivated.connect(self._on_episode_activated)  # double-click or Enter
        layout = QVBoxLayout(self)
        for widget in (self.title, self.subtitle, self.state, self.continue_button, self.up_next_button):
            layout.addWidget(widget)
        layout.addLayout(actions)
        layout.addWidget(self.episodes, 1)
        self.show_bundle(None, "")

    def _button(self, row: QHBoxLayout, text: str, emit: object) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda: emit(self.bundle.bundle_id) if self.bundle else None)  # type: ignore[operator]
        row.addWidget(button)
        return button

    def _play(self, episode: ShelfEpisode | None) -> None:
        if self.bundle is not None and episode is not None:
            self.play_requested.emit(self.bundle.bundle_id, episode.path)

    def _read(self, book: ShelfBook | None) -> None:
        if self.bundle is not None and book is not None and book.readable:
            self.read_requested.emit(self.bundle.bundle_id, book.path)

    def _on_episode_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        path, book = item.data(0, PATH_ROLE), item.data(0, BOOK_ROLE)
        if self.bundle is not None and path:
            self.play_requested.emit(self.bundle.bundle_id, str(path))
        elif self.bundle is not None and book:
            self.read_requested.emit(self.bundle.bundle_id, str(book))

    def show_state(self, text: str) -> None:
        self.state.setText(text)

    def show_bundle(self, bundle: ShelfBundle | None, state: str) -> None:
        self.bundle = bundle
        for button in (self.play_button, self.download_button, self.export_button, self.remove_button):
            button.setEnabled(bundle is not None)
        self.seed_limits_button.setEnabled(bundle is not None and bundle.torrent_id is not None)  # in the engine
        self.episodes.clear()
        if bundle is None:
            self.subtitle.setText("")
            self.state.setText("")
            self.continue_button.hide()
            self.up_next_button.hide()
            return
        self.title.setText(bundle.title)
        facts = [bundle.creator, bundle.kind, "backed" if bundle.backed else ("owned" if bundle.owned else "")]
        self.subtitle.setText(" · ".join(f for f in facts if f))
        self.state.setText(state)
        resume, up_next = bundle.continue_episode, bundle.up_next
        self.continue_button.setVisible(resume is not None)
        if resume is not None:
            self.continue_button.setText(f"▶ Continue “{resume.title}” from {clock(resume.position_s)}")
        self.up_next_button.setVisible(up_next is not None and up_next is not resume)
        if up_next is not None:
            self.up_next_button.setText(f"Up next: “{up_next.title}”")
        self.play_button.setVisible(bool(bundle.episodes))
        self.read_button.setVisible(bundle.first_readable_book is not None)
        for episode in bundle.episodes:
            released = time.strftime("%Y-%m-%d", time.localtime(episode.released_at)) if episode.released_at else ""
            row = QTreeWidgetItem([episode.title, released, progress_text(episode)])
            row.setData(0, PATH_ROLE, episode.path if episode.playable else "")
            row.setToolTip(0, episode.path)
            self.episodes.addTopLevelItem(row)
        for book in bundle.books:
            row = QTreeWidgetItem([book.title, "", "Read" if book.readable else "Locked"])
            row.setData(0, BOOK_ROLE, book.path if book.readable else "")
            row.setToolTip(0, book.path)
            self.episodes.addTopLevelItem(row)
        for title in bundle.other_files:
            self.episodes.addTopLevelItem(QTreeWidgetItem([title, "", ""]))

    def episode_rows(self) -> list[tuple[str, str]]:
        """(title, progress) of each row, as shown."""
        rows = (self.episodes.topLevelItem(i) for i in range(self.episodes.topLevelItemCount()))
        return [(row.text(0), row.text(2)) for row in rows if row is not None]
