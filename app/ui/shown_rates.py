"""The transfer rates the window shows: libtorrent's averages, cut to 0 where nothing can be moving.

libtorrent reports ``download_payload_rate`` as a running average that loses a fifth of its value each second
(measured: a download finishing at 5.6 MB/s still read 2.5 MB/s five seconds later and ~5 KB/s after 30 s, with
no peer left). The engine passes those values on faithfully, so the UI decides what a fan should read: a torrent
with no connected peer (web seeds count as peers) moves nothing, and a torrent that is not downloading — seeding,
finished, paused, queued, checking — downloads nothing. ``RateBoard`` keeps the shown rates of every torrent so
the status bar and the tray add up what the rows say. Main thread only.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.engine.types import TorrentId, TorrentSnapshot, TorrentState

_RECEIVING = frozenset({TorrentState.DOWNLOADING, TorrentState.FETCHING_METADATA})


def shown_download_rate(snapshot: TorrentSnapshot) -> int:
    """Bytes/s to show as the torrent's download rate."""
    if snapshot.paused or snapshot.num_peers == 0 or snapshot.state not in _RECEIVING:
        return 0
    return snapshot.download_rate


def shown_upload_rate(snapshot: TorrentSnapshot) -> int:
    """Bytes/s to show as the torrent's upload rate."""
    if snapshot.paused or snapshot.num_peers == 0:
        return 0
    return snapshot.upload_rate


class RateBoard:
    """The shown rates of every torrent, summed for the status bar and the tray tooltip."""

    def __init__(self) -> None:
        self._rates: dict[TorrentId, tuple[int, int]] = {}

    def update(self, snapshots: Iterable[TorrentSnapshot]) -> None:
        for snapshot in snapshots:
            self._rates[snapshot.id] = (shown_download_rate(snapshot), shown_upload_rate(snapshot))

    def drop(self, torrent_id: TorrentId) -> None:
        self._rates.pop(torrent_id, None)

    def totals(self) -> tuple[int, int]:
        """(download, upload) bytes/s over all torrents."""
        return sum(down for down, _ in self._rates.values()), sum(up for _, up in self._rates.values())
