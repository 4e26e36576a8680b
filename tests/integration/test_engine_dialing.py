"""Reaching peers: one given by hand is dialed at once; known seeds that come up late or restart, and a tracker's
peer that requires encryption, are reached within seconds instead of after libtorrent's minute-long back-off.

Through the real parts: plain libtorrent seeders (any BitTorrent client, not only our engine) and a leecher engine,
each on its own loopback address; the tracker is tests/support/tiny_tracker.py. The bounds are far below the
back-offs the fix removes (60-131 s measured) and are bounds, not speed measurements.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libtorrent as lt
import pytest

from app.engine import Engine, EngineSettings, TorrentState
from tests.engine.helpers import tree_bytes, wait_snapshot, wait_until, write_payload
from tests.support.net import free_port, loopback_address
from tests.support.plain_libtorrent import loopback_session_settings
from tests.support.tiny_tracker import running_tracker

FILES = {"film.bin": 3_000_000}
BOUND = 20.0  # libtorrent's reconnect back-off is 60 s and more


@pytest.fixture
def leecher(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "leecher-state")
    engine.start()
    yield engine
    engine.shutdown()


def _torrent(source: Path, tracker_url: str | None = None) -> bytes:
    write_payload(source / "film", FILES)
    creator = lt.create_torrent(lt.list_files(str(source / "film"), lambda _path: True), 16384)
    if tracker_url is not None:
        creator.add_tracker(tracker_url, 0)
    lt.set_piece_hashes(creator, str(source))
    return bytes(lt.bencode(creator.generate()))


def _plain_seeder(torrent: bytes, source: Path, address: str, port: int, **settings: Any) -> lt.session:
    """A plain libtorrent seeder listening on ``address:port``, waited for until it seeds."""
    session = lt.session(loopback_session_settings(address, listen_interfaces=f"{address}:{port}", **settings))
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = str(source)
    session.add_torrent(params)
    wait_until(lambda: all(h.status().is_seeding for h in session.get_torrents()), 60, "seeder ready")
    return session


def _downloaded(leecher: Engine, tid: str, downloads: Path, source: Path) -> None:
    wait_snapshot(leecher, tid, lambda s: s.state is TorrentState.SEEDING, BOUND, "the whole download")
    assert tree_bytes(downloads / "film") == tree_bytes(source / "film")


def test_a_peer_given_by_hand_is_dialed_without_libtorrents_connect_round(tmp_path: Path, leecher: Engine) -> None:
    # libtorrent dials new peers in a round it runs once a second; with that round switched off (connection_speed
    # 0) only the engine's connect boost can reach the seed — before the fix the download never started.
    source = tmp_path / "seed-data"
    torrent = _torrent(source)
    address = loopback_address()
    seeder = _plain_seeder(torrent, source, address, free_port(address))
    try:
        leecher._session.apply_settings({"connection_speed": 0})  # type: ignore[union-attr]  # test-only knob
        tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl")
        wait_snapshot(leecher, tid, lambda s: s.state is TorrentState.DOWNLOADING, 30, "checked")
        leecher.connect_peer(tid, address, seeder.listen_port())
        _downloaded(leecher, tid, tmp_path / "dl", source)
    finally:
        seeder.pause()


def test_a_known_seed_that_comes_up_late_is_reached_within_seconds(tmp_path: Path, leecher: Engine) -> None:
    source = tmp_path / "seed-data"
    torrent = _torrent(source)
    address = loopback_address()
    port = free_port(address)
    tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl")
    wait_snapshot(leecher, tid, lambda s: s.state is TorrentState.DOWNLOADING, 30, "checked")
    leecher.connect_peer(tid, address, port)  # nobody listens yet: the dial is refused
    time.sleep(3)  # the scenario itself: the store's seed comes up a few seconds after the fan pressed play
    seeder = _plain_seeder(torrent, source, address, port)
    try:
        _downloaded(leecher, tid, tmp_path / "dl", source)
    finally:
        seeder.pause()


def test_a_known_seed_that_restarts_mid_download_is_reached_within_seconds(tmp_path: Path, leecher: Engine) -> None:
    source = tmp_path / "seed-data"
    torrent = _torrent(source)
    address = loopback_address()
    port = free_port(address)
    seeder = _plain_seeder(torrent, source, address, port)
    for handle in seeder.get_torrents():
        handle.set_upload_limit(300_000)  # ~10 s for the whole file: time to restart in the middle
    tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl")
    leecher.connect_peer(tid, address, port)
    wait_snapshot(leecher, tid, lambda s: s.wanted_done > 0, BOUND, "first pieces")
    del seeder  # the seed goes away mid-download (its session aborts)
    wait_snapshot(leecher, tid, lambda s: s.num_peers == 0, BOUND, "the leecher noticed")
    assert leecher.snapshot(tid).state is TorrentState.DOWNLOADING
    time.sleep(2)  # the scenario itself: the seed is down for a moment, its redials fail
    seeder = _plain_seeder(torrent, source, address, port)
    try:
        _downloaded(leecher, tid, tmp_path / "dl", source)
    finally:
        seeder.pause()


def test_a_tracker_peer_that_requires_encryption_is_reached_within_seconds(tmp_path: Path, leecher: Engine) -> None:
    # libtorrent dials a tracker's peer in plaintext first; a peer that requires encryption (Transmission's
    # "required", qBittorrent's "forced") refuses, and the encrypted retry waited for the 60 s back-off.
    forced = int(lt.enc_policy.forced)
    with running_tracker() as tracker:
        source = tmp_path / "seed-data"
        torrent = _torrent(source, tracker.url)
        address = loopback_address()
        seeder = _plain_seeder(torrent, source, address, free_port(address), in_enc_policy=forced,
                               out_enc_policy=forced, enable_outgoing_tcp=False)
        try:
            for handle in seeder.get_torrents():
                handle.force_reannounce()  # it announced while checking; the leecher must find it seeding
            wait_until(lambda: tracker.peer_count() == 1, 30, "seeder announced")
            tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl")
            _downloaded(leecher, tid, tmp_path / "dl", source)
        finally:
            seeder.pause()
