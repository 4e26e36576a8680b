"""The Transfers table model: one row per torrent, fed by batched engine snapshots.

``TransfersModel.apply_batch(snapshots)`` takes a ``StatsUpdated`` batch (only torrents that changed):
known torrents are updated in place and announced with one ``dataChanged`` per contiguous range of rows;
new torrents are appended in blocks of at most ``INSERT_CHUNK`` (100) rows, one block per turn of the event loop
(inserting 1,000 rows at once stalled the UI thread for ~85 ms in bench/ui_lag.py). It never asks the
engine anything — the table costs the same whether 10 or 1,000 torrents are moving. ``remove_torrent``
drops a row when the engine reports the removal.

Sorting happens here, in Python (``sort``), not in the proxy: the proxy's C++ sort asks ``data()`` twice per
comparison and took 3.0 s for 10,000 rows; sorting the snapshots by key takes a few milliseconds. Rows that arrive
later are put in order once the arrivals pause (``RESORT_DELAY_MS``). For the sidebar, ``FILTER_ROLE`` answers one
string per row naming its statuses, category, tags and tracker hosts and ending with its name, which the proxy
matches with one regular expression (``filter_proxy``); ``statuses`` keeps the live counts per status.

Main thread only.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer

from app.engine.labels import Labels
from app.engine.types import TorrentId, TorrentSnapshot, TorrentState
from app.ui.row_ranges import contiguous_ranges
from app.ui.shown_rates import shown_download_rate, shown_upload_rate
from app.ui.transfers.statuses import StatusCounter
from app.ui.units import format_eta, format_rate, format_size

ModelIndex = QModelIndex | QPersistentModelIndex

STATE_LABELS: dict[TorrentState, str] = {
    TorrentState.QUEUED: "Queued",
    TorrentState.CHECKING: "Checking",
    TorrentState.FETCHING_METADATA: "Fetching metadata",
    TorrentState.DOWNLOADING: "Downloading",
    TorrentState.SEEDING: "Seeding",
    TorrentState.FINISHED: "Finished",
    TorrentState.PAUSED: "Paused",
    TorrentState.MOVING: "Moving",
    TorrentState.ERROR: "Error",
}

# Sorting by these roles compares numbers, not the formatted text.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
SNAPSHOT_ROLE = Qt.ItemDataRole.UserRole + 2
FILTER_ROLE = Qt.ItemDataRole.UserRole + 3
INSERT_CHUNK = 100
RESORT_DELAY_MS = 250
FIELD_SEP = "\x1e"  # between the tokens of FILTER_ROLE ("s:seeding", "c:Films", "t:hd", "h:tracker.host")
NAME_SEP = "\x1f"  # before the name, at the end of FILTER_ROLE
_DISPLAY_ROLE = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP_ROLE = int(Qt.ItemDataRole.ToolTipRole)
_ALIGN_ROLE = int(Qt.ItemDataRole.TextAlignmentRole)
# The view asks for a dozen roles per cell on every paint; answering the ones we do not serve first keeps
# a repaint of the visible rows cheap.
_SERVED_ROLES = frozenset(
    {_DISPLAY_ROLE, _TOOLTIP_ROLE, _ALIGN_ROLE, int(SORT_ROLE), int(SNAPSHOT_ROLE), int(FILTER_ROLE)}
)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class Column(enum.IntEnum):
    NAME = 0
    SIZE = 1
    PROGRESS = 2
    STATE = 3
    DOWN = 4
    UP = 5
    ETA = 6
    PEERS = 7
    RATIO = 8


HEADERS = {
    Column.NAME: "Name",
    Column.SIZE: "Size",
    Column.PROGRESS: "Progress",
    Column.STATE: "State",
    Column.DOWN: "Down",
    Column.UP: "Up",
    Column.ETA: "ETA",
    Column.PEERS: "Seeds / Peers",
    Column.RATIO: "Ratio",
}


_DISPLAY: dict[Column, Callable[[TorrentSnapshot], str]] = {
    Column.NAME: lambda s: s.name or s.id,
    Column.SIZE: lambda s: format_size(s.wanted_size) if s.has_metadata else "",
    Column.PROGRESS: lambda s: f"{s.progress * 100:.1f}%",
    Column.STATE: lambda s: STATE_LABELS.get(s.state, s.state.value),
    Column.DOWN: lambda s: format_rate(shown_download_rate(s)),
    Column.UP: lambda s: format_rate(shown_upload_rate(s)),
    Column.ETA: lambda s: format_eta(s.eta_seconds) if s.state is TorrentState.DOWNLOADING else "",
    Column.PEERS: lambda s: f"{s.num_seeds} / {s.num_peers}",
    Column.RATIO: lambda s: f"{s.ratio:.2f}",
}

_SORT_KEY: dict[Column, Callable[[TorrentSnapshot], Any]] = {
    Column.NAME: lambda s: (s.name or s.id).casefold(),
    Column.SIZE: lambda s: s.wanted_size,
    Column.PROGRESS: lambda s: s.progress,
    Column.STATE: lambda s: STATE_LABELS.get(s.state, s.state.value),
    Column.DOWN: shown_download_rate,
    Column.UP: shown_upload_rate,
    Column.ETA: lambda s: s.eta_seconds if s.eta_seconds is not None else 1 << 62,
    Column.PEERS: lambda s: s.num_seeds * 100_000 + s.num_peers,
    Column.RATIO: lambda s: s.ratio,
}


_COLUMNS = tuple(Column)
_COLUMN_COUNT = len(_COLUMNS)


class TransfersModel(QAbstractTableModel):
    """Rows of ``TorrentSnapshot`` in arrival order; the view sorts through a proxy."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TorrentSnapshot] = []
        self._row_of: dict[TorrentId, int] = {}
        self._waiting: dict[TorrentId, TorrentSnapshot] = {}  # new torrents not inserted yet
        self._insert_timer = QTimer(self)
        self._insert_timer.setSingleShot(True)
        self._insert_timer.setInterval(0)
        self._insert_timer.timeout.connect(self._insert_waiting)
        self.statuses = StatusCounter()
        self._labels = Labels()
        self._hosts: dict[TorrentId, tuple[str, ...]] = {}
        self._keys: dict[TorrentId, str] = {}  # FILTER_ROLE strings; dropped when what they say changes
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._resort_timer = QTimer(self)
        self._resort_timer.setSingleShot(True)
        self._resort_timer.setInterval(RESORT_DELAY_MS)
        self._resort_timer.timeout.connect(self._resort)

    # --- reads ---------------------------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else _COLUMN_COUNT

    def data(self, index: ModelIndex, role: int = _DISPLAY_ROLE) -> Any:
        if role not in _SERVED_ROLES or not index.isValid():
            return None
        snap = self._rows[index.row()]
        column = _COLUMNS[index.column()]
        value: Any = None
        if role == _DISPLAY_ROLE:
            value = _DISPLAY[column](snap)
        elif role == SORT_ROLE:
            value = _SORT_KEY[column](snap)
        elif role == SNAPSHOT_ROLE:
            value = snap
        elif role == FILTER_ROLE:
            value = self.filter_key(snap)
        elif role == _TOOLTIP_ROLE and column is Column.NAME:
            value = snap.error or snap.save_path
        elif role == _ALIGN_ROLE and column not in (Column.NAME, Column.STATE):
            value = _RIGHT
        return value

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def snapshot_at(self, row: int) -> TorrentSnapshot:
        return self._rows[row]

    def row_of(self, torrent_id: TorrentId) -> int | None:
        return self._row_of.get(torrent_id)

    def torrent_ids(self) -> list[TorrentId]:
        return [snap.id for snap in self._rows]

    def filter_key(self, snap: TorrentSnapshot) -> str:
        """What the sidebar filters match: statuses, category, tags, tracker hosts ("" tokens for none), name."""
        key = self._keys.get(snap.id)
        if key is None:
            key = self._keys[snap.id] = self._make_filter_key(snap)
        return key

    def _make_filter_key(self, snap: TorrentSnapshot) -> str:
        tokens = [f"s:{status.value}" for status in self.statuses.of(snap.id)]
        tokens.append(f"c:{self._labels.category(snap.id)}")
        tokens += [f"t:{tag}" for tag in self._labels.torrent_tags(snap.id)] or ["t:"]
        tokens += [f"h:{host}" for host in self._hosts.get(snap.id, ())] or ["h:"]
        return FIELD_SEP + FIELD_SEP.join(tokens) + FIELD_SEP + NAME_SEP + (snap.name or snap.id)

    @property
    def labels(self) -> Labels:
        return self._labels

    def set_labels(self, labels: Labels) -> None:
        """The engine's categories and tags as of now (the page passes each new version)."""
        self._labels = labels
        self._keys.clear()

    def set_tracker_hosts(self, hosts: dict[TorrentId, tuple[str, ...]]) -> None:
        """Tracker host names per torrent (looked up on a worker); merged into what is known."""
        self._hosts.update(hosts)
        for torrent_id in hosts:
            self._keys.pop(torrent_id, None)

    def tracker_hosts(self) -> dict[TorrentId, tuple[str, ...]]:
        return self._hosts

    # --- sorting -------------------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column`` (numbers compare as numbers); selections follow their rows."""
        self._sort_column, self._sort_order = column, order
        self._resort()

    def _resort(self) -> None:
        if not 0 <= self._sort_column < _COLUMN_COUNT or len(self._rows) < 2:
            return
        key = _SORT_KEY[_COLUMNS[self._sort_column]]
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        order = sorted(range(len(self._rows)), key=lambda row: key(self._rows[row]), reverse=descending)
        if order == list(range(len(self._rows))):
            return
        self.layoutAboutToBeChanged.emit()
        new_row_of_old = {old: new for new, old in enumerate(order)}
        old_persistent = self.persistentIndexList()
        new_persistent = [
            self.index(new_row_of_old[index.row()], index.column()) if index.isValid() else index
            for index in old_persistent
        ]
        self._rows = [self._rows[old] for old in order]
        self._row_of = {snap.id: row for row, snap in enumerate(self._rows)}
        self.changePersistentIndexList(old_persistent, new_persistent)
        self.layoutChanged.emit()

    # --- writes --------------------------------------------------------------------------------------
    def apply_batch(self, snapshots: Iterable[TorrentSnapshot]) -> None:
        """Update changed rows in place and queue new torrents for insertion; one signal per contiguous range."""
        changed: list[int] = []
        snapshots = tuple(snapshots)
        moved = self.statuses.update(snapshots)
        keys, rows, row_of, waiting = self._keys, self._rows, self._row_of, self._waiting
        for snap in snapshots:
            torrent_id = snap.id
            row = row_of.get(torrent_id)
            if row is None:
                waiting[torrent_id] = snap
                keys.pop(torrent_id, None)
                continue
            old = rows[row]
            # The engine sends only torrents that changed: no field-by-field comparison (a dataclass __eq__ per
            # snapshot was the model's largest cost at 10,000 a batch).
            if old is snap:
                continue
            rows[row] = snap
            changed.append(row)
            if torrent_id in moved or old.name != snap.name:
                keys.pop(torrent_id, None)
        # Qt 6.11's proxy re-checks its filter for every row of a dataChanged whatever roles it names (measured),
        # so the roles are not narrowed here; the bridge keeps a batch's rows per turn to STATS_CHUNK.
        last_column = len(Column) - 1
        for first, last in contiguous_ranges(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))
        if self._waiting:
            self._insert_waiting()

    def _insert_waiting(self) -> None:
        """Insert up to ``INSERT_CHUNK`` waiting torrents; the rest on the next turn of the event loop."""
        chunk = list(self._waiting.values())[:INSERT_CHUNK]
        if not chunk:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(chunk) - 1)
        for offset, snap in enumerate(chunk):
            del self._waiting[snap.id]
            self._row_of[snap.id] = start + offset
            self._rows.append(snap)
        self.endInsertRows()
        if self._waiting:
            self._insert_timer.start()
        else:
            self._resort_timer.start()  # in order once the arrivals pause

    def is_waiting(self, torrent_id: TorrentId) -> bool:
        """Known but not in the table yet (inserted over the next turns of the event loop)."""
        return torrent_id in self._waiting

    @property
    def waiting(self) -> int:
        """New torrents not in the table yet (they arrive over the next turns of the event loop)."""
        return len(self._waiting)

    def remove_torrent(self, torrent_id: TorrentId) -> None:
        """Drop a torrent's row (the engine said it is gone)."""
        self._waiting.pop(torrent_id, None)
        self.statuses.drop(torrent_id)
        self._hosts.pop(torrent_id, None)
        self._keys.pop(torrent_id, None)
        row = self._row_of.get(torrent_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self._row_of = {snap.id: i for i, snap in enumerate(self._rows)}
        self.endRemoveRows()
