"""Per-bundle seeding limits on a real libtorrent swarm (two engines on their own loopback addresses): the seeder's
global ratio limit is 0.5; one bundle has its own 0.5 ratio limit, the other "no limit". Once a leecher has fetched
both, the first is paused by its limit while the second keeps seeding past the global limit — and after the seeder
restarts, both choices are still there and still acted on."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from app.engine import Engine, EngineSettings, LimitChoice, SeedLimits, StatsUpdated, TorrentState
from app.engine.events import EngineEvent
from tests.engine.helpers import make_torrent, wait_snapshot, wait_until, write_payload
from tests.support.net import free_port, loopback_address

SIZE = 1_000_000
OWN_HALF = SeedLimits(LimitChoice.OWN, 0.5)
NO_LIMIT = SeedLimits(LimitChoice.NONE, 0.0, LimitChoice.NONE)


def _seeder_settings(address: str, port: int) -> EngineSettings:
    return dataclasses.replace(EngineSettings.for_loopback_tests(address, port), seed_ratio_limit=0.5)


def test_a_bundle_with_its_own_ratio_stops_while_one_with_no_limit_keeps_seeding(tmp_path: Path) -> None:
    seed_root, leech_root = tmp_path / "seed", tmp_path / "leech"
    write_payload(seed_root / "Capped", {"a.bin": SIZE}, seed=3)
    write_payload(seed_root / "Free", {"b.bin": SIZE}, seed=4)
    capped_torrent, free_torrent = make_torrent(seed_root / "Capped"), make_torrent(seed_root / "Free")
    seed_address, leech_address = loopback_address(), loopback_address()
    seed_port = free_port(seed_address)
    seeder = Engine(_seeder_settings(seed_address, seed_port), tmp_path / "seed-state")
    leecher = Engine(EngineSettings.for_loopback_tests(leech_address), tmp_path / "leech-state")
    seeder.start()
    leecher.start()
    try:
        capped = seeder.add_torrent_bytes(capped_torrent, seed_root, paused=True, skip_check=True)
        free = seeder.add_torrent_bytes(free_torrent, seed_root, paused=True, skip_check=True)
        assert seeder.seed_limits.get(capped) == SeedLimits()  # "use the global limits" until chosen
        seeder.seed_limits.set(capped, OWN_HALF)
        seeder.seed_limits.set(free, NO_LIMIT)
        seeder.resume(capped)
        seeder.resume(free)
        for torrent in (capped_torrent, free_torrent):
            leecher.connect_peer(leecher.add_torrent_bytes(torrent, leech_root), seed_address, seed_port)
        wait_snapshot(leecher, free, lambda s: s.state is TorrentState.SEEDING, 60, "leecher has the free bundle")
        wait_snapshot(seeder, free, lambda s: s.total_uploaded >= SIZE, 30, "seeder counted the whole upload")
        stopped = wait_snapshot(seeder, capped, lambda s: s.paused, 60, "capped bundle paused at its ratio")
        assert stopped.total_uploaded >= SIZE // 2
        # The free bundle uploaded twice the global limit and is still seeding.
        _wait_batches_with(seeder, free, 3)
        still = seeder.snapshot(free)
        assert not still.paused and still.state is TorrentState.SEEDING
    finally:
        leecher.shutdown()
        seeder.shutdown()

    again = Engine(_seeder_settings(seed_address, seed_port), tmp_path / "seed-state")
    again.start()
    try:
        assert again.seed_limits.get(capped) == OWN_HALF
        assert again.seed_limits.get(free) == NO_LIMIT
        assert again.snapshot(capped).paused
        again.resume(capped)  # the user resumes it: its limit, read back from disk, pauses it again
        wait_snapshot(again, capped, lambda s: s.paused, 60, "capped bundle paused again after the restart")
        _wait_batches_with(again, free, 3)
        after = again.snapshot(free)
        assert not after.paused and after.total_uploaded >= SIZE
    finally:
        again.shutdown()


def _wait_batches_with(engine: Engine, tid: str, count: int) -> None:
    """Wait until ``count`` stats batches carrying ``tid`` went by (each one ran the seeding policy on it)."""
    seen = [0]
    lock = threading.Lock()

    def on_event(event: EngineEvent) -> None:
        if isinstance(event, StatsUpdated) and any(s.id == tid for s in event.snapshots):
            with lock:
                seen[0] += 1

    unsubscribe = engine.subscribe(on_event)
    try:
        wait_until(lambda: seen[0] >= count, 30, f"{count} stats batches with {tid}")
    finally:
        unsubscribe()
