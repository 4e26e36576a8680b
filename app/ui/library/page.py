"""The Library tab: every bundle you own (from your licenses), its state, and *Download*, *Play*,
*Export decrypted copy…*, *Remove*, plus *Rebuild library*.

The list comes from a background read of the licenses (keyring) and the library index; a bundle the index
does not know yet gets its title from the store. States come from the engine's stats batches:
not downloaded → downloading (with progress) → ready (complete) / seeding (complete and uploading).
Download, Rebuild and Play are requests (signals) handled by the Store actions and the player;
export runs here on a worker with a progress bar; remove deletes the downloaded files after asking.

Main thread; keyring, store and disk work on the task runner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.bundle import License
from app.engine.types import TorrentId, TorrentSnapshot, TorrentState
from app.ui.banner import Banner
from app.ui.library.export import export_bundle
from app.ui.library.index import LibraryIndex, LibraryRecord
from app.ui.store.actions import user_message
from app.ui.store.backend import StoreBackend
from app.ui.store.bundle_adder import BundleAdder
from app.ui.tasks import TaskRunner


@dataclass(frozen=True, slots=True)
class LibraryItem:
    bundle_id: str
    title: str
    record: LibraryRecord | None
    licenses: tuple[License, ...]


def state_text(record: LibraryRecord | None, snap: TorrentSnapshot | None) -> str:
    if record is None or snap is None:
        return "Not downloaded"
    if snap.state is TorrentState.ERROR:
        return f"Error: {snap.error or 'see Transfers'}"
    if snap.progress >= 1.0 and snap.state in (TorrentState.SEEDING, TorrentState.FINISHED, TorrentState.PAUSED):
        return "Ready · seeding" if snap.state is TorrentState.SEEDING else "Ready"
    if snap.state is TorrentState.CHECKING:
        return f"Checking {snap.progress * 100:.0f}%"
    if snap.paused:
        return f"Paused at {snap.progress * 100:.0f}%"
    return f"Downloading {snap.progress * 100:.0f}%"


class _ExportProgress(QObject):
    # emitted on the export worker, delivered queued on the main thread
    advanced = Signal(object, object)  # bytes done, bytes total (Python ints: bundles pass 2 GiB)


class LibraryPage(QWidget):
    download_requested = Signal(str)  # bundle id
    rebuild_requested = Signal(list)  # bundle ids
    play_requested = Signal(str)  # bundle id
    remove_torrent_requested = Signal(str)  # torrent id — with its data
    refreshed = Signal(int)  # number of bundles listed
    export_finished = Signal(str)  # folder written

    def __init__(
        self,
        backend: StoreBackend,
        index: LibraryIndex,
        adder: BundleAdder,
        tasks: TaskRunner,
        *,
        choose_folder: Callable[[], str] | None = None,
        confirm_remove: Callable[[str], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._backend = backend
        self._index = index
        self._adder = adder
        self._tasks = tasks
        self._choose_folder = choose_folder or (
            lambda: QFileDialog.getExistingDirectory(self, "Export a decrypted copy to…"))
        self._confirm_remove = confirm_remove or self._ask_remove
        self._items: list[LibraryItem] = []
        self._snapshots: dict[TorrentId, TorrentSnapshot] = {}
        self.banner = Banner(self)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Bundle", "Kind", "State"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().resizeSection(2, 200)
        self.progress = QProgressBar()
        self.progress.hide()
        self.empty_label = QLabel("Bundles you get in the Store appear here, with what you can do with them.")
        self.empty_label.setStyleSheet("color: #666; padding: 12px;")
        buttons = QHBoxLayout()
        self.download_button = self._button(buttons, "Download", self._download_selected)
        self.play_button = self._button(buttons, "Play", self._play_selected)
        self.export_button = self._button(buttons, "Export decrypted copy…", self.export_selected)
        self.remove_button = self._button(buttons, "Remove…", self.remove_selected)
        buttons.addStretch(1)
        self.rebuild_button = self._button(buttons, "Rebuild library", self.rebuild)
        self.refresh_button = self._button(buttons, "Refresh", self.refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.table, 1)
        self._export_progress = _ExportProgress(self)
        self._export_progress.advanced.connect(self._on_export_progress)

    @staticmethod
    def _button(row: QHBoxLayout, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    # --- data ----------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Ask the store for licenses issued since (best effort), then re-read them and the index; in the
        background."""
        backend, index = self._backend, self._index

        def load() -> list[LibraryItem]:
            backend.sync_licenses()
            by_bundle: dict[str, list[License]] = {}
            for lic in backend.licenses():
                by_bundle.setdefault(lic.bundle_id, []).append(lic)
            items = []
            for bundle_id, licenses in by_bundle.items():
                record = index.get(bundle_id)
                title = record.title if record else self._title_from_store(bundle_id)
                items.append(LibraryItem(bundle_id, title, record, tuple(licenses)))
            return sorted(items, key=lambda i: i.title.casefold())

        self._tasks.run(load, self._show_items, lambda exc: self.banner.show_error(user_message(exc)))

    def _title_from_store(self, bundle_id: str) -> str:
        try:
            return self._backend.bundle(bundle_id).title
        except Exception:  # the store may be unreachable: the id still identifies the bundle
            return bundle_id

    def apply_stats(self, snapshots: tuple[TorrentSnapshot, ...], _totals: object = None) -> None:
        watched = {item.record.torrent_id: row for row, item in enumerate(self._items) if item.record}
        for snap in snapshots:
            self._snapshots[snap.id] = snap
            row = watched.get(snap.id)
            if row is not None:
                self._set_state(row)

    def forget_torrent(self, torrent_id: TorrentId) -> None:
        self._snapshots.pop(torrent_id, None)
        for row, item in enumerate(self._items):
            if item.record and item.record.torrent_id == torrent_id:
                self._set_state(row)

    def _show_items(self, items: list[LibraryItem]) -> None:
        self._items = items
        self.empty_label.setVisible(not items)
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            self.table.setItem(row, 0, QTableWidgetItem(item.title))
            self.table.setItem(row, 1, QTableWidgetItem(item.record.kind if item.record else ""))
            self._set_state(row)
        self.refreshed.emit(len(items))

    def _set_state(self, row: int) -> None:
        item = self._items[row]
        snap = self._snapshots.get(item.record.torrent_id) if item.record else None
        self.table.setItem(row, 2, QTableWidgetItem(state_text(item.record, snap)))

    def titles(self) -> list[str]:
        return [item.title for item in self._items]

    def state_of(self, title: str) -> str:
        for row, item in enumerate(self._items):
            if item.title == title:
                cell = self.table.item(row, 2)
                return cell.text() if cell else ""
        return ""

    def select_title(self, title: str) -> bool:
        for row, item in enumerate(self._items):
            if item.title == title:
                self.table.selectRow(row)
                return True
        return False

    def _selected(self) -> LibraryItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self._items[rows[0].row()] if rows else None

    # --- actions -------------------------------------------------------------------------------------
    def _download_selected(self) -> None:
        if (item := self._selected()) is not None:
            self.download_requested.emit(item.bundle_id)

    def _play_selected(self) -> None:
        if (item := self._selected()) is not None:
            self.play_requested.emit(item.bundle_id)

    def rebuild(self) -> None:
        """Re-add every owned bundle to the engine and re-check what is on disk."""
        self.rebuild_requested.emit([item.bundle_id for item in self._items])

    def remove_selected(self) -> None:
        item = self._selected()
        if item is None or item.record is None:
            return
        if self._confirm_remove(item.title):
            self.remove_torrent_requested.emit(item.record.torrent_id)

    def _ask_remove(self, title: str) -> bool:
        answer = QMessageBox.question(
            self, "Remove from this computer",
            f"Delete the downloaded files of “{title}”? You still own it and can download it again.")
        return answer == QMessageBox.StandardButton.Yes

    def export_selected(self) -> None:
        item = self._selected()
        if item is None:
            return
        record = item.record
        snap = self._snapshots.get(record.torrent_id) if record else None
        if record is None or snap is None or snap.progress < 1.0:
            self.banner.show_error(f"Download “{item.title}” completely first, then export it.")
            return
        folder = self._choose_folder()
        if not folder:
            return
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.show()
        report = self._export_progress.advanced.emit
        adder = self._adder

        def work() -> list[Path]:
            # Verifying needs the pinned store key (keyring): on the worker, like the copy itself.
            manifest = adder.verified_manifest(record.manifest_payload, record.manifest_signature)
            return export_bundle(manifest, list(item.licenses), record.content_root, Path(folder), report)

        self._tasks.run(work, lambda written: self._on_exported(folder, len(written)), self._on_export_failed)

    def _on_export_progress(self, done: int, total: int) -> None:
        self.progress.setValue(round(done / total * 1000) if total else 1000)

    def _on_exported(self, folder: str, count: int) -> None:
        self.progress.hide()
        self.banner.show_info(f"Exported {count} file{'s' if count != 1 else ''} to {folder}.")
        self.export_finished.emit(folder)

    def _on_export_failed(self, exc: BaseException) -> None:
        self.progress.hide()
        self.banner.show_error(user_message(exc))
