"""What the window keeps from the stats batches without recounting stays exact: the rate board's running sums, the
sidebar's status counts and a picked status filter (re-checked only for rows whose statuses moved) agree with a
recount from the newest snapshot of every torrent after many random batches and removals; the bridge hands a big
batch out in chunks over turns of the event loop and every torrent's newest snapshot arrives."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.events import StatsUpdated
from app.engine.types import TorrentSnapshot, TorrentState
from app.ui.bridge import STATS_CHUNK, EngineBridge
from app.ui.shown_rates import RateBoard, shown_download_rate, shown_upload_rate
from app.ui.transfers.filter_proxy import TransfersFilter, TransfersProxy
from app.ui.transfers.model import SNAPSHOT_ROLE, TransfersModel
from app.ui.transfers.speed_graph import SpeedHistory
from app.ui.transfers.statuses import Status, StatusCounter, statuses_of
from tests.ui.fakes import TOTALS, FakeEngine, snapshot

IDS = [f"{i:040x}" for i in range(12)]
STATES = [TorrentState.DOWNLOADING, TorrentState.SEEDING, TorrentState.FETCHING_METADATA, TorrentState.PAUSED,
          TorrentState.QUEUED, TorrentState.CHECKING, TorrentState.ERROR, TorrentState.FINISHED]

snapshots = st.builds(
    lambda tid, state, down, up, peers, paused, progress: snapshot(
        tid, state=state, download_rate=down, upload_rate=up, num_peers=peers, paused=paused, progress=progress,
        error="disk full" if state is TorrentState.ERROR else None),
    st.sampled_from(IDS), st.sampled_from(STATES), st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 3),
    st.booleans(), st.sampled_from([0.0, 0.5, 1.0]))
# A step is a batch of snapshots, or the removal of one torrent.
steps = st.lists(st.one_of(st.lists(snapshots, max_size=8), st.sampled_from(IDS)), min_size=1, max_size=40)


def _replay(history: list[list[TorrentSnapshot] | str]) -> dict[str, TorrentSnapshot]:
    newest: dict[str, TorrentSnapshot] = {}
    for step in history:
        if isinstance(step, str):
            newest.pop(step, None)
        else:
            newest.update((snap.id, snap) for snap in step)
    return newest


@settings(max_examples=200, deadline=None)
@given(steps)
def test_the_rate_boards_running_sums_equal_a_recount_after_many_batches(history: list) -> None:
    board = RateBoard()
    for step in history:
        board.drop(step) if isinstance(step, str) else board.update(step)
    newest = _replay(history)
    assert board.totals() == (sum(map(shown_download_rate, newest.values())),
                              sum(map(shown_upload_rate, newest.values())))
    for tid in IDS:
        snap = newest.get(tid)
        assert board.rates_of(tid) == ((shown_download_rate(snap), shown_upload_rate(snap)) if snap else (0, 0))


@settings(max_examples=200, deadline=None)
@given(steps)
def test_the_status_counts_equal_a_recount_after_many_batches(history: list) -> None:
    counter = StatusCounter()
    for step in history:
        counter.drop(step) if isinstance(step, str) else counter.update(step)
    newest = _replay(history)
    for status in Status:
        assert counter.count(status) == sum(1 for snap in newest.values() if status in statuses_of(snap)), status


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.lists(snapshots, max_size=8), min_size=1, max_size=30), chosen=st.sampled_from(list(Status)))
def test_a_picked_status_shows_exactly_its_torrents_after_many_batches(qtbot, steps: list, chosen: Status) -> None:
    model = TransfersModel()
    proxy = TransfersProxy(model)
    proxy.choose(TransfersFilter(status=chosen))
    for batch in steps:
        model.apply_batch(batch)
        qtbot.waitUntil(lambda: model.waiting == 0, timeout=5000)  # new rows arrive over turns of the loop
    newest = _replay(steps)
    shown = {proxy.data(proxy.index(row, 0), SNAPSHOT_ROLE).id for row in range(proxy.rowCount())}
    assert shown == {tid for tid, snap in newest.items() if chosen in statuses_of(snap)}
    assert model.statuses.count(chosen) == len(shown)


def test_the_speed_history_samples_the_board_totals_and_the_followed_torrent() -> None:
    board = RateBoard()
    history = SpeedHistory()
    history.follow(IDS[0])
    board.update([snapshot(IDS[0], download_rate=1000, num_peers=1), snapshot(IDS[1], download_rate=500, num_peers=1)])
    history.add(board)
    board.update([snapshot(IDS[1], download_rate=0, num_peers=1, upload_rate=70)])  # the followed one kept its rate
    history.add(board)
    assert list(history.total_down) == [1500, 1000] and list(history.total_up) == [0, 70]
    assert list(history.torrent_down) == [1000, 1000]


def test_the_bridge_hands_a_big_batch_out_in_chunks_and_every_newest_snapshot_arrives(qtbot) -> None:
    engine = FakeEngine()
    bridge = EngineBridge(engine)
    chunks: list[tuple[TorrentSnapshot, ...]] = []
    count = STATS_CHUNK * 2 + 500
    ids = [f"{i:040x}" for i in range(count)]

    def take(snaps: tuple[TorrentSnapshot, ...]) -> None:
        chunks.append(snaps)
        if len(chunks) == 1:  # the alert thread renews two torrents while the rest of the batch waits its turn:
            # the first went out already (delivered again, newest), the last has not (delivered once, newest)
            engine.publish_from_thread(StatsUpdated((snapshot(ids[0], progress=0.9),
                                                     snapshot(ids[-1], progress=0.9)), TOTALS))

    bridge.stats_updated.connect(lambda snaps, _totals: take(snaps))
    engine.publish_from_thread(StatsUpdated(tuple(snapshot(tid, progress=0.1) for tid in ids), TOTALS))
    qtbot.waitUntil(lambda: sum(map(len, chunks)) >= count + 1, timeout=5000)
    qtbot.wait(50)
    assert all(len(chunk) <= STATS_CHUNK for chunk in chunks)
    assert len(chunks) >= 3
    delivered = [snap for chunk in chunks for snap in chunk]
    assert sum(1 for snap in delivered if snap.id == ids[-1]) == 1
    newest = {snap.id: snap.progress for snap in delivered}
    assert set(newest) == set(ids)
    assert newest[ids[0]] == 0.9 and newest[ids[-1]] == 0.9
    assert all(newest[tid] == 0.1 for tid in ids[1:-1])
    bridge.close()
