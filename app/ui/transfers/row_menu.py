"""The right-click menu of the Transfers table and the verbs behind it.

``TransferActions`` does what the menu (and the toolbar, and the sidebar's category and tag menus) asks, on the
selected torrents: pause, resume, force recheck, force reannounce, open the torrent's own folder, copy the magnet
link or the info-hash, set the category and tags, rate limits, seeding limits, queue position, sequential download,
first and last pieces first. Every engine call runs on the task runner (libtorrent calls may wait on its network
thread; label and seeding-limit writes touch the disk); errors come back as the engine's sentences through
``error``. The checkable entries show their state as soon as a worker has read it (``controls.options``) — the
menu opens at once without it.

Main thread; engine calls on the task runner's pool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu, QWidget

from app.engine.labels import LabelBook
from app.engine.seed_limits import SeedLimitBook, SeedLimits
from app.engine.torrent_controls import QueueMove, TorrentControls, TorrentOptions
from app.engine.types import TorrentId, TorrentSnapshot
from app.ui.tasks import TaskRunner
from app.ui.transfers.label_dialogs import CategoryDialog, LimitsDialog, TagsDialog, save_path_or_none
from app.ui.transfers.seed_limits_dialog import SeedLimitsDialog


class ActionsEngine(Protocol):
    """The engine verbs the menu needs."""

    def pause(self, torrent_id: TorrentId) -> None: ...
    def resume(self, torrent_id: TorrentId) -> None: ...
    def force_recheck(self, tid: TorrentId) -> None: ...
    def set_torrent_limits(self, tid: TorrentId, *, download: int | None = None, upload: int | None = None) -> None: ...

    @property
    def labels(self) -> LabelBook: ...
    @property
    def controls(self) -> TorrentControls: ...
    @property
    def seed_limits(self) -> SeedLimitBook: ...


def torrent_folder(snap: TorrentSnapshot) -> Path:
    """The torrent's own folder: its top folder when it has one on disk, else the folder holding its file."""
    own = Path(snap.save_path) / snap.name if snap.name else None
    if own is not None and own.is_dir():
        return own
    return Path(snap.save_path)


