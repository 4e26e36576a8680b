"""The transfer rates the window shows: libtorrent's averages, cut to 0 where nothing can be moving.

libtorrent reports ``download_payload_rate`` as a running average that loses a fifth of its value each second
(measured: a download finishing at 5.6 MB/s still read 2.5 MB/s five seconds later and ~5 KB/s after 30 s, with
no peer left). The engine passes those values on faithfully, so the UI decides what a fan should read: a torrent
with no connected peer (web seeds count as peers) moves nothing, and a torrent that is not downloading — seeding,
finished, paused, queued, checking — downloads nothing. ``RateBoard`` keeps the shown rates of every torrent so
the status bar and the tray add up what the rows say; it keeps the sums as it goes (a batch costs its own size, and
``totals`` costs nothing, however many torrents there are). The window has one board, fed by the Transfers page.
Main thread only.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.engine.types import TorrentId, TorrentSnapshot, TorrentState

_DOWNLOADING, _FETCHING = TorrentState.DOWNLOADING, TorrentState.FETCHING_METADATA


def shown_download_rate(snapshot: TorrentSnapshot) -> int:
    """Bytes/s to show as the torrent's download rate."""
    # Compared by identity: ``in`` a set of enum members hashes each through Enum.__hash__, a Python call, which
    # cost more than the rest of this function at 10,000 snapshots a batch.
    state = snapshot.state
    if snapshot.paused or snapshot.num_peers == 0 or (state is not _DOWNLOADING and state is not _FETCHING):
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
        self._down = 0
        self._up = 0

    def update(self, snapshots: Iterable[TorrentSnapshot]) -> None:
        rates = self._rates
        down_sum, up_sum = self._down, self._up
        for snapshot in snapshots:
            shown = (shown_download_rate(snapshot), shown_upload_rate(snapshot))
            old = rates.get(snapshot.id)
            if old is not None:
                down_sum -= old[0]
                up_sum -= old[1]
            rates[snapshot.id] = shown
            down_sum += shown[0]
            up_sum += shown[1]
        self._down, self._up = down_sum, up_sum

    def drop(self, torrent_id: TorrentId) -> None:
        old = self._rates.pop(torrent_id, None)
        if old is not None:
            self._down -= old[0]
            self._up -= old[1]

    def rates_of(self, torrent_id: TorrentId) -> tuple[int, int]:
        """(download, upload) bytes/s the torrent's row shows; (0, 0) for a torrent not seen."""
        return self._rates.get(torrent_id, (0, 0))

    def totals(self) -> tuple[int, int]:
        """(download, upload) bytes/s over all torrents."""
        return self._down, self._up
