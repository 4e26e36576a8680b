"""What the window shows as rates, from snapshots: libtorrent's decaying averages are cut to 0 where nothing can
move; the board's totals add up what the rows show and forget removed torrents."""

from __future__ import annotations

from app.engine.types import TorrentState
from app.ui.shown_rates import RateBoard, shown_download_rate, shown_upload_rate
from tests.ui.fakes import snapshot


def test_a_downloading_torrent_with_peers_shows_libtorrents_rates() -> None:
    moving = snapshot("a" * 40, download_rate=5000, upload_rate=700, num_peers=2)
    assert (shown_download_rate(moving), shown_upload_rate(moving)) == (5000, 700)


def test_nothing_moves_without_a_peer_or_when_paused() -> None:
    alone = snapshot("a" * 40, download_rate=5000, upload_rate=700, num_peers=0)
    paused = snapshot("a" * 40, download_rate=5000, upload_rate=700, num_peers=3, paused=True)
    for s in (alone, paused):
        assert (shown_download_rate(s), shown_upload_rate(s)) == (0, 0)


def test_a_seed_downloads_nothing_but_shows_its_upload() -> None:
    for state in (TorrentState.SEEDING, TorrentState.FINISHED, TorrentState.CHECKING):
        seed = snapshot("a" * 40, state=state, download_rate=400_000, upload_rate=900, num_peers=1)
        assert (shown_download_rate(seed), shown_upload_rate(seed)) == (0, 900)


def test_board_totals_follow_the_latest_snapshot_of_each_torrent() -> None:
    board = RateBoard()
    board.update([snapshot("a" * 40, download_rate=100, upload_rate=10, num_peers=1),
                  snapshot("b" * 40, download_rate=200, upload_rate=20, num_peers=1)])
    assert board.totals() == (300, 30)
    board.update([snapshot("a" * 40, state=TorrentState.SEEDING, download_rate=90, upload_rate=10, num_peers=1)])
    assert board.totals() == (200, 30)
    board.drop("b" * 40)
    assert board.totals() == (0, 10)
