"""The Transfers tab: the sidebar (status, categories, tags, trackers), the torrent table, its toolbar (add, pause,
resume, remove, open folder), the rows' right-click menu, and details.

Torrents arrive from a .torrent file (dialog, drag and drop, paste of a path), a magnet (dialog, drop or
paste of the link) or another launch (``add_sources``). Every engine call goes through the task runner —
adding parses and may touch the disk, and libtorrent calls can wait on its network thread — and the
engine's own error sentences are shown in the page's banner. The table updates only from the bridge's
stats batches (see ``TransfersModel``); so do the sidebar's counts, and the engine's categories and tags are read
(one reference, ``engine.labels.current()``) on each batch and taken when their version changed. The sidebar's
choice, the name filter and the sort column are kept in ``view_state`` (a QSettings) across runs.

Main thread; engine calls run on the task runner's pool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QItemSelection, QPoint, QSettings, Qt, QTimer, QUrl, Signal
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
from app.ui.shown_rates import RateBoard
from app.ui.tasks import TaskRunner
from app.ui.transfers.add_dialog import AddEngine, AddTorrentDialog
from app.ui.transfers.details import DetailsSource, TorrentDetailsPanel
from app.ui.transfers.filter_proxy import TransfersFilter, TransfersProxy
from app.ui.transfers.model import Column, TransfersModel
from app.ui.transfers.progress_delegate import ProgressDelegate
from app.ui.transfers.remove_dialog import RemoveChoice, RemoveTorrentsDialog
from app.ui.transfers.row_menu import TransferActions
from app.ui.transfers.sidebar import TransfersSidebar
from app.ui.transfers.speed_graph import SpeedGraph
from app.ui.transfers.status_strip import StatusStrip
from app.ui.transfers.statuses import Status
from app.ui.transfers.tracker_hosts import TrackerHostLookup

RECOUNT_MS = 300


class TransferEngine(DetailsSource, AddEngine, Protocol):
    """The engine verbs this page uses."""

    def dht_nodes(self) -> int: ...
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
        open_folder: Callable[[Path], bool | None] | None = None,
        view_state: QSettings | None = None,
        show_add_dialog: Callable[[], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._tasks = tasks
        self._download_dir = download_dir
        self._ask_remove = ask_remove or (lambda names, answer: RemoveTorrentsDialog(names, self).ask(answer))
        self._open_folder = open_folder or (lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        self.setAcceptDrops(True)

        self._view_state = view_state
        self._show_add_dialog = show_add_dialog or (lambda: False)
        self._add_dialogs: list[AddTorrentDialog] = []
        self.model = TransfersModel(self)
        # Sorting is the model's (in Python); the proxy filters by the sidebar and the name (see filter_proxy).
        self.proxy = TransfersProxy(self.model, self)
        self._labels_version = -1
        self._counted_rows = -1
        self._recount_timer = self._single_shot(RECOUNT_MS, self._recount_labels)
        self.tracker_hosts = TrackerHostLookup(engine.trackers, tasks, self)
        self.tracker_hosts.hosts_found.connect(self._on_tracker_hosts)

        self.banner = Banner(self)
        self.row_actions = TransferActions(engine, tasks, self._open_folder, self)
        self.row_actions.error.connect(self.banner.show_error)
        self.row_actions.labels_changed.connect(self.labels_changed)
        self.toolbar = self._build_toolbar()
        self.table = self._build_table()
        self.sidebar = self._build_sidebar()
        self.details = TorrentDetailsPanel(engine, tasks, self)
        self.details.priorities_changed.connect(self._on_priorities_changed)
        self.row_actions.seed_limits_changed.connect(self.details.refresh)
        self.rates = RateBoard()  # the shown rates of every row; the window's totals read it too
        self.speed_graph = SpeedGraph(self.rates, self)
        self.details.addTab(self.speed_graph, "Speed")
        self.status_strip = StatusStrip(tasks, engine.dht_nodes, download_dir, self.rates, self)
        self._build_layout()
        paste = QShortcut(QKeySequence.StandardKey.Paste, self.table)
        paste.activated.connect(self.paste_from_clipboard)
        self._sync_labels()
        self._restore_view_state()
        self.sidebar.choice_changed.connect(self._on_choice_changed)
        self.filter_edit.textChanged.connect(self._on_choice_changed)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._save_view_state)

    def _build_layout(self) -> None:
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        beside = QSplitter(Qt.Orientation.Horizontal, self)
        beside.addWidget(self.sidebar)
        beside.addWidget(splitter)
        beside.setStretchFactor(0, 0)
        beside.setStretchFactor(1, 1)
        beside.setSizes([190, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.banner)
        layout.addWidget(beside, 1)
        layout.addWidget(self.status_strip)

    def _single_shot(self, interval_ms: int, slot: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(interval_ms)
        timer.timeout.connect(slot)
        return timer

    def _build_sidebar(self) -> TransfersSidebar:
        sidebar = TransfersSidebar(self)
        sidebar.setMinimumWidth(170)
        sidebar.create_category_requested.connect(self.row_actions.ask_new_category)
        sidebar.remove_category_requested.connect(self.row_actions.remove_category)
        sidebar.create_tag_requested.connect(self.row_actions.ask_new_tags)
        sidebar.delete_tag_requested.connect(self.row_actions.delete_tag)
        return sidebar

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
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_menu)
        return self.table

    def _on_table_menu(self, point: QPoint) -> None:
        index = self.table.indexAt(point)
        if not index.isValid():
            return
        if not self.table.selectionModel().isRowSelected(index.row()):
            self.table.selectRow(index.row())
        snaps = self.selected_snapshots()
        if snaps:
            self.row_menu = self.row_actions.menu_for(snaps, self.remove_selected)
            self.row_menu.popup(self.table.viewport().mapToGlobal(point))

    # --- feeding the table ---------------------------------------------------------------------------
    def apply_stats(self, snapshots: tuple[TorrentSnapshot, ...], _totals: object = None) -> None:
        model = self.model
        new = [snap.id for snap in snapshots if model.row_of(snap.id) is None and not model.is_waiting(snap.id)]
        model.apply_batch(snapshots)
        if new:
            self.tracker_hosts.want(new)
        self.sidebar.show_status_counts(model.statuses)
        self._sync_labels()
        self.rates.update(snapshots)
        self.status_strip.show_count(model.rowCount() + model.waiting)

    def remove_row(self, torrent_id: TorrentId) -> None:
        self.model.remove_torrent(torrent_id)
        self.rates.drop(torrent_id)
        self.status_strip.show_count(self.model.rowCount() + self.model.waiting)
        self.tracker_hosts.forget(torrent_id)
        if self.details.torrent_id == torrent_id:
            self.details.show_torrent(None)
        self.sidebar.show_status_counts(self.model.statuses)
        self._sync_labels()

    def labels_changed(self) -> None:
        """Take the engine's categories and tags now (after this page changed them)."""
        self._sync_labels()

    def _sync_labels(self, *, force: bool = False) -> None:
        """Take a new version of the labels; recount the sidebar's labels when they or the rows changed — at most
        every ``RECOUNT_MS`` (a restore of 10,000 torrents changes the rows on every batch)."""
        labels = self._engine.labels.current()
        rows = self.model.rowCount() + self.model.waiting
        relabelled = labels.version != self._labels_version
        if relabelled:
            self._labels_version = labels.version
            self.model.set_labels(labels)
            self.proxy.refresh()
            self._recount_timer.stop()
            self._recount_labels()  # the user (or the remote API) changed labels: show it now
        elif force or rows != self._counted_rows:
            self._counted_rows = rows
            if not self._recount_timer.isActive():
                self._recount_timer.start()

    def _recount_labels(self) -> None:
        self.sidebar.show_labels(self.model.labels, self.model.torrent_ids(), self.model.tracker_hosts())

    def _on_tracker_hosts(self, found: dict[TorrentId, tuple[str, ...]]) -> None:
        self.model.set_tracker_hosts(found)
        self._sync_labels(force=True)
        if self.proxy.chosen.tracker is not None:
            self.proxy.refresh()
        self._restore_tracker_choice()

    # --- filters and their memory --------------------------------------------------------------------
    def _on_choice_changed(self) -> None:
        self.proxy.choose(
            TransfersFilter(
                status=self.sidebar.status(),
                category=self.sidebar.category(),
                tag=self.sidebar.tag(),
                tracker=self.sidebar.tracker(),
                name=self.filter_edit.text(),
            )
        )
        self._save_view_state()

    def _save_view_state(self) -> None:
        state = self._view_state
        if state is None:
            return
        chosen = self.proxy.chosen
        header = self.table.horizontalHeader()
        state.setValue("transfers/status", chosen.status.value)
        for key, value in (("category", chosen.category), ("tag", chosen.tag), ("tracker", chosen.tracker)):
            state.setValue(f"transfers/{key}", "\x00all" if value is None else value)
        state.setValue("transfers/name", chosen.name)
        state.setValue("transfers/sort_column", header.sortIndicatorSection())
        state.setValue("transfers/sort_descending", header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder)

    def _restored(self, key: str) -> str | None:
        value = self._view_state.value(f"transfers/{key}", "\x00all") if self._view_state is not None else "\x00all"
        return None if value == "\x00all" else str(value)

    def _restore_view_state(self) -> None:
        """Sort by the column that shows the arrow (Name unless the user chose another) and refilter as last time."""
        column, descending = int(Column.NAME), False
        state = self._view_state
        if state is not None:
            column = int(state.value("transfers/sort_column", int(Column.NAME)))  # type: ignore[call-overload]
            descending = str(state.value("transfers/sort_descending", "false")).lower() == "true"
            if not 0 <= column < len(Column):
                column = int(Column.NAME)
            status = str(state.value("transfers/status", Status.ALL.value))
            if status not in {s.value for s in Status}:
                status = Status.ALL.value
            self.sidebar.restore(status, self._restored("category"), self._restored("tag"), None)
            self.filter_edit.setText(str(state.value("transfers/name", "")))
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self.table.sortByColumn(column, order)
        self._on_choice_changed()

    def _restore_tracker_choice(self) -> None:
        """Tracker hosts arrive from a worker: pick last run's tracker once it is listed."""
        wanted = self._restored("tracker")
        if wanted is not None and self.sidebar.tracker() is None and self.sidebar.trackers.choose(wanted):
            self._on_choice_changed()

    # --- adding --------------------------------------------------------------------------------------
    def add_sources(self, sources: Sequence[str]) -> None:
        """Add magnets and .torrent paths (from a dialog, a drop, a paste, or another launch)."""
        save_path = self._download_dir()
        for source in sources:
            if self._show_add_dialog():
                self.open_add_dialog(source)
            elif source.lower().startswith("magnet:"):
                self._run_add(partial(self._engine.add_magnet, source, save_path))
            else:
                self._run_add(partial(self._engine.add_torrent_file, Path(source), save_path))

    def open_add_dialog(self, source: str) -> AddTorrentDialog:
        """Ask where and how to add ``source`` (window-modal; the dialog adds it)."""
        dialog = AddTorrentDialog(source, self._engine, self._tasks, self._download_dir(), self)
        dialog.added.connect(self._on_added)
        dialog.failed.connect(self.banner.show_error)
        dialog.finished.connect(dialog.deleteLater)
        dialog.finished.connect(lambda _result: self._add_dialogs.remove(dialog))
        self._add_dialogs.append(dialog)
        self.add_dialog = dialog
        dialog.open()
        return dialog

    def cancel_add_dialogs(self) -> None:
        """Quitting: every open add dialog is cancelled, so a magnet held for its file list is not kept held."""
        for dialog in list(self._add_dialogs):
            dialog.reject()

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
            self.row_actions.open_folder(snap)

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        snaps = self.selected_snapshots()
        self.details.show_torrent(snaps[0].id if len(snaps) == 1 else None)
        self.speed_graph.follow(snaps[0].id if len(snaps) == 1 else None)

    def _on_priorities_changed(self, torrent_id: str, priorities: list[int]) -> None:
        self._tasks.run(partial(self._engine.set_file_priorities, torrent_id, priorities), None, self._show_error)

    def _show_error(self, exc: BaseException) -> None:
        self.banner.show_error(str(exc) or type(exc).__name__)
