"""The sidebar's status filters (qBittorrent's: all, downloading, seeding, completed, paused, active, inactive,
stalled, errored): which of them a torrent's snapshot falls under, and live counts kept from the stats batches.

``statuses_of(snapshot)`` decides from the snapshot alone, with the rates the table shows (``shown_rates``), so a
row in "Active" is a row whose Down or Up column reads more than zero. ``StatusCounter`` keeps each torrent's
statuses and the count per status; a batch (only the torrents that changed) costs time in proportion to its size,
never to the number of torrents, which keeps the counts live at 10,000 torrents.

Pure Python, no Qt; used on the main thread.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable

from app.engine.types import TorrentId, TorrentSnapshot, TorrentState
from app.ui.shown_rates import shown_download_rate, shown_upload_rate


class Status(enum.Enum):
    ALL = "all"
    DOWNLOADING = "downloading"
    SEEDING = "seeding"
    COMPLETED = "completed"
    PAUSED = "paused"
    ACTIVE = "active"
    INACTIVE = "inactive"
    STALLED = "stalled"
    ERRORED = "errored"


STATUS_LABELS: dict[Status, str] = {
    Status.ALL: "All",
    Status.DOWNLOADING: "Downloading",
    Status.SEEDING: "Seeding",
    Status.COMPLETED: "Completed",
    Status.PAUSED: "Paused",
    Status.ACTIVE: "Active",
    Status.INACTIVE: "Inactive",
    Status.STALLED: "Stalled",
    Status.ERRORED: "Errored",
}

_GETTING = frozenset({TorrentState.DOWNLOADING, TorrentState.FETCHING_METADATA})
_WAITING = frozenset({TorrentState.QUEUED, TorrentState.CHECKING})


_MEMO: dict[tuple[object, ...], frozenset[Status]] = {}


def statuses_of(snap: TorrentSnapshot) -> frozenset[Status]:
    """Every status filter that shows this torrent (ALL always). Memoized on the few facts that decide it: a batch
    of 10,000 snapshots costs a dictionary look-up each."""
    down, up = shown_download_rate(snap), shown_upload_rate(snap)
    # The state's value, not the member: a member hashes through Enum.__hash__, a Python call per snapshot.
    complete = snap.has_metadata and snap.progress >= 1.0
    key = (snap.state._value_, snap.paused, bool(snap.error), complete, down > 0, up > 0)
    found = _MEMO.get(key)
    if found is None:
        found = _MEMO[key] = _decide(snap, down, up)
    return found


def _decide(snap: TorrentSnapshot, down: int, up: int) -> frozenset[Status]:
    found = {Status.ALL}
    errored = snap.state is TorrentState.ERROR or bool(snap.error)
    complete = snap.has_metadata and snap.progress >= 1.0
    if errored:
        found.add(Status.ERRORED)
    if snap.paused and not errored:
        found.add(Status.PAUSED)
    running = not snap.paused and not errored
    if running and (snap.state in _GETTING or (snap.state in _WAITING and not complete)):
        found.add(Status.DOWNLOADING)
        if snap.state in _GETTING and down == 0:
            found.add(Status.STALLED)
    if running and snap.state is TorrentState.SEEDING:
        found.add(Status.SEEDING)
        if up == 0:
            found.add(Status.STALLED)
    if complete:
        found.add(Status.COMPLETED)
    found.add(Status.ACTIVE if down > 0 or up > 0 else Status.INACTIVE)
    return frozenset(found)


class StatusCounter:
    """How many torrents each status filter shows, kept up to date from stats batches."""

    def __init__(self) -> None:
        self._of: dict[TorrentId, frozenset[Status]] = {}
        self._counts: Counter[Status] = Counter()

    def update(self, snapshots: Iterable[TorrentSnapshot]) -> set[TorrentId]:
        """Take a batch; returns the torrents whose statuses changed."""
        moved: set[TorrentId] = set()
        for snap in snapshots:
            new = statuses_of(snap)
            old = self._of.get(snap.id)
            if old == new:
                continue
            moved.add(snap.id)
            if old is not None:
                self._counts.subtract(old)
            self._counts.update(new)
            self._of[snap.id] = new
        return moved

    def drop(self, torrent_id: TorrentId) -> None:
        old = self._of.pop(torrent_id, None)
        if old is not None:
            self._counts.subtract(old)

    def count(self, status: Status) -> int:
        return self._counts[status]

    def of(self, torrent_id: TorrentId) -> frozenset[Status]:
        return self._of.get(torrent_id, frozenset())
