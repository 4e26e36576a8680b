"""Builds the store-backed pages (Store, Library, and the Player's tab) and wires them into the desktop.

``StoreSection.pages_for(backend, index, cover_dir, player_factory)`` returns the hook ``Desktop`` calls while
it builds the window: the section creates its pages with the desktop's task runner, engine and download folder,
connects the engine bridge to the Library, the actions to the tray (a purchase completes, a download is added)
and starts contacting the store in the background.

Main thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.ui.library.index import LibraryIndex
from app.ui.library.page import LibraryPage
from app.ui.store.actions import StoreActions
from app.ui.store.backend import StoreBackend
from app.ui.store.bundle_adder import BundleAdder
from app.ui.store.catalog_page import CatalogGrid
from app.ui.store.covers import CoverCache
from app.ui.store.page import StorePage

if TYPE_CHECKING:
    from app.ui.desktop import Desktop

PlayerHook = Callable[["StoreSection", "Desktop"], QWidget | None]


class StoreSection(QObject):
    def __init__(
        self,
        desktop: Desktop,
        backend: StoreBackend,
        index: LibraryIndex,
        cover_dir: Path,
        player_hook: PlayerHook | None = None,
    ) -> None:
        super().__init__(desktop)
        self.desktop = desktop
        self.backend = backend
        self.index = index
        tasks = desktop.tasks
        engine = desktop.engine
        self.adder = BundleAdder(backend, engine, index, desktop.download_dir)  # type: ignore[arg-type]
        self.actions = StoreActions(backend, self.adder, tasks, lambda: desktop.window, self)
        self.covers = CoverCache(backend.fetch_cover, tasks, cover_dir, self)
        self.grid = CatalogGrid(backend.catalog, self.covers, tasks)
        self.store_page = StorePage(self.actions, self.grid, self.covers, desktop.window)
        self.library = LibraryPage(backend, index, self.adder, tasks, parent=desktop.window)
        self.player_host: QObject | None = None  # set by the player hook
        self.player = player_hook(self, desktop) if player_hook else None
        self._connect()

    @classmethod
    def pages_for(
        cls, backend: StoreBackend, index: LibraryIndex, cover_dir: Path, player_hook: PlayerHook | None = None
    ) -> Callable[[Desktop], list[tuple[QWidget, str]]]:
        def build(desktop: Desktop) -> list[tuple[QWidget, str]]:
            section = cls(desktop, backend, index, cover_dir, player_hook)
            desktop.store_section = section
            pages: list[tuple[QWidget, str]] = [(section.store_page, "Store"), (section.library, "Library")]
            if section.player is not None:
                pages.append((section.player, "Player"))
            return pages

        return build

    def _connect(self) -> None:
        desktop, actions, library = self.desktop, self.actions, self.library
        bridge = desktop.bridge
        bridge.stats_updated.connect(library.apply_stats)
        bridge.torrent_removed.connect(library.forget_torrent)
        actions.store_connected.connect(lambda info: desktop.window.set_store_status(f"Store: {info.name}"))
        actions.store_connected.connect(lambda _info: library.refresh())
        actions.account_changed.connect(lambda _email: library.refresh())
        actions.license_acquired.connect(lambda _b, _t: library.refresh())
        actions.purchase_completed.connect(
            lambda _b, title: desktop.tray.notify("Purchase complete", f"“{title}” is yours. It is downloading now."))
        actions.bundle_added.connect(lambda _b, _tid, _pilot: library.refresh())
        actions.error.connect(desktop.window.set_store_status)
        actions.connect_failed.connect(lambda _text: desktop.window.set_store_status("Store unavailable"))
        library.download_requested.connect(actions.download)
        library.rebuild_requested.connect(self._rebuild)
        library.remove_torrent_requested.connect(
            lambda tid: desktop.tasks.run(lambda: desktop.engine.remove(tid, delete_data=True)))
        library.apply_stats(tuple(desktop.engine.snapshots()))

    def _rebuild(self, bundle_ids: list[str]) -> None:
        for bundle_id in bundle_ids:
            self.actions.download(bundle_id, recheck=True)

    def start(self) -> None:
        """Contact the store in the background (the embedded one may take a while to start the first time)."""
        self.store_page.show_starting("Starting the store…")
        self.desktop.window.set_store_status("Connecting to the store…")
        self.actions.connect_store()