class TransferActions(QObject):
    """The verbs of the right-click menu, on lists of torrents."""

    error = Signal(str)  # a sentence for the page's banner
    labels_changed = Signal()  # after a category or tag change went through
    seed_limits_changed = Signal()  # after seeding limits were saved

    def __init__(
        self,
        engine: ActionsEngine,
        tasks: TaskRunner,
        open_folder: Callable[[Path], bool | None],
        parent_widget: QWidget,
    ) -> None:
        super().__init__(parent_widget)
        self._engine = engine
        self._tasks = tasks
        self._open_folder = open_folder
        self._widget = parent_widget

    # --- the menu ------------------------------------------------------------------------------------
    def menu_for(self, snaps: Sequence[TorrentSnapshot], remove: Callable[[], None]) -> QMenu:
        """The menu for the selected rows (``remove`` asks the keep-or-delete question)."""
        menu = QMenu(self._widget)
        ids = [snap.id for snap in snaps]
        menu.addAction("Resume", partial(self.each, self._engine.resume, ids))
        menu.addAction("Pause", partial(self.each, self._engine.pause, ids))
        menu.addAction("Remove…", remove)
        menu.addSeparator()
        menu.addAction("Force recheck", partial(self.each, self._engine.force_recheck, ids))
        menu.addAction("Force reannounce", partial(self.each, self._engine.controls.force_reannounce, ids))
        menu.addAction("Open folder", partial(self.open_folder, snaps[0]))
        menu.addSeparator()
        menu.addAction("Copy magnet link", partial(self.copy_magnets, ids))
        menu.addAction("Copy info-hash", lambda: QGuiApplication.clipboard().setText("\n".join(ids)))
        menu.addSeparator()
        self._category_menu(menu.addMenu("Category"), ids)
        self._tags_menu(menu.addMenu("Tags"), ids)
        menu.addAction("Limit rates…", partial(self.ask_limits, snaps))
        menu.addAction("Seeding limits…", partial(self.ask_seed_limits, ids))
        queue = menu.addMenu("Queue")
        for label, move in (("Move to top", QueueMove.TOP), ("Move up", QueueMove.UP),
                            ("Move down", QueueMove.DOWN), ("Move to bottom", QueueMove.BOTTOM)):
            queue.addAction(label, partial(self.each, partial(self._move, move=move), ids))
        menu.addSeparator()
        sequential = menu.addAction("Download in sequential order")
        first_last = menu.addAction("Download first and last pieces first")
        for action in (sequential, first_last):
            action.setCheckable(True)
            action.setEnabled(False)  # until the worker has read the current state
        sequential.toggled.connect(lambda on: self.each(partial(self._sequential, on=on), ids))
        first_last.toggled.connect(lambda on: self.each(partial(self._first_last, on=on), ids))
        self._tasks.run(
            partial(self._engine.controls.options, ids[0]),
            partial(self._show_options, sequential, first_last),
            lambda _exc: None,
        )
        return menu

    def _show_options(self, sequential: QAction, first_last: QAction, options: TorrentOptions) -> None:
        for action, on in ((sequential, options.sequential), (first_last, options.first_last_pieces)):
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
            action.setEnabled(True)

    def _category_menu(self, menu: QMenu, ids: list[TorrentId]) -> None:
        labels = self._engine.labels.current()
        current = {labels.category(tid) for tid in ids}
        for name in ["", *sorted(labels.categories, key=str.casefold)]:
            action = menu.addAction(name or "None", partial(self.set_category, ids, name))
            action.setCheckable(True)
            action.setChecked(current == {name})
        menu.addSeparator()
        menu.addAction("New category…", partial(self.ask_new_category, ids))

    def _tags_menu(self, menu: QMenu, ids: list[TorrentId]) -> None:
        labels = self._engine.labels.current()
        for tag in labels.tags:
            action = menu.addAction(tag)
            action.setCheckable(True)
            action.setChecked(all(tag in labels.torrent_tags(tid) for tid in ids))
            action.toggled.connect(partial(self.set_tag, ids, tag))
        menu.addSeparator()
        menu.addAction("Add tags…", partial(self.ask_new_tags, ids))

    # --- verbs ---------------------------------------------------------------------------------------
    def each(self, verb: Callable[[TorrentId], object], ids: Sequence[TorrentId]) -> None:
        for tid in ids:
            self._tasks.run(partial(verb, tid), None, self._fail)

    def _move(self, tid: TorrentId, *, move: QueueMove) -> None:
        self._engine.controls.move_in_queue(tid, move)

    def _sequential(self, tid: TorrentId, *, on: bool) -> None:
        self._engine.controls.set_sequential(tid, on)

    def _first_last(self, tid: TorrentId, *, on: bool) -> None:
        self._engine.controls.set_first_last_pieces(tid, on)

    def open_folder(self, snap: TorrentSnapshot) -> None:
        """Open the torrent's own folder in the file manager (found on a worker: it looks at the disk)."""
        self._tasks.run(partial(torrent_folder, snap), self._open_found_folder, self._fail)

    def _open_found_folder(self, folder: Path) -> None:
        if self._open_folder(folder) is False:
            self.error.emit(f"No file manager is set up to open folders. The files are in {folder}")

    def copy_magnets(self, ids: Sequence[TorrentId]) -> None:
        def magnets() -> str:
            return "\n".join(self._engine.controls.magnet_uri(tid) for tid in ids)

        self._tasks.run(magnets, QGuiApplication.clipboard().setText, self._fail)

    def set_category(self, ids: Sequence[TorrentId], name: str) -> None:
        def work() -> None:
            for tid in ids:
                self._engine.labels.set_category(tid, name or None)

        self._tasks.run(work, lambda _r: self.labels_changed.emit(), self._fail)

    def set_tag(self, ids: Sequence[TorrentId], tag: str, on: bool) -> None:
        def work() -> None:
            for tid in ids:
                if on:
                    self._engine.labels.add_tags(tid, [tag])
                else:
                    self._engine.labels.remove_tags(tid, [tag])

        self._tasks.run(work, lambda _r: self.labels_changed.emit(), self._fail)

    def ask_new_category(self, ids: Sequence[TorrentId] = ()) -> None:
        dialog = CategoryDialog(self._widget)
        dialog.chosen.connect(partial(self.create_category, ids))
        dialog.open()

    def create_category(self, ids: Sequence[TorrentId], name: str, save_path: str) -> None:
        def work() -> None:
            created = self._engine.labels.create_category(name, save_path_or_none(save_path))
            for tid in ids:
                self._engine.labels.set_category(tid, created.name)

        self._tasks.run(work, lambda _r: self.labels_changed.emit(), self._fail)

    def remove_category(self, name: str) -> None:
        self._tasks.run(partial(self._engine.labels.remove_categories, [name]),
                        lambda _r: self.labels_changed.emit(), self._fail)

    def ask_new_tags(self, ids: Sequence[TorrentId] = ()) -> None:
        dialog = TagsDialog(self._widget)
        dialog.chosen.connect(partial(self.create_tags, ids))
        dialog.open()

    def create_tags(self, ids: Sequence[TorrentId], tags: list[str]) -> None:
        def work() -> None:
            self._engine.labels.create_tags(tags)
            for tid in ids:
                self._engine.labels.add_tags(tid, tags)

        self._tasks.run(work, lambda _r: self.labels_changed.emit(), self._fail)

    def delete_tag(self, tag: str) -> None:
        self._tasks.run(partial(self._engine.labels.delete_tags, [tag]),
                        lambda _r: self.labels_changed.emit(), self._fail)

    def ask_limits(self, snaps: Sequence[TorrentSnapshot]) -> None:
        dialog = LimitsDialog(snaps[0].download_limit, snaps[0].upload_limit, self._widget)
        dialog.chosen.connect(partial(self.set_limits, [snap.id for snap in snaps]))
        dialog.open()

    def set_limits(self, ids: Sequence[TorrentId], download: int, upload: int) -> None:
        for tid in ids:
            self._tasks.run(
                partial(self._engine.set_torrent_limits, tid, download=download, upload=upload), None, self._fail
            )

    def ask_seed_limits(self, ids: Sequence[TorrentId]) -> None:
        """The share-ratio and seeding-time limits of the selected torrents (the first one's shown)."""
        dialog = SeedLimitsDialog(self._engine.seed_limits.get(ids[0]), len(ids), self._widget)  # a memory read
        dialog.chosen.connect(partial(self.set_seed_limits, list(ids)))
        dialog.open()

    def set_seed_limits(self, ids: Sequence[TorrentId], limits: SeedLimits) -> None:
        """Save the limits of every torrent in ``ids`` on a worker (the book writes its file)."""

        def work() -> None:
            for tid in ids:
                self._engine.seed_limits.set(tid, limits)

        self._tasks.run(work, lambda _r: self.seed_limits_changed.emit(), self._fail)

    def _fail(self, exc: BaseException) -> None:
        self.error.emit(str(exc) or type(exc).__name__)
