"""A SOCKS5 proxy with a username and password for peers and trackers, through the real parts: a leecher engine
behind a loopback SOCKS5 proxy that demands RFC 1929 credentials downloads from a seeder found through an HTTP
tracker; the proxy sees the login, the tracker announce and the peer connection. With a wrong password the proxy
refuses the login and nothing reaches the tracker or the seeder."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import libtorrent as lt

from app.engine import Engine, EngineSettings
from tests.engine.helpers import wait_snapshot, write_payload
from tests.support.net import loopback_address
from tests.support.socks5 import running_socks5
from tests.support.tiny_tracker import running_tracker
from tests.support.waiting import wait_until

USER, PASSWORD = "fan", "correct horse battery"


def _torrent(content: Path, tracker: str) -> bytes:
    creator = lt.create_torrent(lt.list_files(str(content), lambda _p: True), 16384, flags=lt.create_torrent.v1_only)
    creator.add_tracker(tracker)
    lt.set_piece_hashes(creator, str(content.parent))
    return bytes(lt.bencode(creator.generate()))


def _engine(state: Path, address: str, **changes: object) -> Engine:
    settings = dataclasses.replace(EngineSettings.for_loopback_tests(address), **changes)  # type: ignore[arg-type]
    return Engine(settings, state)


def test_peers_and_trackers_go_through_a_socks5_proxy_with_a_password(tmp_path: Path) -> None:
    write_payload(tmp_path / "made" / "Tour Film", {"film.bin": 400_000})
    with running_tracker() as tracker, running_socks5(USER, PASSWORD) as proxy:
        torrent = _torrent(tmp_path / "made" / "Tour Film", tracker.url)
        seeder_address = loopback_address()
        seeder = _engine(tmp_path / "seeder", seeder_address)
        seeder.start()
        leecher = _engine(tmp_path / "leecher", loopback_address(), proxy_host=proxy.host, proxy_port=proxy.port,
                          proxy_username=USER)
        try:
            seed_id = seeder.add_torrent_bytes(torrent, tmp_path / "made")
            wait_snapshot(seeder, seed_id, lambda s: s.progress >= 1.0, 30, "seeder checked its data")
            wait_until(lambda: tracker.peer_count() >= 1, 30, "the seeder announced")
            leecher.set_proxy_password(PASSWORD)  # from the keyring in the app; never a setting
            leecher.start()
            tid = leecher.add_torrent_bytes(torrent, tmp_path / "downloads")
            wait_until(lambda: leecher.snapshot(tid).progress >= 1.0, 60,
                       lambda: f"download through the proxy (proxy: {proxy.logins} {proxy.connects}; "
                               f"{leecher.snapshot(tid)}; trackers {leecher.trackers(tid)})")
            seeder_port = seeder.listen_port
            tracker_port = int(tracker.url.split(":")[2].split("/")[0])
            assert (USER, True) in proxy.logins and (USER, False) not in proxy.logins
            assert any(port == tracker_port for _host, port in proxy.connects), proxy.connects  # the announce
            assert (seeder_address, seeder_port) in proxy.connects  # the peer connection
            data = (tmp_path / "downloads" / "Tour Film" / "film.bin").read_bytes()
            assert data == (tmp_path / "made" / "Tour Film" / "film.bin").read_bytes()
        finally:
            leecher.shutdown()
            seeder.shutdown()


def test_a_wrong_password_is_refused_and_nothing_goes_around_the_proxy(tmp_path: Path) -> None:
    write_payload(tmp_path / "made" / "Tour Film", {"film.bin": 100_000})
    with running_tracker() as tracker, running_socks5(USER, PASSWORD) as proxy:
        torrent = _torrent(tmp_path / "made" / "Tour Film", tracker.url)
        leecher = _engine(tmp_path / "leecher", loopback_address(), proxy_host=proxy.host, proxy_port=proxy.port,
                          proxy_username=USER)
        leecher.set_proxy_password("wrong")
        leecher.start()
        try:
            leecher.add_torrent_bytes(torrent, tmp_path / "downloads")
            wait_until(lambda: (USER, False) in proxy.logins, 30, "the proxy refused the login")
            assert proxy.connects == []
            assert tracker.peer_count() == 0  # no announce went around the proxy
        finally:
            leecher.shutdown()
