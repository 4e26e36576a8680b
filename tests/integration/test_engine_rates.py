"""The rates a user reads during and after a real download: the true rate shows while bytes move, and 0 as soon
as the torrent has everything (libtorrent's own figure decayed for ~10 s after the end and took 3.5-4 s to reach
half the true rate). A plain libtorrent seeder with a per-torrent upload limit and the leecher engine, each on its
own loopback address."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import libtorrent as lt

from app.engine import Engine, EngineSettings, TorrentState
from app.engine.events import EngineEvent, StatsUpdated
from app.engine.types import TorrentSnapshot
from tests.engine.helpers import make_torrent, wait_snapshot, wait_until, write_payload
from tests.support.net import free_port, loopback_address
from tests.support.plain_libtorrent import loopback_session_settings

SIZE = 3_000_000
LIMIT = 1_000_000  # bytes/s from the seeder: ~3 s of download


def test_rates_show_the_true_rate_while_downloading_and_zero_once_finished(tmp_path: Path) -> None:
    source = tmp_path / "seed-data"
    write_payload(source / "show", {"film.bin": SIZE})
    torrent = make_torrent(source / "show", 16384, "v1")
    address = loopback_address()
    seeder = lt.session(loopback_session_settings(address, listen_interfaces=f"{address}:{free_port(address)}"))
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = str(source)
    seed_handle = seeder.add_torrent(params)
    wait_until(lambda: seed_handle.status().is_seeding, 30, "seeder ready")
    seed_handle.set_upload_limit(LIMIT)  # a torrent's own limit applies to local peers (FIELD-NOTES)
    leecher = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "leecher-state")
    leecher.start()
    seen: list[tuple[float, TorrentSnapshot]] = []
    lock = threading.Lock()

    def record(event: EngineEvent) -> None:
        if isinstance(event, StatsUpdated):
            with lock:
                seen.extend((time.monotonic(), s) for s in event.snapshots)

    leecher.subscribe(record)
    try:
        tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl")
        leecher.connect_peer(tid, address, seeder.listen_port())
        wait_snapshot(leecher, tid, lambda s: s.state is TorrentState.SEEDING, 60, "download complete")
        # Two more status batches (200 ms apart in tests) after the end: what the Transfers page shows then.
        count = len(seen)
        wait_until(lambda: len(seen) >= count + 2 or leecher.snapshot(tid).download_rate == 0, 10, "more batches")
        final = leecher.snapshot(tid)
    finally:
        leecher.shutdown()
        seeder.pause()
    with lock:
        mine = [(at, s) for at, s in seen if s.id == tid]
    moving = [(at, s) for at, s in mine if s.state is TorrentState.DOWNLOADING and s.wanted_done > 0]
    done = [s for _, s in mine if s.state in (TorrentState.SEEDING, TorrentState.FINISHED)]
    assert moving and done
    average = SIZE / (moving[-1][0] - moving[0][0] + 1e-9)
    assert max(s.download_rate for _, s in moving) >= average / 2, "the true rate never showed while downloading"
    assert all(s.download_rate == 0 for s in done), [s.download_rate for s in done]
    assert final.download_rate == 0
