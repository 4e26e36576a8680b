"""Seeder and leecher through the real parts: a headless seeder in its own process, the leecher engine in
this one, each on its own loopback address with DHT, LSD, UPnP, NAT-PMP and uTP off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import libtorrent as lt
import pytest

from app.engine import Engine, EngineSettings, TorrentState
from app.engine.events import EngineEvent, MetadataReceived, StatsUpdated, TorrentAdded, TorrentFinished
from tests.engine.helpers import (
    info_hash_hex,
    make_torrent,
    torrent_file_paths,
    tree_bytes,
    wait_snapshot,
    wait_until,
    write_payload,
)
from tests.engine.processes import HeadlessEngine
from tests.support.net import free_port, loopback_address

FILES = {"episode-1.bin": 1_200_000, "extras/notes.txt": 70_000, "extras/poster.bin": 300_000}


@pytest.fixture
def leecher(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "leecher-state")
    engine.start()
    yield engine
    engine.shutdown()


def start_seeder(tmp_path: Path, version: str, upload_limit: int | None = None) -> tuple[HeadlessEngine, bytes, Path]:
    source = tmp_path / "seed-data"
    write_payload(source / "show", FILES)
    torrent = make_torrent(source / "show", 16384, version)
    torrent_path = tmp_path / "show.torrent"
    torrent_path.write_bytes(torrent)
    address = loopback_address()
    seeder = HeadlessEngine(
        tmp_path / "seeder-home",
        address,
        free_port(address),
        sources=[str(torrent_path)],
        download_dir=source,
        upload_limit=upload_limit,
    )
    try:
        seeder.wait_for(f"torrent {info_hash_hex(torrent)} state=seeding", 60)
    except AssertionError:
        seeder.kill()
        raise
    return seeder, torrent, source


@pytest.mark.parametrize("version", ["v1", "v2", "hybrid"])
def test_multi_file_torrent_arrives_byte_identical(tmp_path: Path, leecher: Engine, version: str) -> None:
    seeder, torrent, source = start_seeder(tmp_path, version)
    events: list[EngineEvent] = []
    leecher.subscribe(events.append)
    try:
        tid = leecher.add_torrent_bytes(torrent, tmp_path / "downloads")
        assert tid == info_hash_hex(torrent)
        assert leecher.add_torrent_bytes(torrent, tmp_path / "downloads") == tid  # same torrent, same id
        leecher.connect_peer(tid, seeder.address, seeder.port)
        snap = wait_snapshot(leecher, tid, lambda s: s.state is TorrentState.SEEDING, 90, "download complete")
    finally:
        assert seeder.stop() == 0
    assert tree_bytes(tmp_path / "downloads" / "show") == tree_bytes(source / "show")
    assert snap.progress == 1.0 and snap.total_size == sum(FILES.values())
    assert sorted(f.path for f in leecher.files(tid)) == sorted(f"show/{name}" for name in FILES)
    wait_until(lambda: any(isinstance(e, TorrentFinished) and e.torrent_id == tid for e in events), 10, "finished")
    assert any(isinstance(e, TorrentAdded) and e.torrent_id == tid for e in events)
    assert any(isinstance(e, StatsUpdated) and any(s.id == tid for s in e.snapshots) for e in events)


@pytest.mark.parametrize("hash_kind", ["btih", "btmh"])
def test_magnet_downloads_after_fetching_metadata_from_the_peer(
    tmp_path: Path, leecher: Engine, hash_kind: str
) -> None:
    seeder, torrent, source = start_seeder(tmp_path, "hybrid")
    events: list[EngineEvent] = []
    leecher.subscribe(events.append)
    if hash_kind == "btih":
        topic = f"urn:btih:{info_hash_hex(torrent)}"
    else:  # only the v2 hash: the v1 hash becomes known with the metadata, the id must not change
        topic = f"urn:btmh:1220{lt.torrent_info(torrent).info_hashes().v2}"
    try:
        tid = leecher.add_magnet(f"magnet:?xt={topic}&dn=show", tmp_path / "dl")
        assert not leecher.snapshot(tid).has_metadata
        assert leecher.files(tid) == []
        leecher.connect_peer(tid, seeder.address, seeder.port)
        wait_snapshot(leecher, tid, lambda s: s.state is TorrentState.SEEDING, 90, "magnet download complete")
    finally:
        seeder.stop()
    assert any(isinstance(e, MetadataReceived) and e.torrent_id == tid for e in events)
    assert tree_bytes(tmp_path / "dl" / "show") == tree_bytes(source / "show")


def test_pause_stops_the_download_and_resume_finishes_it(tmp_path: Path, leecher: Engine) -> None:
    seeder, torrent, source = start_seeder(tmp_path, "hybrid")
    try:
        tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl")
        leecher.set_torrent_limits(tid, download=400_000)  # slow enough to pause it mid-way
        leecher.connect_peer(tid, seeder.address, seeder.port)
        wait_snapshot(leecher, tid, lambda s: s.wanted_done > 0, 60, "some progress")
        peers = leecher.peers(tid)
        assert [p.address for p in peers] == [f"{seeder.address}:{seeder.port}"] and peers[0].is_seed
        leecher.pause(tid)
        paused = wait_snapshot(leecher, tid, lambda s: s.state is TorrentState.PAUSED, 10, "paused state")
        assert paused.paused
        wait_until(lambda: leecher.snapshot(tid).num_peers == 0, 10, "peers dropped while paused")
        done_while_paused = leecher.snapshot(tid).wanted_done
        assert done_while_paused < paused.wanted_size
        assert leecher.snapshot(tid).wanted_done == done_while_paused
        leecher.set_torrent_limits(tid, download=0)  # after the pause the rest may come at full speed
        leecher.resume(tid)
        wait_until(lambda: leecher.snapshot(tid).state is not TorrentState.PAUSED, 10, "resumed")
        leecher.connect_peer(tid, seeder.address, seeder.port)
        wait_snapshot(leecher, tid, lambda s: s.state is TorrentState.SEEDING, 90, "finished after resume")
    finally:
        seeder.stop()
    assert tree_bytes(tmp_path / "dl" / "show") == tree_bytes(source / "show")


@pytest.mark.parametrize("delete_data", [False, True])
def test_remove_with_or_without_data(tmp_path: Path, leecher: Engine, delete_data: bool) -> None:
    seeder, torrent, _ = start_seeder(tmp_path, "v1")
    try:
        tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl")
        leecher.connect_peer(tid, seeder.address, seeder.port)
        wait_snapshot(leecher, tid, lambda s: s.state is TorrentState.SEEDING, 90, "complete")
    finally:
        seeder.stop()
    resume_file = leecher.state_dir / "resume" / f"{tid}.resume"
    assert resume_file.exists()
    leecher.remove(tid, delete_data=delete_data)
    assert not leecher.has_torrent(tid) and tid not in [s.id for s in leecher.snapshots()]
    assert not resume_file.exists()
    episode = tmp_path / "dl" / "show" / "episode-1.bin"
    if delete_data:
        wait_until(lambda: not episode.exists(), 20, "data deleted")
    else:
        assert episode.stat().st_size == FILES["episode-1.bin"]


def test_pilot_alone_is_fetched_with_file_priorities(tmp_path: Path, leecher: Engine) -> None:
    seeder, torrent, source = start_seeder(tmp_path, "hybrid")
    paths = torrent_file_paths(torrent)
    priorities = [4 if path == "show/episode-1.bin" else 0 for path in paths]
    try:
        tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl", file_priorities=priorities)
        leecher.connect_peer(tid, seeder.address, seeder.port)
        snap = wait_snapshot(leecher, tid, lambda s: s.wanted_done == s.wanted_size > 0, 60, "pilot done")
    finally:
        seeder.stop()
    assert snap.wanted_size < snap.total_size
    assert [f.priority for f in leecher.files(tid) if f.path == "show/episode-1.bin"] == [4]
    pilot = tmp_path / "dl" / "show" / "episode-1.bin"
    assert pilot.read_bytes() == (source / "show" / "episode-1.bin").read_bytes()
    poster = tmp_path / "dl" / "show" / "extras" / "poster.bin"
    assert not poster.exists()
