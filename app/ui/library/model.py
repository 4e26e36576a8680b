"""The Library's list model: one row per bundle on the fan's shelf, with its cover, badges and download state.

``ShelfModel`` holds the ``ShelfBundle`` values a worker built (``Library.shelf``) and the latest engine snapshot
of each bundle's torrent. ``apply_stats`` touches only the rows whose torrent is in the batch (a dict from torrent
id to row), so a shelf of 1,000 bundles costs the UI thread nothing per batch beyond its own changes. Covers come
from the shared ``CoverCache``: ``data`` asks for a cover only when a row is painted (a list view asks only for
visible rows), the cache decodes it on a worker, and ``cover_ready`` repaints the rows that show it.
The model keeps its rows in the fan's sort order (title, last played or recently added: one Python ``sorted``,
not a proxy calling ``lessThan`` thousands of times); ``ShelfFilter`` searches titles and creators.
A stats batch is announced as one ``dataChanged`` per run of adjacent rows it touched (not one per row, and not
one from the first to the last touched row, which repainted every card between).

Main thread only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QPixmap

from app.engine.types import TorrentSnapshot, TorrentState
from app.library import ShelfBundle
from app.ui.covers import CoverCache
from app.ui.row_ranges import contiguous_ranges

BUNDLE_ROLE = Qt.ItemDataRole.UserRole + 1  # the ShelfBundle
STATE_ROLE = Qt.ItemDataRole.UserRole + 2  # the state text ("Ready", "Downloading 40%" …)
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3  # download progress 0 … 1, or None when not in the engine
BADGES_ROLE = Qt.ItemDataRole.UserRole + 4  # list of badge texts

_Index = QModelIndex | QPersistentModelIndex
_STATS_ROLES = [STATE_ROLE, PROGRESS_ROLE, BADGES_ROLE]


class Badge(enum.Enum):
    DOWNLOADING = "Downloading"
    READY = "Ready"
    BACKED = "Backed"
    NEW_EPISODE = "New episode"


def state_text(torrent_id: str | None, snap: TorrentSnapshot | None) -> str:
    if torrent_id is None or snap is None:
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


def badges(bundle: ShelfBundle, snap: TorrentSnapshot | None) -> list[Badge]:
    shown = []
    if snap is not None and snap.state is not TorrentState.ERROR:
        # progress counts the wanted bytes: a pilot-only download is ready when the pilot is.
        shown.append(Badge.READY if snap.progress >= 1.0 else Badge.DOWNLOADING)
    if bundle.backed:
        shown.append(Badge.BACKED)
    if bundle.new_episode:
        shown.append(Badge.NEW_EPISODE)
    return shown


class SortKey(enum.Enum):
    TITLE = "Title"
    LAST_PLAYED = "Last played"
    RECENTLY_ADDED = "Recently added"


_SORT_KEYS = {
    SortKey.TITLE: lambda b: (b.title.casefold(),),
    SortKey.LAST_PLAYED: lambda b: (-b.last_played_at, b.title.casefold()),
    SortKey.RECENTLY_ADDED: lambda b: (-b.added_at, b.title.casefold()),
}


@dataclass(frozen=True, slots=True)
class Card:
    """What the delegate paints for one bundle — read in Python, not through ``QVariant`` (see ``CoverDelegate``)."""

    title: str
    kind: str
    cover: QPixmap | None
    badges: tuple[str, ...]
    progress: float | None  # download progress, None when not in the engine


class ShelfModel(QAbstractListModel):
    def __init__(self, covers: CoverCache | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._covers = covers
        self._key = SortKey.TITLE
        self._bundles: list[ShelfBundle] = []
        self._snapshots: dict[str, TorrentSnapshot] = {}
        self._row_of_torrent: dict[str, int] = {}
        self._row_of_bundle: dict[str, int] = {}
        self._rows_of_cover: dict[str, list[int]] = {}
        if covers is not None:
            covers.cover_ready.connect(self._on_cover_ready)

    # --- content -------------------------------------------------------------------------------------
    def set_bundles(self, bundles: list[ShelfBundle], key: SortKey | None = None) -> None:
        self._key = key or self._key
        self.beginResetModel()
        self._bundles = sorted(bundles, key=_SORT_KEYS[self._key])
        self._row_of_torrent = {b.torrent_id: row for row, b in enumerate(self._bundles) if b.torrent_id}
        self._row_of_bundle = {b.bundle_id: row for row, b in enumerate(self._bundles)}
        self._rows_of_cover = {}
        for row, bundle in enumerate(self._bundles):
            if bundle.cover_url:
                self._rows_of_cover.setdefault(bundle.cover_url, []).append(row)
        self.endResetModel()

    def bundles(self) -> list[ShelfBundle]:
        return list(self._bundles)

    def bundle_at(self, row: int) -> ShelfBundle | None:
        return self._bundles[row] if 0 <= row < len(self._bundles) else None

    def row_of(self, bundle_id: str) -> int | None:
        return self._row_of_bundle.get(bundle_id)

    def card(self, row: int) -> Card | None:
        bundle = self.bundle_at(row)
        if bundle is None:
            return None
        snap = self.snapshot_of(bundle)
        cover = self._covers.request(bundle.cover_url) if self._covers is not None else None
        return Card(bundle.title, bundle.kind, cover, tuple(badge.value for badge in badges(bundle, snap)),
                    snap.progress if snap is not None else None)

    def state_at(self, row: int) -> str:
        bundle = self.bundle_at(row)
        return "" if bundle is None else state_text(bundle.torrent_id, self.snapshot_of(bundle))

    def snapshot_of(self, bundle: ShelfBundle) -> TorrentSnapshot | None:
        return self._snapshots.get(bundle.torrent_id) if bundle.torrent_id else None

    def sort_by(self, key: SortKey) -> None:
        self.set_bundles(self._bundles, key)

    def apply_stats(self, snapshots: tuple[TorrentSnapshot, ...], _totals: object = None) -> None:
        # Every snapshot is kept (a bundle listed later shows its torrent's state at once, even an idle seed's);
        # only the rows of this shelf's torrents are announced, one dataChanged per run of adjacent rows.
        kept, row_of_torrent = self._snapshots, self._row_of_torrent
        rows = []
        for snap in snapshots:
            kept[snap.id] = snap
            row = row_of_torrent.get(snap.id)
            if row is not None:
                rows.append(row)
        for first, last in contiguous_ranges(rows):
            self.dataChanged.emit(self.index(first), self.index(last), _STATS_ROLES)

    def forget_torrent(self, torrent_id: str) -> None:
        self._snapshots.pop(torrent_id, None)
        row = self._row_of_torrent.get(torrent_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, _STATS_ROLES)

    def _on_cover_ready(self, url: str, _pixmap: QPixmap) -> None:
        for row in self._rows_of_cover.get(url, []):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    # --- QAbstractListModel --------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._bundles)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return self._value(index, role)

    def _value(self, index: _Index, role: int) -> Any:  # noqa: PLR0911
        bundle = self.bundle_at(index.row()) if index.isValid() else None
        if bundle is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return bundle.title
        if role == BUNDLE_ROLE:
            return bundle
        if role == Qt.ItemDataRole.DecorationRole:
            return self._covers.request(bundle.cover_url) if self._covers is not None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(filter(None, (bundle.title, bundle.creator)))
        if role not in (STATE_ROLE, PROGRESS_ROLE, BADGES_ROLE):
            return None
        snap = self.snapshot_of(bundle)
        if role == STATE_ROLE:
            return state_text(bundle.torrent_id, snap)
        if role == PROGRESS_ROLE:
            return snap.progress if snap is not None else None
        return [badge.value for badge in badges(bundle, snap)]


class ShelfFilter(QSortFilterProxyModel):
    """Search (title or creator, any case) for the Library's grid; the order is the model's."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._needle = ""

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        if not self._needle:
            return True
        model = self.sourceModel()
        bundle = model.bundle_at(source_row) if isinstance(model, ShelfModel) else None
        return bundle is not None and (self._needle in bundle.title.casefold()
                                       or self._needle in bundle.creator.casefold())
