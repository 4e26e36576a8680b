"""The Library tab: the fan's media library — a grid of covers with badges, *Continue watching*, search and
sort, and the chosen bundle's view (episodes and tracks with their progress, *Continue*, *Up next*, *Play*,
*Read*, *Download*, *Export decrypted copy…*, *Remove…*), plus *Rebuild library* and *Refresh*.

Everything on the shelf comes from ``Library.shelf`` on a worker (licenses from the keyring, the index, the watch
state); download states come from the engine's stats batches through ``ShelfModel.apply_stats``. The grid is a
``QListView`` in icon mode over a ``ShelfModel`` (through a ``ShelfFilter``) painted by ``CoverDelegate``, so it
stays fast with 1,000 bundles. Double-clicking a cover plays where the fan left off (or what is up next);
double-clicking an episode plays from it; a book (its row, *Read*, or the cover of a bundle with no episodes)
asks to open it in the system's reader (``read_requested``). Play, Read, Download, Rebuild and Remove are
requests (signals) the assembler routes to the Player, Store and playable-copies parts and the engine; export runs
here on a worker with a progress bar.

Main thread; keyring, store and disk work on the task runner.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSize, Signal
from PySide6.QtGui import QIcon, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.engine.types import TorrentId, TorrentSnapshot
from app.library import Library, ShelfBundle
from app.ui.banner import Banner
from app.ui.covers import CoverCache
from app.ui.errors import user_message
from app.ui.library.bundle_view import BundleView
from app.ui.library.delegate import CARD, CoverDelegate
from app.ui.library.model import ShelfFilter, ShelfModel, SortKey
from app.ui.tasks import TaskRunner

CONTINUE_LIMIT = 12  # cards in the Continue watching strip
_STRIP_ICON = QSize(60, 80)


class _ExportProgress(QObject):
    # emitted on the export worker, delivered queued on the main thread
    advanced = Signal(object, object)  # bytes done, bytes total (Python ints: bundles pass 2 GiB)


class LibraryPage(QWidget):
    download_requested = Signal(str)  # bundle id
    rebuild_requested = Signal(list)  # bundle ids
    play_requested = Signal(str, str)  # bundle id, path to start from ("" = where it was left, or the start)
    read_requested = Signal(str, str)  # bundle id, a book's path: open it in the system's reader
    remove_torrent_requested = Signal(str)  # torrent id — with its data
    seed_limits_requested = Signal(str)  # torrent id — its own share-ratio and seeding-time limits
    refreshed = Signal(int)  # number of bundles listed
    export_finished = Signal(str)  # folder written

    def __init__(
        self,
        library: Library,
        tasks: TaskRunner,
        covers: CoverCache | None = None,
        *,
        choose_folder: Callable[[], str] | None = None,
        confirm_remove: Callable[[str, Callable[[], None]], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._tasks = tasks
        self._covers = covers
        self._choose_folder = choose_folder or (
            lambda: QFileDialog.getExistingDirectory(self, "Export a decrypted copy to…"))
        self._confirm_remove = confirm_remove or self._ask_remove
        self._loading = False
        self._again: bool | None = None  # a refresh asked for while one runs (True: with a store sync)
        self._continue_rows: list[tuple[str, str, str]] = []  # (bundle id, path, cover URL) per strip row
        self.model = ShelfModel(covers, self)
        self.shown = ShelfFilter(self)
        self.shown.setSourceModel(self.model)
        self._build()
        self._export_progress = _ExportProgress(self)
        self._export_progress.advanced.connect(self._on_export_progress)
        if covers is not None:
            covers.cover_ready.connect(self._on_cover_ready)

    def _build(self) -> None:
        self.banner = Banner(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search your library")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.shown.set_search)
        self.sort = QComboBox()
        for key in SortKey:
            self.sort.addItem(f"Sort: {key.value}", key)
        self.sort.currentIndexChanged.connect(lambda _i: self.model.sort_by(self.sort.currentData()))
        self.rebuild_button = QPushButton("Rebuild library")
        self.rebuild_button.clicked.connect(self.rebuild)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        for widget in (self.search, self.sort, self.rebuild_button, self.refresh_button):
            top.addWidget(widget, 1 if widget is self.search else 0)
        self.progress = QProgressBar()
        self.progress.hide()
        self._build_continue_strip()
        self._build_grid()
        self.empty_label = QLabel("Bundles you get, back or sample in the Store appear here, ready to play.")
        self.empty_label.setStyleSheet("color: #555; padding: 12px;")
        splitter = QSplitter()
        splitter.addWidget(self.grid)
        splitter.addWidget(self.view)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.continue_label)
        layout.addWidget(self.continue_strip)
        layout.addWidget(self.empty_label)
        layout.addWidget(splitter, 1)
        self._show_continue([])

    def _build_continue_strip(self) -> None:
        self.continue_label = QLabel("Continue watching")
        self.continue_label.setStyleSheet("font-weight: 600;")
        self.continue_strip = QListWidget()
        self.continue_strip.setViewMode(QListView.ViewMode.IconMode)
        self.continue_strip.setFlow(QListView.Flow.LeftToRight)
        self.continue_strip.setWrapping(False)
        self.continue_strip.setIconSize(_STRIP_ICON)
        self.continue_strip.setGridSize(QSize(180, _STRIP_ICON.height() + 44))
        self.continue_strip.setFixedHeight(_STRIP_ICON.height() + 64)
        self.continue_strip.setMovement(QListView.Movement.Static)
        # "activated": a double-click (or Enter) — connecting doubleClicked as well would play twice.
        self.continue_strip.itemActivated.connect(self._on_continue_activated)

    def _build_grid(self) -> None:
        self.grid = QListView()
        self.grid.setObjectName("library")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setGridSize(QSize(CARD.width() + 8, CARD.height() + 8))
        self.grid.setItemDelegate(CoverDelegate(lambda index: self.model.card(self._source_row(index)), self.grid))
        self.grid.setModel(self.shown)
        self.grid.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.grid.selectionModel().currentChanged.connect(lambda current, _prev: self._show_selected(current))
        self.grid.activated.connect(self._on_cover_activated)  # double-click or Enter
        self.model.dataChanged.connect(self._on_model_changed)
        self.view = BundleView()
        self.view.play_requested.connect(self.play_requested)
        self.view.read_requested.connect(self.read_requested)
        self.view.download_requested.connect(self.download_requested)
        self.view.export_requested.connect(lambda _b: self.export_selected())
        self.view.remove_requested.connect(lambda _b: self.remove_selected())
        self.view.seed_limits_requested.connect(lambda _b: self._ask_seed_limits())
        self.play_button, self.download_button = self.view.play_button, self.view.download_button
        self.export_button, self.remove_button = self.view.export_button, self.view.remove_button

    # --- data ----------------------------------------------------------------------------------------
    def refresh(self, *, sync: bool = True) -> None:
        """Re-read the shelf in the background (``sync``: first ask the store for licenses issued since)."""
        if self._loading:
            self._again = bool(self._again) or sync
            return
        self._loading = True
        library = self._library
        self._tasks.run(lambda: library.shelf(sync=sync), self._show_shelf, self._on_shelf_failed)

    def _on_shelf_failed(self, exc: BaseException) -> None:
        self._loading = False
        self.banner.show_error(user_message(exc))
        self._refresh_again()

    def _refresh_again(self) -> None:
        again, self._again = self._again, None
        if again is not None:
            self.refresh(sync=again)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh(sync=False)  # what was played since shows its progress

    def apply_stats(self, snapshots: tuple[TorrentSnapshot, ...], _totals: object = None) -> None:
        self.model.apply_stats(snapshots)

    def forget_torrent(self, torrent_id: TorrentId) -> None:
        self.model.forget_torrent(torrent_id)

    def _show_shelf(self, bundles: list[ShelfBundle]) -> None:
        self._loading = False
        current = self.view.bundle.bundle_id if self.view.bundle else None
        self.model.set_bundles(bundles)
        self.empty_label.setVisible(not bundles)
        self._show_continue(bundles)
        if current is not None and not self.select_bundle(current):
            self.view.show_bundle(None, "")
        self.refreshed.emit(len(bundles))
        self._refresh_again()

    def _show_continue(self, bundles: list[ShelfBundle]) -> None:
        started = sorted((b for b in bundles if b.continue_episode is not None), key=lambda b: -b.last_played_at)
        self.continue_strip.clear()
        # The items hold no Python objects (with a tuple in each item's data, PySide6 6.12 on CPython 3.11 lost
        # references to None while the strip painted, until the interpreter aborted): the rows index this list.
        self._continue_rows = [(b.bundle_id, b.continue_episode.path, b.cover_url)  # type: ignore[union-attr]
                               for b in started[:CONTINUE_LIMIT]]
        for bundle in started[:CONTINUE_LIMIT]:
            episode = bundle.continue_episode
            assert episode is not None
            item = QListWidgetItem(f"{bundle.title}\n{episode.title} · {episode.progress * 100:.0f}%")
            cover = self._covers.request(bundle.cover_url) if self._covers is not None else None
            if cover is not None:
                item.setIcon(QIcon(cover))
            self.continue_strip.addItem(item)
        self.continue_label.setVisible(bool(started))
        self.continue_strip.setVisible(bool(started))

    def _on_cover_ready(self, url: str, pixmap: QPixmap) -> None:
        for row, (_bundle_id, _path, cover_url) in enumerate(self._continue_rows):
            if cover_url == url and (item := self.continue_strip.item(row)) is not None:
                item.setIcon(QIcon(pixmap))

    def _on_model_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, _roles: object = None) -> None:
        bundle = self.view.bundle
        row = self.model.row_of(bundle.bundle_id) if bundle is not None else None
        if row is not None and top_left.row() <= row <= bottom_right.row():
            self.view.show_state(self.model.state_at(row))

    # --- what tests and the fan see --------------------------------------------------------------------
    def _source_row(self, index: QModelIndex | QPersistentModelIndex) -> int:
        """The model's row of a grid index (through the search filter)."""
        source = self.shown.mapToSource(index)
        return source.row() if source.isValid() else -1

    def _bundle_at(self, index: QModelIndex | QPersistentModelIndex) -> ShelfBundle | None:
        return self.model.bundle_at(self._source_row(index))

    def titles(self) -> list[str]:
        shown = (self._bundle_at(self.shown.index(row, 0)) for row in range(self.shown.rowCount()))
        return [bundle.title for bundle in shown if bundle is not None]

    def bundle_titled(self, title: str) -> ShelfBundle | None:
        return next((b for b in self.model.bundles() if b.title == title), None)

    def state_of(self, title: str) -> str:
        row = next((r for r, b in enumerate(self.model.bundles()) if b.title == title), None)
        return "" if row is None else self.model.state_at(row)

    def select_title(self, title: str) -> bool:
        bundle = self.bundle_titled(title)
        return bundle is not None and self.select_bundle(bundle.bundle_id)

    def select_bundle(self, bundle_id: str) -> bool:
        row = self.model.row_of(bundle_id)
        if row is None:
            return False
        index = self.shown.mapFromSource(self.model.index(row))
        if not index.isValid():
            return False
        self.grid.setCurrentIndex(index)
        self._show_selected(index)
        return True

    def grid_index_of(self, title: str) -> QModelIndex:
        row = next((r for r, b in enumerate(self.model.bundles()) if b.title == title), -1)
        return self.shown.mapFromSource(self.model.index(row))

    def _show_selected(self, index: QModelIndex) -> None:
        row = self._source_row(index)
        bundle = self.model.bundle_at(row)
        self.view.show_bundle(bundle, self.model.state_at(row) if bundle else "")

    def _selected(self) -> ShelfBundle | None:
        return self.view.bundle

    # --- actions -------------------------------------------------------------------------------------
    def _on_cover_activated(self, index: QModelIndex) -> None:
        bundle = self._bundle_at(index)
        if bundle is None:
            return
        book = bundle.first_readable_book
        if not bundle.episodes and book is not None:  # a book opens in the system's reader
            self.read_requested.emit(bundle.bundle_id, book.path)
            return
        start = bundle.continue_episode or bundle.up_next
        self.play_requested.emit(bundle.bundle_id, start.path if start else "")

    def _on_continue_activated(self, item: QListWidgetItem) -> None:
        bundle_id, path, _cover = self._continue_rows[self.continue_strip.row(item)]
        self.play_requested.emit(bundle_id, path)

    def rebuild(self) -> None:
        """Re-add every owned bundle to the engine and re-check what is on disk."""
        self.rebuild_requested.emit([b.bundle_id for b in self.model.bundles() if b.owned])

    def remove_selected(self) -> None:
        bundle = self._selected()
        if bundle is None or bundle.torrent_id is None:
            return
        torrent_id = bundle.torrent_id
        self._confirm_remove(bundle.title, lambda: self.remove_torrent_requested.emit(torrent_id))

    def _ask_seed_limits(self) -> None:
        bundle = self._selected()
        if bundle is not None and bundle.torrent_id is not None:
            self.seed_limits_requested.emit(bundle.torrent_id)

    def _ask_remove(self, title: str, then: Callable[[], None]) -> None:
        """Ask window-modally (``open()``, never a blocking ``exec()``); ``then`` runs on *Yes*."""
        question = QMessageBox(
            QMessageBox.Icon.Question, "Remove from this computer",
            f"Delete the downloaded files of “{title}”? You still own it and can download it again.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        question.setDefaultButton(QMessageBox.StandardButton.No)

        def answered(_result: int) -> None:
            yes = question.standardButton(question.clickedButton()) == QMessageBox.StandardButton.Yes
            question.deleteLater()
            if yes:
                then()

        question.finished.connect(answered)
        question.open()

    def export_selected(self) -> None:
        bundle = self._selected()
        if bundle is None:
            return
        snap = self.model.snapshot_of(bundle)
        if snap is None or snap.progress < 1.0:
            self.banner.show_error(f"Download “{bundle.title}” completely first, then export it.")
            return
        folder = self._choose_folder()
        if not folder:
            return
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.show()
        report, library, bundle_id = self._export_progress.advanced.emit, self._library, bundle.bundle_id
        self._tasks.run(lambda: library.export(bundle_id, Path(folder), report),
                        lambda written: self._on_exported(folder, len(written)), self._on_export_failed)

    def _on_export_progress(self, done: int, total: int) -> None:
        self.progress.setValue(round(done / total * 1000) if total else 1000)

    def _on_exported(self, folder: str, count: int) -> None:
        self.progress.hide()
        self.banner.show_info(f"Exported {count} file{'s' if count != 1 else ''} to {folder}.")
        self.export_finished.emit(folder)

    def _on_export_failed(self, exc: BaseException) -> None:
        self.progress.hide()
        self.banner.show_error(user_message(exc))
