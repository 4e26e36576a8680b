"""The store's front page: a grid of bundle cards (cover, title, creator, price), a search box and a kind filter.

The catalog is fetched on the task runner a page at a time (search is debounced by 300 ms); when the fan
scrolls to the end of the grid — or the grid is not full enough to scroll — the next page is fetched in the
background and appended. Covers arrive later from the ``CoverCache`` and are put on their cards. Opening a card
emits ``bundle_selected(bundle_id)``.

Main thread; HTTP runs on the task runner.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.store.models import BundleSummary, CatalogPage, GateType
from app.ui.banner import Banner
from app.ui.covers import CoverCache
from app.ui.tasks import TaskRunner
from app.ui.units import format_price

KINDS = [("All kinds", ""), ("Series", "series"), ("Films", "film"), ("Music", "music"), ("Books", "book"),
         ("Software", "software"), ("Games", "game"), ("Live broadcasts", "live")]
COVER_SIZE = QSize(150, 200)  # the demo covers' 3:4; a placeholder of the same shape keeps cards from jumping
BUNDLE_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def gate_label(summary: BundleSummary, *, short: bool = False) -> str:
    """The price line: "Free", "$7.00", … (``short`` for the grid's cards)."""
    gate = summary.gate
    match gate.type:
        case GateType.FREE:
            return "Free"
        case GateType.EMAIL:
            return "Free for your e-mail"
        case GateType.PAID:
            return format_price(gate.price_cents or 0, gate.currency)
        case GateType.PWYW:
            minimum = format_price(gate.min_cents or 0, gate.currency)
            return f"{minimum} or more, you choose" if short else f"Pay what you want (from {minimum})"
        case GateType.CAMPAIGN:
            return f"Campaign · pledge {format_price(gate.price_cents or 0, gate.currency)}"
    return gate.type.value


def _empty_label() -> QLabel:
    label = QLabel()
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet("font-size: 13pt; padding: 40px;")
    label.hide()
    return label


def _placeholder() -> QPixmap:
    pixmap = QPixmap(COVER_SIZE)
    pixmap.fill(QColor("#d9dce3"))
    return pixmap


class CatalogGrid(QWidget):
    """Search, filter and a grid of cards."""

    bundle_selected = Signal(str)
    loaded = Signal(int)  # number of cards shown

    def __init__(
        self,
        load_catalog: Callable[[str, str | None, int], CatalogPage],  # (query, kind, 1-based page)
        covers: CoverCache,
        tasks: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._load_catalog = load_catalog
        self._covers = covers
        self._tasks = tasks
        self._generation = 0
        self._query: tuple[str, str | None] = ("", None)
        self._pages_loaded = 0
        self._total = 0
        self._loading_more = False
        self._shown_ids: set[str] = set()
        self._items_by_cover: dict[str, list[QListWidgetItem]] = {}
        self._summaries: dict[str, BundleSummary] = {}
        self._owned: frozenset[str] = frozenset()
        self._backed: frozenset[str] = frozenset()
        covers.cover_ready.connect(self._on_cover_ready)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the store")
        self.search.setClearButtonEnabled(True)
        self.kind = QComboBox()
        for label, value in KINDS:
            self.kind.addItem(label, value)
        self.count_label = QLabel()
        self.banner = Banner(self)
        self.empty_label = _empty_label()
        self.grid = QListWidget()
        self.grid.setObjectName("catalog")  # styled by resources/styles/bundlecast.qss
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(COVER_SIZE)
        self.grid.setGridSize(QSize(COVER_SIZE.width() + 80, COVER_SIZE.height() + 72))
        self.grid.setUniformItemSizes(True)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setWordWrap(True)
        self.grid.setSpacing(8)
        self.grid.itemActivated.connect(self._open_item)
        self.grid.itemClicked.connect(self._open_item)
        # Bound slots, not lambdas: Qt drops a bound slot's connection when the page is destroyed, while a lambda
        # would still run during teardown (the scroll bar emits rangeChanged as the grid dies) on a deleted grid.
        self.grid.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.grid.verticalScrollBar().rangeChanged.connect(self._on_scroll_range_changed)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.kind.currentIndexChanged.connect(lambda _i: self.reload())

        self._lay_out()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.kind)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.empty_label, 1)

    def add_header(self, widget: QWidget) -> None:
        """A widget over the cards, under the search bar (the section's "Live now" row)."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(1, widget)

    def reload(self) -> None:
        """Fetch the first page for the current search and filter; older answers are dropped."""
        self._generation += 1
        self._query = (self.search.text().strip(), self.kind.currentData() or None)
        self._loading_more = False
        self.count_label.setText("Loading…")
        self._fetch(1)

    @property
    def has_more(self) -> bool:
        """True while the store holds cards the grid has not fetched yet."""
        return self._pages_loaded > 0 and self.grid.count() < self._total

    def load_more(self) -> None:
        """Fetch and append the next page (at most one request in flight)."""
        if self._loading_more or not self.has_more:
            return
        self._loading_more = True
        self._fetch(self._pages_loaded + 1)

    def _fetch(self, page_number: int) -> None:
        generation = self._generation
        query, kind = self._query
        self._tasks.run(
            lambda: self._load_catalog(query, kind, page_number),
            lambda page: self._show(generation, page),
            lambda exc: self._show_error(generation, exc),
        )

    def _on_scrolled(self, _value: int) -> None:
        self._load_more_if_at_end()

    def _on_scroll_range_changed(self, _low: int, _high: int) -> None:
        self._load_more_if_at_end()

    def _load_more_if_at_end(self) -> None:
        if not self.has_more or not self.grid.isVisible():
            return  # a hidden grid (another tab, the tray) has not been seen to its end
        bar = self.grid.verticalScrollBar()
        if bar.maximum() == 0:
            # QListView lays items out later, on a timer: until then the range reads 0 (as if all cards fit).
            self.grid.doItemsLayout()
        # Within one row of the end (or nothing to scroll): the fan has seen what is there.
        if bar.value() >= bar.maximum() - self.grid.gridSize().height():
            self.load_more()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """Back on screen (another tab, the tray): a grid too short to scroll may need its next page."""
        super().showEvent(event)
        QTimer.singleShot(0, self, self._load_more_if_at_end)  # with a context: never runs after the page is gone

    def card_titles(self) -> list[str]:
        return [self.grid.item(i).text().split("\n", 1)[0] for i in range(self.grid.count())]

    def _show(self, generation: int, page: CatalogPage) -> None:
        if generation != self._generation:
            return
        self.banner.hide()
        self._loading_more = False
        if page.page <= 1:
            self.grid.clear()
            self._items_by_cover.clear()
            self._shown_ids.clear()
        self._pages_loaded = page.page
        self._total = page.total
        for summary in page.items:
            if summary.id in self._shown_ids:
                continue  # a bundle published meanwhile shifted the pages: it is already on a card
            self._shown_ids.add(summary.id)
            self.grid.addItem(self._card(summary))
        if not page.items:
            self._total = self.grid.count()  # the store holds fewer than it said: stop asking
        self._show_empty_message(self.grid.count() == 0)
        self.count_label.setText(
            f"{page.total} bundle{'s' if page.total != 1 else ''}"
            if page.total_exact
            else f"More than {page.total:,} bundles"
        )
        self.loaded.emit(self.grid.count())
        # A tall window may show every card without a scroll; the context stops the call if the page is gone.
        QTimer.singleShot(0, self, self._load_more_if_at_end)

    def _show_empty_message(self, empty: bool) -> None:
        """An empty grid says why, instead of showing a grey box."""
        query, kind = self._query
        kind_name = next((label for label, value in KINDS if value == kind), "")
        if query and kind:
            text = f"Nothing matches “{query}” in {kind_name}. Try another word, or All kinds."
        elif query:
            text = f"Nothing matches “{query}”. Try another word."
        elif kind:
            text = f"No {kind_name.lower()} in this store yet. Choose All kinds to see everything."
        else:
            text = "This store has no bundles yet."
        self.empty_label.setText(text)
        self.empty_label.setVisible(empty)
        self.grid.setVisible(not empty)

    def set_badges(self, owned: frozenset[str], pledged: frozenset[str]) -> None:
        """Mark the cards of bundles this fan owns (a license) or backed (a pledge, or a campaign's license)."""
        self._owned, self._backed = frozenset(owned), frozenset(pledged)
        for row in range(self.grid.count()):
            item = self.grid.item(row)
            summary = self._summaries.get(str(item.data(BUNDLE_ID_ROLE)))
            if summary is not None:
                item.setText(self._card_text(summary))

    def badge_of(self, bundle_id: str) -> str:
        summary = self._summaries.get(bundle_id)
        campaign = summary is not None and summary.gate.type is GateType.CAMPAIGN
        if bundle_id in self._backed or (campaign and bundle_id in self._owned):
            return "♥ Backed"
        return "✔ Yours" if bundle_id in self._owned else ""

    def _card_text(self, summary: BundleSummary) -> str:
        badge = self.badge_of(summary.id)
        return f"{summary.title}\n{summary.creator}\n{badge or gate_label(summary, short=True)}"

    def _card(self, summary: BundleSummary) -> QListWidgetItem:
        self._summaries[summary.id] = summary
        item = QListWidgetItem(self._card_text(summary))
        item.setData(BUNDLE_ID_ROLE, summary.id)
        item.setToolTip(summary.summary)
        item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        cover = self._covers.request(summary.cover_url)
        item.setIcon(QIcon(cover or _placeholder()))
        self._items_by_cover.setdefault(summary.cover_url, []).append(item)
        return item

    def _show_error(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._loading_more = False
            self.count_label.clear()
            self.banner.show_error(getattr(exc, "user_message", None) or str(exc))

    def _on_cover_ready(self, url: str, pixmap: QPixmap) -> None:
        for item in self._items_by_cover.get(url, []):
            item.setIcon(QIcon(pixmap))
        # A new icon changes the card's painted area; repaint the whole grid so nothing of the placeholder stays.
        self.grid.viewport().update()

    def _open_item(self, item: QListWidgetItem) -> None:
        self.bundle_selected.emit(str(item.data(BUNDLE_ID_ROLE)))
