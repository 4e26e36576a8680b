"""The Store tab: an account bar over a stack of the catalog grid and one bundle's page.

It routes the bundle page's buttons to ``StoreActions`` and shows what the actions report; it never calls
the store itself. Until the store is reachable (the embedded demo store takes a moment to start the first
time) it shows what is happening instead of an empty grid. While a bundle's page is on screen its live figures
(swarm health, a campaign's backers) are re-read every ``REFRESH_MS`` in the background.

Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from app.store.models import BundleDetail, StoreInfo
from app.ui.banner import Banner
from app.ui.covers import CoverCache
from app.ui.store.actions import StoreActions
from app.ui.store.bundle_page import BundlePage
from app.ui.store.catalog_page import CatalogGrid
from app.ui.store.unavailable_panel import StoreUnavailablePanel

REFRESH_MS = 20_000  # a tracker's peers announce every few minutes; a campaign's count moves faster


class StorePage(QWidget):
    def __init__(
        self, actions: StoreActions, grid: CatalogGrid, covers: CoverCache, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store_actions = actions
        self.grid = grid
        self.covers = covers
        self.bundle_page = BundlePage(self)
        self.banner = Banner(self)
        self._banner_bundle: str | None = None  # the bundle the info line speaks of
        self.store_name = QLabel("Connecting to the store…")
        self.store_name.setStyleSheet("font-weight: 600;")
        self.account_label = QLabel()
        self.sign_in_button = QPushButton("Sign in…")
        self.sign_out_button = QPushButton("Sign out")
        self.unavailable = StoreUnavailablePanel(self)  # in the catalog's place while the store can't be had
        self.unavailable.try_again_requested.connect(self._retry)
        self.retry_button = self.unavailable.try_again_button
        self.sign_in_button.clicked.connect(lambda: actions.with_account(lambda: None))
        self.sign_out_button.clicked.connect(actions.sign_out)
        bar = QHBoxLayout()
        bar.addWidget(self.store_name, 1)
        bar.addWidget(self.account_label)
        bar.addWidget(self.sign_in_button)
        bar.addWidget(self.sign_out_button)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(grid)
        self.stack.addWidget(self.bundle_page)
        self.stack.addWidget(self.unavailable)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self._show_account("")
        self.grid.setEnabled(False)

        grid.bundle_selected.connect(actions.open_bundle)
        page = self.bundle_page
        page.back_requested.connect(lambda: self.stack.setCurrentWidget(grid))
        page.back_requested.connect(lambda: self._forget_other_bundles_banner(None))
        page.get_requested.connect(actions.get)
        page.email_requested.connect(actions.give_email)
        page.buy_requested.connect(actions.buy)
        page.pledge_requested.connect(actions.pledge)
        page.download_requested.connect(actions.download)
        page.watch_pilot_requested.connect(actions.watch_pilot)
        self._show_what_actions_report(actions)
        covers.cover_ready.connect(self._on_cover)
        self.refresh_timer = self._start_refresh_timer()

    def _show_what_actions_report(self, actions: StoreActions) -> None:
        actions.store_connected.connect(self._on_connected)
        actions.connect_failed.connect(self.show_unreachable)
        actions.store_progress.connect(self._show_store_progress)
        actions.account_changed.connect(self._show_account)
        actions.bundle_loaded.connect(self.show_bundle)
        actions.badges_changed.connect(self.grid.set_badges)
        actions.bundle_refreshed.connect(self._on_refreshed)
        actions.error.connect(self.banner.show_error)
        actions.purchase_completed.connect(lambda bundle_id, title: self._say_about(
            bundle_id, f"Thank you! Your ticket to “{title}” is in: press Watch when it is on."
            if actions.is_live(bundle_id) else f"Thank you! “{title}” is yours and is downloading."))
        actions.pledged.connect(lambda bundle_id, title: self._say_about(
            bundle_id, f"Thank you for backing “{title}”. Your card is charged only if the campaign reaches its goal."))
        actions.free_download_started.connect(lambda bundle_id, title: self._say_about(
            bundle_id, f"“{title}” is downloading — no account needed. Sign in if you want it kept in your account."))

    def _say_about(self, bundle_id: str, text: str) -> None:
        """An info line about one bundle: it goes away when another bundle's page (or the grid) is shown."""
        self.banner.show_info(text)
        self._banner_bundle = bundle_id

    def _forget_other_bundles_banner(self, bundle_id: str | None) -> None:
        if self._banner_bundle is not None and self._banner_bundle != bundle_id:
            self.banner.hide()
            self._banner_bundle = None

    def _start_refresh_timer(self) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(REFRESH_MS)
        timer.timeout.connect(self._refresh_shown_bundle)
        timer.start()
        return timer

    def show_starting(self, text: str) -> None:
        self.store_name.setText(text)

    def _show_store_progress(self, log_line: str) -> None:
        # The store's log line after its "logger: " prefix, shortened: enough to show it is working.
        detail = log_line.rsplit(": ", 1)[-1].strip()
        detail = detail if len(detail) <= 70 else detail[:69] + "…"
        self.store_name.setText(f"Starting the built-in demo store: {detail}")

    def show_unreachable(self, text: str) -> None:
        """The store could not be reached or did not start: its sentence and *Try again*, where the catalog was."""
        self.store_name.setText("Store unavailable")
        self.unavailable.show_failure(text)
        self.stack.setCurrentWidget(self.unavailable)

    def _retry(self) -> None:
        self.banner.hide()
        self.show_starting("Connecting to the store…")
        self.store_actions.connect_store()

    def _on_connected(self, info: StoreInfo) -> None:
        self.store_name.setText(info.name + ("  (demo — no real money)" if info.demo else ""))
        self.banner.hide()
        if self.stack.currentWidget() is self.unavailable:
            self.stack.setCurrentWidget(self.grid)
        self.grid.setEnabled(True)
        self.grid.reload()

    def _show_account(self, email: str) -> None:
        self.account_label.setText(f"Signed in as {email}" if email else "Not signed in")
        self.sign_in_button.setVisible(not email)
        self.sign_out_button.setVisible(bool(email))

    def show_bundle(self, detail: BundleDetail, owned: bool) -> None:
        self._forget_other_bundles_banner(detail.id)
        self.bundle_page.show_bundle(detail, owned=owned)
        cover = self.covers.request(detail.cover_url)
        if cover is not None:
            self.bundle_page.set_cover(cover)
        self.stack.setCurrentWidget(self.bundle_page)

    def _showing_bundle(self, bundle_id: str | None = None) -> bool:
        detail = self.bundle_page.detail
        on_screen = self.isVisible() and self.stack.currentWidget() is self.bundle_page and detail is not None
        return on_screen and (bundle_id is None or (detail is not None and detail.id == bundle_id))

    def _refresh_shown_bundle(self) -> None:
        if self._showing_bundle() and self.bundle_page.detail is not None:
            self.store_actions.refresh_bundle(self.bundle_page.detail.id)

    def _on_refreshed(self, detail: BundleDetail, owned: bool) -> None:
        if self._showing_bundle(detail.id):  # the fan may have gone back to the grid or to another bundle
            self.bundle_page.show_bundle(detail, owned=owned)
            cover = self.covers.request(detail.cover_url)
            if cover is not None:
                self.bundle_page.set_cover(cover)

    def _on_cover(self, url: str, pixmap: QPixmap) -> None:
        detail = self.bundle_page.detail
        if detail is not None and detail.cover_url == url:
            self.bundle_page.set_cover(pixmap)
