"""The add dialog for a .torrent file or a magnet link: where to save, category, tags, which files (with their
sizes and priorities), start paused, sequential download, skip the hash check, and the free space on the target disk.

A .torrent is read on a worker (``preview_torrent_file``) and its file tree shown at once. A magnet is added right
away but held for its metadata (``controls.hold_for_metadata``: it fetches the file list, no data), and its tree
appears once the metadata has arrived; *Cancel* removes it again, *Add* applies the choices and lets it download.
A magnet already in the list is not touched. Everything that touches the engine or the disk runs on the task runner;
the dialog is window-modal and opened with ``open()``. ``added`` carries the new torrent's id, ``failed`` a sentence.

Main thread; engine calls and disk look-ups on the task runner's pool.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import EngineError
from app.engine.torrent_preview import TorrentPreview, preview_magnet, preview_torrent_file
from app.engine.types import FileEntry, TorrentId
from app.ui.tasks import TaskRunner
from app.ui.transfers.row_menu import ActionsEngine
from app.ui.units import format_size

PRIORITIES = (("Skip", 0), ("Low", 1), ("Normal", 4), ("High", 6), ("Top", 7))
METADATA_POLL_MS = 500


class AddEngine(ActionsEngine, Protocol):
    def add_torrent_file(
        self, path: Path, save_path: Path, *, paused: bool = False, file_priorities: Sequence[int] | None = None,
        sequential: bool = False, skip_check: bool = False,
    ) -> TorrentId: ...
    def add_magnet(self, uri: str, save_path: Path, *, paused: bool = False) -> TorrentId: ...
    def has_torrent(self, tid: TorrentId) -> bool: ...
    def files(self, tid: TorrentId) -> list[FileEntry]: ...
    def set_file_priorities(self, torrent_id: TorrentId, priorities: Sequence[int]) -> None: ...
    def move_storage(self, tid: TorrentId, new_path: Path) -> None: ...
    def remove(self, torrent_id: TorrentId, *, delete_data: bool = False) -> None: ...


@dataclass(frozen=True, slots=True)
class AddChoices:
    save_path: Path
    category: str
    tags: tuple[str, ...]
    priorities: tuple[int, ...] | None  # None: the file list is not known (a magnet still fetching it)
    paused: bool
    sequential: bool
    skip_check: bool


def free_space_sentence(path: Path) -> str:
    """"Free on that disk: 12.3 GiB" for the nearest existing folder of ``path`` (reads the disk)."""
    probe = path.expanduser()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return f"Free on that disk: {format_size(shutil.disk_usage(probe).free)}"
    except OSError as exc:
        return f"Cannot tell the free space there: {exc.strerror or exc}"


class AddTorrentDialog(QDialog):
    """Options for one torrent or magnet before it starts."""

    added = Signal(str)
    failed = Signal(str)

    def __init__(
        self, source: str, engine: AddEngine, tasks: TaskRunner, default_dir: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._is_magnet = source.lower().startswith("magnet:")
        self._engine = engine
        self._tasks = tasks
        self._default_dir = default_dir
        self._held: TorrentId | None = None  # a magnet added for its metadata
        self._files: list[FileEntry] = []
        self._committed = False
        self._cancelled = False
        self.setWindowTitle("Add torrent")
        self.setMinimumWidth(560)
        self._build()
        self._free_timer = QTimer(self)
        self._free_timer.setSingleShot(True)
        self._free_timer.setInterval(300)
        self._free_timer.timeout.connect(self._look_up_free_space)
        self.path_edit.textChanged.connect(lambda _t: self._free_timer.start())
        self._poll = QTimer(self)
        self._poll.setInterval(METADATA_POLL_MS)
        self._poll.timeout.connect(self._ask_files)
        self._look_up_free_space()
        self._start()

    def _build(self) -> None:
        self.name_label = QLabel("Reading…", self)
        self.path_edit = QLineEdit(str(self._default_dir), self)
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.free_label = QLabel("", self)
        self.category_box = QComboBox(self)
        labels = self._engine.labels.current()
        self.category_box.addItem("None", "")
        for name in sorted(labels.categories, key=str.casefold):
            self.category_box.addItem(name, name)
        self.category_box.currentIndexChanged.connect(self._on_category)
        self.tags_edit = QLineEdit(self)
        self.tags_edit.setPlaceholderText("tags, separated by commas")
        self.paused_box = QCheckBox("Start paused", self)
        self.sequential_box = QCheckBox("Download in sequential order", self)
        self.skip_check_box = QCheckBox("Skip the hash check (the data is already there)", self)
        self.skip_check_box.setEnabled(not self._is_magnet)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Name", "Size", "Priority"])
        self.tree.setColumnWidth(0, 300)
        self.status_label = QLabel("", self)
        self.status_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(self)
        self.add_button = self.buttons.addButton("Add", QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setEnabled(False)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._commit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Torrent:", self.name_label)
        form.addRow("Save in:", path_row)
        form.addRow("", self.free_label)
        form.addRow("Category:", self.category_box)
        form.addRow("Tags:", self.tags_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for box in (self.paused_box, self.sequential_box, self.skip_check_box):
            layout.addWidget(box)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)

    # --- reading the source --------------------------------------------------------------------------
    def _start(self) -> None:
        if self._is_magnet:
            self._tasks.run(self._hold_magnet, self._on_held, self._on_unreadable)
        else:
            self._tasks.run(lambda: preview_torrent_file(Path(self._source)), self._on_preview, self._on_unreadable)

    def _hold_magnet(self) -> tuple[TorrentPreview, bool]:
        preview = preview_magnet(self._source)
        if self._engine.has_torrent(preview.torrent_id):
            return preview, False
        tid = self._engine.add_magnet(self._source, self._default_dir)
        self._engine.controls.hold_for_metadata(tid, True)
        if self._cancelled:  # cancelled (or the app quit) meanwhile: let it go here, before anyone waits on it
            self._engine.remove(tid)
            return preview, False
        return preview, True

    def _on_held(self, result: tuple[TorrentPreview, bool]) -> None:
        preview, new = result
        if new and self._cancelled:  # cancelled while the magnet was being added: let it go
            self._tasks.run(lambda: self._engine.remove(preview.torrent_id), None, lambda _e: None)
            return
        self.name_label.setText(preview.name or preview.torrent_id)
        if not new:
            self.status_label.setText("This torrent is already in your list.")
            return
        self._held = preview.torrent_id
        self.status_label.setText("Fetching the list of files from other peers…")
        self.add_button.setEnabled(True)  # adding before the list arrives downloads every file
        self._poll.start()

    def _ask_files(self) -> None:
        if self._held is not None:
            self._tasks.run(lambda: self._engine.files(self._held or ""), self._on_files, lambda _e: None)

    def _on_files(self, files: list[FileEntry]) -> None:
        if files and not self._files:
            self._poll.stop()
            self.status_label.setText("")
            self._show_files(files)

    def _on_preview(self, preview: TorrentPreview) -> None:
        self.name_label.setText(f"{preview.name} — {format_size(preview.total_size)}")
        self._show_files(list(preview.files))
        self.add_button.setEnabled(True)

    def _on_unreadable(self, exc: BaseException) -> None:
        self.name_label.setText("")
        self.status_label.setText(str(exc) if isinstance(exc, EngineError) else f"Cannot read it: {exc}")

    def _show_files(self, files: list[FileEntry]) -> None:
        self._files = files
        self.tree.clear()
        folders: dict[tuple[str, ...], QTreeWidgetItem] = {}
        for entry in files:
            parts = entry.path.split("/")
            parent: QTreeWidget | QTreeWidgetItem = self.tree
            for depth in range(1, len(parts)):
                key = tuple(parts[:depth])
                if key not in folders:
                    folders[key] = QTreeWidgetItem(parent, [parts[depth - 1], "", ""])
                    folders[key].setExpanded(True)
                parent = folders[key]
            item = QTreeWidgetItem(parent, [parts[-1], format_size(entry.size), ""])
            combo = QComboBox(self.tree)
            for label, value in PRIORITIES:
                combo.addItem(label, value)
            combo.setCurrentIndex(2)
            self.tree.setItemWidget(item, 2, combo)
            item.setData(0, 256, entry.index)

    def _leaves(self, node: QTreeWidgetItem) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        for row in range(node.childCount()):
            child = node.child(row)
            if child is not None:
                out += self._leaves(child) if child.childCount() else [child]
        return out

    # --- choices -------------------------------------------------------------------------------------
    def choices(self) -> AddChoices:
        priorities = None
        if self._files:
            by_index = {
                int(item.data(0, 256)): int(self.tree.itemWidget(item, 2).currentData())  # type: ignore[attr-defined]
                for item in self._leaves(self.tree.invisibleRootItem())
            }
            priorities = tuple(by_index[entry.index] for entry in self._files)
        return AddChoices(
            save_path=Path(self.path_edit.text().strip() or self._default_dir).expanduser(),
            category=str(self.category_box.currentData() or ""),
            tags=tuple(t.strip() for t in self.tags_edit.text().split(",") if t.strip()),
            priorities=priorities,
            paused=self.paused_box.isChecked(),
            sequential=self.sequential_box.isChecked(),
            skip_check=self.skip_check_box.isChecked(),
        )

    def set_priority(self, file_position: int, value: int) -> None:
        """Pick a priority for the n-th file in the tree (as a user would in its combo box)."""
        combo = self.tree.itemWidget(self._leaves(self.tree.invisibleRootItem())[file_position], 2)
        combo.setCurrentIndex([v for _, v in PRIORITIES].index(value))  # type: ignore[attr-defined]

    def _on_category(self, _index: int) -> None:
        path = self._engine.labels.save_path_of(str(self.category_box.currentData() or ""))
        self.path_edit.setText(str(path or self._default_dir))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save in", self.path_edit.text())
        if folder:
            self.path_edit.setText(folder)

    def _look_up_free_space(self) -> None:
        path = Path(self.path_edit.text().strip() or self._default_dir)
        self._tasks.run(lambda: free_space_sentence(path), self.free_label.setText, lambda _e: None)

    # --- adding --------------------------------------------------------------------------------------
    def _commit(self) -> None:
        self._committed = True
        self._poll.stop()
        chosen = self.choices()
        held = self._held
        self._tasks.run(lambda: self._add(chosen, held), self.added.emit, self._on_add_failed)
        self.accept()

    def _add(self, chosen: AddChoices, held: TorrentId | None) -> TorrentId:
        engine = self._engine
        if held is None:
            tid = engine.add_torrent_file(
                Path(self._source), chosen.save_path, paused=chosen.paused, file_priorities=chosen.priorities,
                sequential=chosen.sequential, skip_check=chosen.skip_check,
            )
        else:
            tid = held
            if chosen.priorities is not None:
                engine.set_file_priorities(tid, chosen.priorities)
            if chosen.save_path.resolve() != self._default_dir.resolve():
                engine.move_storage(tid, chosen.save_path)
            engine.controls.set_sequential(tid, chosen.sequential)
            if chosen.paused:
                engine.pause(tid)
            engine.controls.hold_for_metadata(tid, False)
        if chosen.category:
            engine.labels.set_category(tid, chosen.category)
        if chosen.tags:
            engine.labels.add_tags(tid, chosen.tags)
        return tid

    def _on_add_failed(self, exc: BaseException) -> None:
        self.failed.emit(str(exc) or type(exc).__name__)

    def reject(self) -> None:
        self._poll.stop()
        self._cancelled = True
        held = self._held
        if held is not None and not self._committed:
            self._tasks.run(lambda: self._engine.remove(held), None, lambda _e: None)
        super().reject()
