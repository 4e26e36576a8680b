"""The Store section: the Store tab (catalog grid with the "Live now" row, a bundle's page, the account bar) and
the store's flows.

Built by ``app.ui.assembly`` with explicit dependencies — the store backend, the ``Library`` (to add bundles),
the task runner and the shared cover cache — it knows no other section and not the shell. It talks through
signals: ``status`` (a line for the status bar), ``notification`` (title, text), ``play_requested`` (a bundle's
*Play*), ``pilot_ready`` (*Watch pilot*'s bundle is in the engine), ``library_changed`` (a license or a bundle
arrived), ``watch_live_requested`` (a live bundle's *Watch*: the app's live player takes the bundle id),
``show_requested`` (bring the window and the Store tab forward: a ``bundlecast:`` link arrived). Verbs: ``start``,
``download``, ``open_bundle``, ``open_links``.

Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.library import Library, StoreBackend
from app.store.links import parse_bundlecast_link, same_store
from app.store.models import StoreInfo
from app.ui.covers import CoverCache
from app.ui.errors import user_message
from app.ui.store.actions import StoreActions
from app.ui.store.catalog_page import CatalogGrid
from app.ui.store.live_row import LiveRow
from app.ui.store.page import StorePage
from app.ui.tasks import TaskRunner


class StoreSection(QObject):
    status = Signal(str)
    notification = Signal(str, str)  # title, text
    play_requested = Signal(str)  # bundle id
    pilot_ready = Signal(str)  # bundle id
    library_changed = Signal()
    show_requested = Signal()  # bring the window forward with the Store tab (a bundlecast: link)
    watch_live_requested = Signal(str)  # a live bundle's Watch (issue 9): bundle id, for the live player

    def __init__(
        self, backend: StoreBackend, library: Library, tasks: TaskRunner, covers: CoverCache,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.covers = covers
        self.backend = backend
        self._tasks = tasks
        self.actions = StoreActions(backend, library, tasks, lambda: self.store_page, self)
        self.grid = CatalogGrid(backend.catalog, covers, tasks)
        self.live_row = LiveRow(backend.live_listing, tasks)  # issue 9: "Live now" and upcoming, over the cards
        self.grid.add_header(self.live_row)
        self.store_page = StorePage(self.actions, self.grid, covers)
        self._connect()

    def _connect(self) -> None:
        actions = self.actions
        actions.store_connected.connect(self._on_connected)
        actions.error.connect(self.status)
        actions.connect_failed.connect(lambda _text: self.status.emit("Store unavailable"))
        actions.purchase_completed.connect(lambda bundle_id, title: self.notification.emit(
            "Purchase complete", f"Your ticket to “{title}” is in." if actions.is_live(bundle_id)
            else f"“{title}” is yours. It is downloading now."))
        actions.account_changed.connect(lambda _email: self.library_changed.emit())
        actions.license_acquired.connect(lambda _b, _t: self.library_changed.emit())
        actions.bundle_added.connect(self._on_bundle_added)
        self.store_page.bundle_page.play_requested.connect(self.play_requested)
        self.store_page.bundle_page.watch_live_requested.connect(self.watch_live_requested)
        self.live_row.bundle_selected.connect(actions.open_bundle)
        actions.store_connected.connect(lambda _info: self.live_row.reload())

    def _on_connected(self, info: StoreInfo) -> None:
        self.status.emit(f"Store: {info.name}")
        self.library_changed.emit()

    def _on_bundle_added(self, bundle_id: str, _torrent_id: str, pilot_only: bool) -> None:
        self.library_changed.emit()
        if pilot_only:
            self.pilot_ready.emit(bundle_id)

    # --- verbs ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Contact the store in the background (the embedded one may take a while to start the first time)."""
        self.store_page.show_starting("Starting the store…")
        self.status.emit("Connecting to the store…")
        self.actions.connect_store()

    def download(self, bundle_id: str, *, recheck: bool = False) -> None:
        self.actions.download(bundle_id, recheck=recheck)

    def rebuild(self, bundle_ids: list[str]) -> None:
        """Re-add each bundle and re-check what is on disk."""
        for bundle_id in bundle_ids:
            self.actions.download(bundle_id, recheck=True)

    def open_bundle(self, bundle_id: str) -> None:
        self.actions.open_bundle(bundle_id)

    def open_links(self, arguments: list[str]) -> None:
        """``bundlecast://open/<bundle>?store=<url>`` arguments (a web page's *Open in Bundlecast*, from a launch
        or the single-instance hand-over): show each bundle's page in the Store tab when the link is for the store
        this app is connected (and signed in) to; say so when it is for another store."""
        links = [link for link in map(parse_bundlecast_link, arguments) if link is not None]
        if not links:
            return
        self.show_requested.emit()

        def opened(connected_url: str) -> None:
            for link in links:
                if same_store(link.store_url, connected_url):
                    self.actions.open_bundle(link.bundle_id)
                else:
                    self.status.emit(
                        f"That link is for another store ({link.store_url}); Bundlecast uses {connected_url}."
                    )

        # The store's address may need the (embedded) store started first: a worker's job, not the UI thread's.
        backend = self.backend
        self._tasks.run(lambda: backend.base_url, opened, lambda exc: self.status.emit(user_message(exc)))

    def report_store_progress(self, log_line: str) -> None:
        """A line of the embedded store's start-up log; may be called from any thread (a queued signal)."""
        self.actions.store_progress.emit(log_line)
