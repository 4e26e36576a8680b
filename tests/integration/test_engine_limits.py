"""A torrent's own rate limits are readable from its snapshot, survive a restart, and the player gives back the
limit a user set after slowing other downloads while watching (it restored 0 = unlimited before).

Through the real engine (libtorrent session on its own loopback address); libtorrent's own getters are read
here only to prove what the engine reports is what libtorrent applies.
"""

from __future__ import annotations

from pathlib import Path

from app.bundle import ManifestFile
from app.engine import Engine, EngineSettings, TorrentState
from app.player.items import PlayItem
from app.player.playback import Playback
from app.player.server import StreamServer
from tests.engine.helpers import make_torrent, wait_snapshot, wait_until, write_payload
from tests.support.net import loopback_address


def _limits_in_libtorrent(engine: Engine, tid: str) -> tuple[int, int]:
    handle = engine._registry.get(tid).handle
    return max(0, handle.download_limit()), max(0, handle.upload_limit())


def _add_local(engine: Engine, tmp_path: Path, name: str) -> str:
    source = tmp_path / f"data-{name}"
    write_payload(source / name, {"a.bin": 100_000, "b.bin": 50_000}, seed=len(name))
    tid = engine.add_torrent_bytes(make_torrent(source / name, 16384, "hybrid"), source)
    wait_snapshot(engine, tid, lambda s: s.state is TorrentState.SEEDING, 60, f"{name} checked")
    return tid


def test_limits_are_readable_and_kept_across_a_restart(tmp_path: Path) -> None:
    settings = EngineSettings.for_loopback_tests(loopback_address())
    engine = Engine(settings, tmp_path / "state")
    engine.start()
    try:
        tid = _add_local(engine, tmp_path, "show")
        assert (engine.snapshot(tid).download_limit, engine.snapshot(tid).upload_limit) == (0, 0)
        engine.set_torrent_limits(tid, download=300_000, upload=120_000)
        snap = engine.snapshot(tid)  # at once, not only after the next status batch
        assert (snap.download_limit, snap.upload_limit) == (300_000, 120_000)
        wait_until(lambda: _limits_in_libtorrent(engine, tid) == (300_000, 120_000), 10, "libtorrent applied them")
        engine.set_torrent_limits(tid, upload=0)  # None leaves the download limit alone
        assert (engine.snapshot(tid).download_limit, engine.snapshot(tid).upload_limit) == (300_000, 0)
    finally:
        engine.shutdown()
    again = Engine(settings, tmp_path / "state")
    again.start()
    try:
        snap = again.snapshot(tid)  # the resume record's word, before libtorrent's first status
        assert (snap.download_limit, snap.upload_limit) == (300_000, 0)
        wait_snapshot(again, tid, lambda s: s.state is TorrentState.SEEDING, 60, "restored and checked")
        snap = again.snapshot(tid)
        assert (snap.download_limit, snap.upload_limit) == (300_000, 0)
        assert _limits_in_libtorrent(again, tid) == (300_000, 0)
    finally:
        again.shutdown()


def test_watching_gives_other_downloads_back_their_own_limits(tmp_path: Path) -> None:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    try:
        watched, capped, low, free = (_add_local(engine, tmp_path, n) for n in ("watched", "capped", "low", "free"))
        engine.set_torrent_limits(capped, download=300_000)
        engine.set_torrent_limits(low, download=50_000)
        playback = Playback(engine, StreamServer(), throttle_others_to=100_000)
        item = PlayItem(watched, 0, ManifestFile("a.bin", 100_000, "video/mp4", False), title="Pilot")

        playback.start_watching(item)
        limits = {tid: engine.snapshot(tid).download_limit for tid in (watched, capped, low, free)}
        assert limits == {watched: 0, capped: 100_000, low: 50_000, free: 100_000}  # never faster than the user's
        playback.stop_watching()
        limits = {tid: engine.snapshot(tid).download_limit for tid in (watched, capped, low, free)}
        assert limits == {watched: 0, capped: 300_000, low: 50_000, free: 0}
        for tid, expected in limits.items():
            wait_until(lambda t=tid, e=expected: _limits_in_libtorrent(engine, t)[0] == e, 10, f"{tid} in libtorrent")

        playback.start_watching(item)
        engine.set_torrent_limits(capped, download=200_000)  # the user changes it while watching: theirs wins
        playback.stop_watching()
        assert engine.snapshot(capped).download_limit == 200_000
        assert engine.snapshot(free).download_limit == 0
    finally:
        engine.shutdown()
