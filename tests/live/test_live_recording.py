"""The recording becomes a bundle: a broadcaster and two viewers (processes, each on its own loopback address) keep
the broadcast in the recording's layout; when it ends the creator publishes the recording through the app's
publishing code to a real storefront (creator API, hybrid torrent, web seed); a viewer's app adds it and finds most
of its bytes already on disk; a fresh fan downloads it byte-identical and the app's player plays it through the
loopback stream server in VLC.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.bundle import BundleKind, GateType
from app.engine import Engine, EngineSettings
from app.engine.types import TorrentState
from app.library import BundleAdder, LibraryIndex, StoreBackend, Want
from app.library.kept_recording import add_with_kept_files
from app.library.publishing import Publisher, PublishRequest
from app.live.recording import RECORDING_FOLDER
from app.player.items import PlayItem
from app.player.playback import Playback
from app.player.server import StreamServer
from app.player.video import FrameShown, PlaybackEvent, VideoBackend
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.creator import CreatorClient
from app.store.vault import LicenseVault
from tests.live.swarm import make_live_bundle, start_broadcaster, start_viewer, wait_for
from tests.storefront.store_support import StoreProcess
from tests.support.creator import MemoryKeys, bearer, new_account
from tests.support.net import loopback_address

pytestmark = pytest.mark.timeout(240, method="thread")
SEGMENT_BLOCKS = 8  # 2 s files, so a short broadcast makes several


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StoreProcess]:
    data = tmp_path / "store"
    data.mkdir()
    server = StoreProcess(data).start()
    yield server
    server.stop()


def _engine(state: Path) -> Engine:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), state)
    engine.start()
    return engine


def _fan(store: StoreProcess, engine: Engine, home: Path, service: str) -> tuple[StoreBackend, BundleAdder]:
    vault = LicenseVault(service=service)
    backend = StoreBackend(lambda: StoreAccount(StoreClient(store.url), vault, store_ref=store.url))
    return backend, BundleAdder(backend, engine, LibraryIndex(home / "library.json"), lambda: home / "dl")


def _wait_checked(engine: Engine, torrent_id: str) -> None:
    wait_for(lambda: engine.snapshot(torrent_id).state is not TorrentState.CHECKING, 60, "the check on adding")


def test_a_broadcast_recording_is_published_viewers_hold_most_of_it_and_a_fresh_fan_plays_it(
    tmp_path: Path, store: StoreProcess
) -> None:
    bundle = make_live_bundle(tmp_path, loopback_address())
    recorded, kept = tmp_path / "recorded", [tmp_path / "kept-1", tmp_path / "kept-2"]
    segment = ("--segment-blocks", str(SEGMENT_BLOCKS))
    broadcaster = start_broadcaster(bundle, "--kbps", "500", "--width", "320", "--height", "180",
                                    "--record", str(recorded), *segment)  # fmt: skip
    viewers = []
    engines: list[Engine] = []
    service = f"Bundlecast-livetest-{uuid.uuid4().hex[:10]}"
    try:
        broadcaster.ready()
        origin = [(bundle.origin_host, bundle.origin_port)]
        viewers = [start_viewer(bundle, loopback_address(), origin, "--keep-recording", str(k), *segment)
                   for k in kept]  # fmt: skip
        for viewer in viewers:
            viewer.ready()
        wait_for(lambda: all(len(v.of("play")) >= 64 for v in viewers), 60, "16 s of play at both viewers")
        broadcaster.stop()  # the broadcast ends
        # The viewers play out what reached them (the blocks the origin cut as it stopped may not have left it).
        wait_for(lambda: all(time.time() - v.of("play")[-1]["at"] > 2.5 for v in viewers), 20, "play to run out")
        for viewer in viewers:
            viewer.stop()
        wait_for(lambda: all(p.of("recording") for p in (broadcaster, *viewers)), 10, "the recordings to close")
        files = sorted((recorded / RECORDING_FOLDER).glob("*.ts"))
        assert len(files) >= 6, broadcaster.of("recording")

        # The creator publishes the recording through the app's publishing code: same (free) gate, hybrid torrent.
        with httpx.Client(base_url=store.api, timeout=60) as api:
            _, token = new_account(api)
            assert api.post("/creators/me", json={"display_name": "Tess"}, headers=bearer(token)).status_code == 200
        publisher = Publisher(tmp_path / "work", keys=MemoryKeys(), client=CreatorClient(store.url), token=token,
                              store_url=store.url)  # fmt: skip
        job = publisher.plan(PublishRequest(folder=recorded, title="A live test broadcast (recording)",
                                            kind=BundleKind.FILM, gate=GateType.FREE, locked=frozenset()))  # fmt: skip
        recording_id = publisher.run(job)
        assert recording_id

        # A viewer's app adds the recording over what it kept: most bytes are there before any download.
        viewer_home = tmp_path / "viewer-app"
        engines.append(engine := _engine(viewer_home / "state"))
        backend, adder = _fan(store, engine, viewer_home, service)
        result = add_with_kept_files(adder, backend, recording_id, kept[0], lambda: viewer_home / "dl")
        assert len(result.placed) >= len(files) - 3  # the segments it saw from their start
        tid = result.added.torrent_id
        _wait_checked(engine, tid)
        wait_for(lambda: engine.snapshot(tid).progress >= 1.0, 60, "the viewer's copy to complete")
        done = engine.snapshot(tid)
        from_disk = done.total_size - done.total_downloaded  # what it never had to download
        assert done.total_size == sum(f.stat().st_size for f in files)
        assert from_disk >= 0.6 * done.total_size, (from_disk, done.total_size)
        assert done.state is TorrentState.SEEDING  # and it seeds the recording at once

        # A fresh fan downloads it from the store's web seed, byte-identical, and the app's player plays it.
        fan_home = tmp_path / "fan-app"
        engines.append(fan_engine := _engine(fan_home / "state"))
        _backend, fan_adder = _fan(store, fan_engine, fan_home, service)
        added = fan_adder.add(recording_id, Want.FREE)
        wait_for(lambda: fan_engine.snapshot(added.torrent_id).progress >= 1.0, 90, "the fan's download")
        top = fan_home / "dl" / publisher.journal(job).top_name
        for path in files:
            assert (top / RECORDING_FOLDER / path.name).read_bytes() == path.read_bytes()
        _plays_in_the_app_player(fan_engine, added.torrent_id, added.manifest, files[1].name)
    finally:
        for viewer in viewers:
            viewer.stop()
        broadcaster.stop()
        for engine in engines:
            engine.shutdown()
        LicenseVault(service=service).forget_store(store.url)


def _plays_in_the_app_player(engine: Engine, torrent_id: str, manifest: object, name: str) -> None:
    entry = next(f for f in manifest.files if f.path.endswith(name))  # type: ignore[attr-defined]
    index = next(f.index for f in engine.files(torrent_id) if f.path.endswith(name))
    server = StreamServer()
    server.start()
    backend = VideoBackend(headless=True)
    events: list[PlaybackEvent] = []
    player = backend.create_player(events.append, probe_frames=True)
    try:
        url = Playback(engine, server).stream_url(PlayItem(torrent_id, index, entry, "Recording", "rec"))
        player.open(url)
        wait_for(lambda: sum(isinstance(e, FrameShown) for e in events) >= 25, 30, "VLC to show a second of it")
    finally:
        player.release()
        backend.release()
        server.stop()
