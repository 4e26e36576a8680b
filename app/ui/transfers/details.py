"""The details panel under the Transfers table: files (with priorities), peers, trackers and the seeding limits of one
torrent.

The engine's per-torrent reads (files, peers, trackers) ask libtorrent's network thread and can block, so
the panel fetches them on the task runner every couple of seconds while a torrent is selected, and fills
its tables when the answer comes back. Changing a file's priority emits ``priorities_changed``; the page
sends it to the engine.

Main thread; the reads run on the task runner's pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QWidget,
)

from app.engine.seed_limits import SeedLimitBook, SeedLimits
from app.engine.types import FileEntry, PeerEntry, TorrentId, TrackerEntry
from app.ui.tasks import TaskRunner
from app.ui.transfers.seed_limits_dialog import describe_seed_limits
from app.ui.units import format_rate, format_size

PRIORITY_SKIP, PRIORITY_NORMAL, PRIORITY_HIGH = 0, 4, 7
PRIORITY_LABELS = {PRIORITY_SKIP: "Skip", PRIORITY_NORMAL: "Normal", PRIORITY_HIGH: "High"}


class DetailsSource(Protocol):
    def files(self, torrent_id: TorrentId) -> list[FileEntry]: ...
    def peers(self, torrent_id: TorrentId) -> list[PeerEntry]: ...
    def trackers(self, torrent_id: TorrentId) -> list[TrackerEntry]: ...
    @property
    def seed_limits(self) -> SeedLimitBook: ...


@dataclass(frozen=True, slots=True)
class TorrentDetails:
    torrent_id: TorrentId
    files: list[FileEntry]
    peers: list[PeerEntry]
    trackers: list[TrackerEntry]
    seed_limits: SeedLimits


def priority_label(priority: int) -> str:
    if priority == 0:
        return "Skip"
    return "High" if priority > PRIORITY_NORMAL else "Normal"


def _table(headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return table


def _cell(text: str, *, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class TorrentDetailsPanel(QTabWidget):
    """Files, Peers and Trackers tabs for the selected torrent."""

    priorities_changed = Signal(str, list)  # torrent id, one priority per file
    details_loaded = Signal(str)  # torrent id — for tests and for anyone waiting on a refresh

    REFRESH_MS = 2000

    def __init__(self, source: DetailsSource, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._tasks = tasks
        self._torrent_id: TorrentId | None = None
        self._files: list[FileEntry] = []
        self._loading = False
        self.files_table = _table(["File", "Size", "Done", "Priority"])
        self.files_table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.files_table.customContextMenuRequested.connect(self._show_priority_menu)
        self.peers_table = _table(["Address", "Client", "Progress", "Down", "Up"])
        self.trackers_table = _table(["URL", "Tier", "Status", "Seeds", "Peers"])
        self.addTab(self.files_table, "Files")
        self.addTab(self.peers_table, "Peers")
        self.addTab(self.trackers_table, "Trackers")
        self.seeding_label = QLabel(self)
        self.seeding_label.setWordWrap(True)
        self.seeding_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.seeding_label.setMargin(8)
        self.addTab(self.seeding_label, "Seeding")
        self._timer = QTimer(self)
        self._timer.setInterval(self.REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    @property
    def torrent_id(self) -> TorrentId | None:
        return self._torrent_id

    def show_torrent(self, torrent_id: TorrentId | None) -> None:
        """Follow another torrent (or none)."""
        if torrent_id == self._torrent_id:
            return
        self._torrent_id = torrent_id
        self._files = []
        for table in (self.files_table, self.peers_table, self.trackers_table):
            table.setRowCount(0)
        self.seeding_label.clear()
        if torrent_id is None:
            self._timer.stop()
            return
        self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Fetch the selected torrent's details in the background (one request at a time)."""
        tid = self._torrent_id
        if tid is None or self._loading:
            return
        self._loading = True
        source = self._source

        def load() -> TorrentDetails:
            return TorrentDetails(
                tid, source.files(tid), source.peers(tid), source.trackers(tid), source.seed_limits.get(tid)
            )

        self._tasks.run(load, self._on_loaded, self._on_load_failed)

    def _on_load_failed(self, exc: BaseException) -> None:
        # The torrent was removed while we asked, most likely; the next selection starts afresh.
        self._loading = False

    def _on_loaded(self, details: TorrentDetails) -> None:
        self._loading = False
        if details.torrent_id != self._torrent_id:
            return
        self._files = details.files
        self._fill_files(details.files)
        self._fill_peers(details.peers)
        self._fill_trackers(details.trackers)
        self.seeding_label.setText(describe_seed_limits(details.seed_limits))
        self.details_loaded.emit(details.torrent_id)

    def _fill_files(self, files: list[FileEntry]) -> None:
        table = self.files_table
        table.setRowCount(len(files))
        for row, entry in enumerate(files):
            done = entry.downloaded / entry.size * 100 if entry.size else 100.0
            table.setItem(row, 0, _cell(entry.path))
            table.setItem(row, 1, _cell(format_size(entry.size), right=True))
            table.setItem(row, 2, _cell(f"{done:.1f}%", right=True))
            table.setItem(row, 3, _cell(priority_label(entry.priority)))

    def _fill_peers(self, peers: list[PeerEntry]) -> None:
        table = self.peers_table
        table.setRowCount(len(peers))
        for row, peer in enumerate(peers):
            table.setItem(row, 0, _cell(peer.address))
            table.setItem(row, 1, _cell(peer.client))
            table.setItem(row, 2, _cell(f"{peer.progress * 100:.1f}%", right=True))
            table.setItem(row, 3, _cell(format_rate(peer.download_rate), right=True))
            table.setItem(row, 4, _cell(format_rate(peer.upload_rate), right=True))

    def _fill_trackers(self, trackers: list[TrackerEntry]) -> None:
        table = self.trackers_table
        table.setRowCount(len(trackers))
        for row, tracker in enumerate(trackers):
            table.setItem(row, 0, _cell(tracker.url))
            table.setItem(row, 1, _cell(str(tracker.tier), right=True))
            table.setItem(row, 2, _cell(tracker.status))
            table.setItem(row, 3, _cell("" if tracker.seeds is None else str(tracker.seeds), right=True))
            table.setItem(row, 4, _cell("" if tracker.peers is None else str(tracker.peers), right=True))

    def set_priority(self, rows: Sequence[int], priority: int) -> None:
        """Give the files on ``rows`` a new priority and tell the page."""
        if self._torrent_id is None or not self._files:
            return
        priorities = [entry.priority for entry in self._files]
        for row in rows:
            if 0 <= row < len(priorities):
                priorities[row] = priority
                self.files_table.setItem(row, 3, _cell(priority_label(priority)))
        self._files = [
            FileEntry(e.index, e.path, e.size, e.downloaded, priorities[i]) for i, e in enumerate(self._files)
        ]
        self.priorities_changed.emit(self._torrent_id, priorities)

    def _show_priority_menu(self, pos: QPoint) -> None:
        rows = sorted({index.row() for index in self.files_table.selectedIndexes()})
        if not rows:
            return
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for priority, label in PRIORITY_LABELS.items():
            action = menu.addAction(label)
            action.triggered.connect(lambda _=False, p=priority: self.set_priority(rows, p))
        menu.popup(self.files_table.viewport().mapToGlobal(pos))  # not exec(): no nested event loop
