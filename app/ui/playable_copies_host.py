"""Runs the owner's playable copies (``app.library.playable_copies``) from the window: on a worker whenever a
bundle finishes downloading (a new release included), when the owner changes a choice, and when the library
refreshes; opens a book in the system's reader (the playable copy, written first if needed).

Main thread; the file work runs on the task runner and reports back through signals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from app.bundle import License, Manifest
from app.library import LibraryIndex
from app.library.bundle_files import FileLister, bundle_on_disk_reader
from app.library.fan_folders import FanFolders
from app.library.playable_copies import CopyChoices, PlayableCopies, PlayableCopyError
from app.ui.tasks import TaskRunner


class PlayableCopiesHost(QObject):
    copies_written = Signal(str, list)  # bundle id, [Path] written now (may be empty)
    failed = Signal(str)  # a sentence for the fan
    book_opened = Signal(str)  # the file handed to the system's reader

    def __init__(
        self,
        copies: PlayableCopies,
        tasks: TaskRunner,
        bundle_of_torrent: Callable[[str], str | None],
        parent: QObject | None = None,
        *,
        open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl,
        torrent_of_bundle: Callable[[str], str | None] = lambda _bundle_id: None,
    ) -> None:
        super().__init__(parent)
        self.copies = copies
        self._tasks = tasks
        self._bundle_of_torrent = bundle_of_torrent
        self._torrent_of_bundle = torrent_of_bundle
        self._open_url = open_url
        self.seen: dict[str, tuple[str, Manifest]] = {}  # torrent id → (bundle id, manifest) of bundles synced

    def wants(self, bundle_id: str) -> bool:
        return self.copies.choices.wants(bundle_id)

    def sync(self, bundle_id: str) -> None:
        self._tasks.run(lambda: self.copies.sync(bundle_id),
                        lambda written: self.copies_written.emit(bundle_id, written), self._on_error)

    def sync_all(self, bundle_ids: Iterable[str]) -> None:
        for bundle_id in list(bundle_ids):
            self.sync(bundle_id)

    def on_torrent_finished(self, torrent_id: str, _name: str = "") -> None:
        bundle_id = self._bundle_of_torrent(torrent_id)
        if bundle_id is not None:
            self.sync(bundle_id)

    def on_torrent_removed(self, torrent_id: str) -> None:
        """A bundle left Bundlecast: its playable copies go too when the owner asked for that."""
        known = self.seen.get(torrent_id)
        if known is None or not self.copies.choices.remove_with_bundle:
            return
        bundle_id, manifest = known
        current = self._torrent_of_bundle(bundle_id)
        if current is not None and current != torrent_id:
            return  # a release replaced this torrent with the grown one: the bundle and its copies stay
        self._tasks.run(lambda: self.copies.remove_with_bundle(manifest),
                        lambda removed: self.copies_written.emit(bundle_id, []), self._on_error)

    def set_remove_with_bundle(self, on: bool) -> None:
        self._tasks.run(lambda: self.copies.choices.set_remove_with_bundle(on), None, self._on_error)

    def set_choice(self, bundle_id: str | None, on: bool, affected: Iterable[str] = ()) -> None:
        """One bundle's choice (or all, with ``bundle_id`` None and the ``affected`` bundles), then bring the
        copies in step: written when on, removed when off."""
        ids = [bundle_id] if bundle_id is not None else list(affected)

        def change() -> list[Path]:
            self.copies.set_choice(bundle_id, on)
            return self.copies.sync_all(ids)

        self._tasks.run(change, lambda written: self.copies_written.emit(bundle_id or "", written), self._on_error)

    def open_book(self, bundle_id: str, entry_path: str) -> None:
        """Open one book of the bundle in the system's reader."""
        self._tasks.run(lambda: self.copies.copy_of(bundle_id, entry_path), self._on_book_ready, self._on_error)

    def _on_book_ready(self, path: Path | None) -> None:
        if path is None:
            self.failed.emit("This book is not in your library yet.")
            return
        if not self._open_url(QUrl.fromLocalFile(str(path))):
            self.failed.emit(f"No reader on this computer opens “{path.name}”. It is in {path.parent}.")
            return
        self.book_opened.emit(str(path))

    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, PlayableCopyError):
            self.failed.emit(str(exc))
        else:
            self.failed.emit("Bundlecast could not keep your playable copies up to date. Check the folder's space.")


def build_playable_copies_host(
    index: LibraryIndex, engine: FileLister, verified_manifest: Callable[[str, str], Manifest],
    licenses_for_bundle: Callable[[str], Sequence[License]], tasks: TaskRunner, *, parent: QObject | None = None,
) -> PlayableCopiesHost:
    """The host over the library index's bundles; choices kept beside the index (``playable-copies.json``)."""
    seen: dict[str, tuple[str, Manifest]] = {}
    reader = bundle_on_disk_reader(index, engine, verified_manifest, licenses_for_bundle, seen)
    copies = PlayableCopies(CopyChoices(index.path.parent / "playable-copies.json"), FanFolders.from_environment(),
                            reader)
    host = PlayableCopiesHost(copies, tasks, lambda tid: r.bundle_id if (r := index.by_torrent(tid)) else None,
                              parent=parent,
                              torrent_of_bundle=lambda bundle_id: r.torrent_id if (r := index.get(bundle_id)) else None)
    host.seen = seen
    return host
