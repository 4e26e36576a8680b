"""The Transfers tab: the torrent table, its toolbar (add, pause, resume, remove, open folder) and details.

Torrents arrive from a .torrent file (dialog, drag and drop, paste of a path), a magnet (dialog, drop or
paste of the link) or another launch (``add_sources``). Every engine call goes through the task runner —
adding parses and may touch the disk, and libtorrent calls can wait on its network thread — and the
engine's own error sentences are shown in the page's banner. The table updates only from the bridge's
stats batches (see ``TransfersModel``).

Main thread; engine calls run on the task runner's pool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QItemSelection, QSortFilterProxyModel, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.engine.types import TorrentId, TorrentSnapshot
from app.ui.banner import Banner
from app.ui.tasks import TaskRunner
from app.ui.transfers.details import DetailsSource, TorrentDetailsPanel
from app.ui.transfers.model import SORT_ROLE, Column, TransfersModel
from app.ui.transfers.progress_delegate import ProgressDelegate
from app.ui.transfers.remove_dialog import RemoveChoice, RemoveTorrentsDialog


class TransferEngine(DetailsSource, Protocol):
    """The engine verbs this page uses."""

    def add_torrent_file(self, path: Path, save_path: Path, *, paused: bool = False) -> TorrentId: ...
    def add_magnet(self, uri: str, save_path: Path, *, paused: bool = False) -> TorrentId: ...
    def pause(self, torrent_id: TorrentId) -> None: ...
    def resume(self, torrent_id: TorrentId) -> None: ...
    def remove(self, torrent_id: TorrentId, *, delete_data: bool = False) -> None: ...
    def set_file_priorities(self, torrent_id: TorrentId, priorities: Sequence[int]) -> None: ...


def parse_source(text: str) -> str | None:
    """A magnet link or a path/URL of a .torrent file from pasted or dropped text; None otherwise."""
    text = text.strip()
    if text.lower().startswith("magnet:?"):
        return text
    if text.startswith("file://"):
        text = QUrl(text).toLocalFile()
    if text.lower().endswith(".torrent"):
        return text
    return None


class TransfersPage(QWidget):
    """Every torrent in the engine, with the actions on them."""

    torrent_added = Signal(str)  # id — after the engine accepted it

    def __init__(
        self,
        engine: TransferEngine,
        tasks: TaskRunner,
        download_dir: Callable[[], Path],
        *,
        ask_remove: Callable[[list[str], Callable[[RemoveChoice | None], None]], None] | None = None,
        open_folder: Callable[[Path], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._tasks = tasks
        self._download_dir = download_dir
        self._ask_remove = ask_remove or (lambda names, answer: RemoveTorrentsDialog(names, self).ask(answer))
        self._open_folder = open_folder or (lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        self.setAcceptDrops(True)

        self.model = TransfersModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(Column.NAME)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        # Re-checking filter and sort order on every dataChanged cost ~35 ms per 1,000-row batch (bench/ui_lag.py);
        # rows are sorted when the user clicks a header and filtered when the filter text changes.
        self.proxy.setDynamicSortFilter(False)

        self.banner = Banner(self)
        self.toolbar = self._build_toolbar()
        self.table = self._build_table()
        self.details = TorrentDetailsPanel(engine, tasks, self)
        self.details.priorities_changed.connect(self._on_priorities_changed)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        paste = QShortcut(QKeySequence.StandardKey.Paste, self.table)
        paste.activated.connect(self.paste_from_clipboard)

    def _build_toolbar(self) -> QToolBar:
        self.toolbar = QToolBar(self)
        self.add_file_action = self.toolbar.addAction("Add torrent…", self.choose_torrent_file)
        self.add_magnet_action = self.toolbar.addAction("Add magnet…", self.ask_magnet)
        self.toolbar.addSeparator()
        self.pause_action = self.toolbar.addAction("Pause", self.pause_selected)
        self.resume_action = self.toolbar.addAction("Resume", self.resume_selected)
        self.remove_action = self.toolbar.addAction("Remove…", self.remove_selected)
        self.open_folder_action = self.toolbar.addAction("Open folder", self.open_selected_folder)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by name")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMaximumWidth(260)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.toolbar.addWidget(self.filter_edit)
        return self.toolbar

    def _build_table(self) -> QTableView:
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setItemDelegateForColumn(Column.PROGRESS, ProgressDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(Column.PROGRESS, 140)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        return self.table

    # --- feeding the table ---------------------------------------------------------------------------
    def apply_stats(self, snapshots: tuple[TorrentSnapshot, ...], _totals: object = None) -> None:
        self.model.apply_batch(snapshots)

    def remove_row(self, torrent_id: TorrentId) -> None:
        self.model.remove_torrent(torrent_id)
        if self.details.torrent_id == torrent_id:
            self.details.show_torrent(None)

    # --- adding --------------------------------------------------------------------------------------
    def add_sources(self, sources: Sequence[str]) -> None:
        """Add magnets and .torrent paths (from a dialog, a drop, a paste, or another launch)."""
        save_path = self._download_dir()
        for source in sources:
            if source.lower().startswith("magnet:"):
                self._run_add(partial(self._engine.add_magnet, source, save_path))
            else:
                self._run_add(partial(self._engine.add_torrent_file, Path(source), save_path))

    def _run_add(self, work: Callable[[], TorrentId]) -> None:
        self._tasks.run(work, self._on_added, self._show_error)

    def _on_added(self, torrent_id: TorrentId) -> None:
        self.banner.hide()
        self.torrent_added.emit(torrent_id)

    def choose_torrent_file(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add torrent", "", "Torrent files (*.torrent)")
        self.add_sources(paths)

    def ask_magnet(self) -> None:
        text, ok = QInputDialog.getText(self, "Add magnet", "Magnet link:")
        if ok and text.strip():
            self.add_magnet_text(text)

    def add_magnet_text(self, text: str) -> None:
        """What was typed into *Add magnet*: always read as a magnet link (never as a file name)."""
        self._run_add(partial(self._engine.add_magnet, text.strip(), self._download_dir()))

    def paste_from_clipboard(self) -> None:
        sources = [s for s in map(parse_source, QGuiApplication.clipboard().text().splitlines()) if s]
        if sources:
            self.add_sources(sources)
        else:
            self.banner.show_error("The clipboard holds no magnet link and no .torrent file path.")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._dropped_sources(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        sources = self._dropped_sources(event)
        if sources:
            event.acceptProposedAction()
            self.add_sources(sources)

    @staticmethod
    def _dropped_sources(event: QDragEnterEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        texts = [url.toString() for url in mime.urls()] if mime.hasUrls() else []
        if mime.hasText():
            texts += mime.text().splitlines()
        return list(dict.fromkeys(s for s in map(parse_source, texts) if s))

    # --- acting on the selection ---------------------------------------------------------------------
    def selected_snapshots(self) -> list[TorrentSnapshot]:
        rows = {self.proxy.mapToSource(index).row() for index in self.table.selectionModel().selectedRows()}
        return [self.model.snapshot_at(row) for row in sorted(rows)]

    def select_torrent(self, torrent_id: TorrentId) -> bool:
        row = self.model.row_of(torrent_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        return True

    def pause_selected(self) -> None:
        for snap in self.selected_snapshots():
            self._tasks.run(partial(self._engine.pause, snap.id), None, self._show_error)

    def resume_selected(self) -> None:
        for snap in self.selected_snapshots():
            self._tasks.run(partial(self._engine.resume, snap.id), None, self._show_error)

    def remove_selected(self) -> None:
        snaps = self.selected_snapshots()
        if not snaps:
            return
        self._ask_remove([snap.name or snap.id for snap in snaps], partial(self._remove, snaps))

    def _remove(self, snaps: list[TorrentSnapshot], choice: RemoveChoice | None) -> None:
        if choice is None:
            return
        delete = choice is RemoveChoice.DELETE_DATA
        for snap in snaps:
            self._tasks.run(partial(self._engine.remove, snap.id, delete_data=delete), None, self._show_error)

    def open_selected_folder(self) -> None:
        for snap in self.selected_snapshots()[:1]:
            self._open_folder(Path(snap.save_path))

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        snaps = self.selected_snapshots()
        self.details.show_torrent(snaps[0].id if len(snaps) == 1 else None)

    def _on_priorities_changed(self, torrent_id: str, priorities: list[int]) -> None:
        self._tasks.run(partial(self._engine.set_file_priorities, torrent_id, priorities), None, self._show_error)

    def _show_error(self, exc: BaseException) -> None:
        self.banner.show_error(str(exc) or type(exc).__name__)
