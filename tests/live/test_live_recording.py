"""The recording becomes a bundle: a live event made on a real storefront (creator API), a broadcaster and two viewers
(processes, each on its own loopback address, meeting through the store's tracker) keep the broadcast in the
recording's layout; when it ends the creator publishes the recording through the app's publishing code as the live
bundle's release (hybrid torrent, web seed, same gate); a viewer's app adds it and finds most of its bytes already on
disk; a fresh fan downloads it byte-identical and the app's player plays it through the loopback stream server in
VLC. A paid broadcast's recording is locked, and the ticket a fan bought for the broadcast opens it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.bundle import BundleKind, License
from app.engine import Engine, EngineSettings
from app.engine.types import TorrentState
from app.library import BundleAdder, Library, LibraryIndex, StoreBackend, Want
from app.library.kept_recording import add_with_kept_files
from app.library.publishing import Publisher
from app.library.recording_release import recording_request
from app.live.recording import RECORDING_FOLDER
from app.player.items import PlayItem
from app.player.playback import Playback
from app.player.resume import ResumePositions
from app.player.server import StreamServer
from app.player.video import FrameShown, PlaybackEvent, VideoBackend
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.creator import CreatorClient
from app.store.models import Card
from app.store.vault import LicenseVault
from tests.live.store_live import go_live, secret_file
from tests.live.swarm import LiveProcess, wait_for
from tests.storefront.store_support import GOOD_CARD, StoreProcess, auth, serve_empty_store
from tests.support.creator import MemoryKeys, new_account, signed_manifest
from tests.support.net import loopback_address

pytestmark = pytest.mark.timeout(240, method="thread")
SEGMENT_BLOCKS = 8  # 2 s files, so a short broadcast makes several
LIGHT = ("--kbps", "500", "--width", "320", "--height", "180")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreProcess]:
    """One store for the module: each test makes its own creator, event, buyers and keyring service."""
    yield from serve_empty_store(tmp_path_factory, "recording-store")


def _engine(state: Path) -> Engine:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), state)
    engine.start()
    return engine


def _fan(store: StoreProcess, engine: Engine, home: Path, service: str) -> tuple[StoreBackend, BundleAdder]:
    vault = LicenseVault(service=service)
    backend = StoreBackend(lambda: StoreAccount(StoreClient(store.url), vault, store_ref=store.url))
    return backend, BundleAdder(backend, engine, LibraryIndex(home / "library.json"), lambda: home / "dl")


def _wait_for_recordings(processes: dict[str, LiveProcess]) -> None:
    """Every process reported its recording closed; if not, say which did not and what it last wrote."""
    try:
        wait_for(lambda: all(p.of("recording") for p in processes.values()), 10, "the recordings to close")
    except AssertionError as error:
        silent = {name: p.stderr_tail()[-2000:] for name, p in processes.items() if not p.of("recording")}
        raise AssertionError(f"{error}; no recording event from {sorted(silent)}; their stderr: {silent}") from error


def _wait_checked(engine: Engine, torrent_id: str) -> None:
    wait_for(lambda: engine.snapshot(torrent_id).state is not TorrentState.CHECKING, 60, "the check on adding")


def test_a_broadcast_recording_is_released_viewers_hold_most_of_it_and_a_fresh_fan_plays_it(
    tmp_path: Path, store: StoreProcess
) -> None:
    recorded = tmp_path / "recorded"
    common = ("--segment-blocks", str(SEGMENT_BLOCKS), "--announce-interval", "1")
    on_air = go_live(store, tmp_path, "Rooftop session", {"gate": "free"}, *LIGHT, "--record", str(recorded), *common)
    # Where each viewer's app keeps what it plays (the Live tab's folder: <app data>/live-kept/<bundle id>).
    kept_roots = [tmp_path / "viewer-app" / "live-kept", tmp_path / "viewer-2" / "live-kept"]
    kept = [root / on_air.bundle_id for root in kept_roots]
    broadcaster = on_air.broadcaster
    viewers = []
    engines: list[Engine] = []
    service = f"Bundlecast-livetest-{uuid.uuid4().hex[:10]}"
    try:
        viewers = [on_air.viewer("--keep-recording", str(k), *common) for k in kept]
        for viewer in viewers:
            viewer.ready()
        wait_for(lambda: all(len(v.of("play")) >= 64 for v in viewers), 60, "16 s of play at both viewers")
        broadcaster.stop()  # the broadcast ends
        # The viewers play out what reached them (the blocks the origin cut as it stopped may not have left it).
        wait_for(lambda: all(time.time() - v.of("play")[-1]["at"] > 2.5 for v in viewers), 20, "play to run out")
        for viewer in viewers:
            viewer.stop()
        _wait_for_recordings({"broadcaster": broadcaster, "viewer 1": viewers[0], "viewer 2": viewers[1]})
        files = sorted((recorded / RECORDING_FOLDER).glob("*.ts"))
        assert len(files) >= 8, broadcaster.of("recording")

        # The creator publishes the recording through the app's publishing code, as the live bundle's release.
        publisher = _publisher(store, on_air.token, tmp_path / "work")
        job = publisher.plan(recording_request(on_air.manifest, recorded))
        assert publisher.run(job) == on_air.bundle_id
        with httpx.Client(base_url=store.api, timeout=30) as api:
            released = signed_manifest(api, on_air.bundle_id)
        assert released.kind is BundleKind.LIVE and released.live == on_air.manifest.live  # still the event
        assert released.gate == on_air.manifest.gate and not any(f.locked for f in released.files)  # same gate
        assert {f.path for f in released.files} == {f"{RECORDING_FOLDER}/{p.name}" for p in files}
        assert released.info_hash_v2 and [r.id for r in released.releases] == ["recording"]

        # A viewer's app adds the recording (Library.add, as the Store's Download does) over what it kept: most bytes
        # never have to be downloaded.
        viewer_home = tmp_path / "viewer-app"
        engines.append(engine := _engine(viewer_home / "state"))
        backend, _adder = _fan(store, engine, viewer_home, service)
        library = Library(backend, engine, LibraryIndex(viewer_home / "library.json"), lambda: viewer_home / "dl",
                          ResumePositions(viewer_home / "resume.json"), kept_live_root=kept_roots[0])  # fmt: skip
        kept_names = {p.name for p in (kept[0] / RECORDING_FOLDER).glob("*.ts")}
        assert len(kept_names) >= len(files) - 4  # the segments it saw from their start
        tid = library.add(on_air.bundle_id).torrent_id
        assert not kept[0].exists()  # moved into place (what did not fit is gone)
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
        added = fan_adder.add(on_air.bundle_id, Want.FREE)
        wait_for(lambda: fan_engine.snapshot(added.torrent_id).progress >= 1.0, 90, "the fan's download")
        top = fan_home / "dl" / publisher.journal(job).top_name
        for path in files:
            assert (top / RECORDING_FOLDER / path.name).read_bytes() == path.read_bytes()
        _plays_in_the_app_player(fan_engine, added.torrent_id, added.manifest, files[1].name, None)
    finally:
        for viewer in viewers:
            viewer.stop()
        broadcaster.stop()
        for engine in engines:
            engine.shutdown()
        LicenseVault(service=service).forget_store(store.url)


def test_a_paid_broadcast_recording_is_locked_the_ticket_opens_it_and_a_ticket_holder_kept_only_ciphertext(
    tmp_path: Path, store: StoreProcess
) -> None:
    recorded, kept = tmp_path / "recorded", tmp_path / "kept"
    common = ("--segment-blocks", str(SEGMENT_BLOCKS), "--announce-interval", "1")
    on_air = go_live(store, tmp_path, "Paid rooftop", {"gate": "price", "price_cents": 300}, *LIGHT,
                     "--record", str(recorded), *common)  # fmt: skip
    engines: list[Engine] = []
    viewer = None
    service = f"Bundlecast-livetest-{uuid.uuid4().hex[:10]}"
    try:
        # A viewer with a ticket (bought over the API) watches and keeps the recording's layout.
        with httpx.Client(base_url=store.api, timeout=30) as api:
            _, buyer = new_account(api)
            bought = api.post("/purchases", json={"bundle_id": on_air.bundle_id, "card": GOOD_CARD},
                              headers=auth(buyer, uuid.uuid4().hex))  # fmt: skip
            assert bought.status_code == 201, bought.text
        ticket_file = secret_file(tmp_path / "ticket.token", bought.json()["license"])
        viewer = on_air.viewer("--ticket-file", str(ticket_file), "--keep-recording", str(kept), *common)
        assert viewer.ready()["can_play"]
        # A fan buys a ticket in the app while it is on air (a license of the live bundle, kept in the keyring).
        fan_home = tmp_path / "fan-app"
        engines.append(engine := _engine(fan_home / "state"))
        backend, adder = _fan(store, engine, fan_home, service)
        backend.sign_up(f"fan-{uuid.uuid4().hex[:8]}@example.com", "password-123")
        ticket = backend.buy(on_air.bundle_id, Card("4242 4242 4242 4242", 12, 2040, "123"), None)
        wait_for(lambda: len(viewer.of("play")) >= 48, 60, "12 s of play at the ticket holder")
        on_air.broadcaster.stop()
        wait_for(lambda: time.time() - viewer.of("play")[-1]["at"] > 2.5, 20, "play to run out")
        viewer.stop()
        wait_for(lambda: bool(on_air.broadcaster.of("recording")) and bool(viewer.of("recording")), 10,
                 "the recordings to close")  # fmt: skip
        files = sorted((recorded / RECORDING_FOLDER).glob("*.ts"))
        assert len(files) >= 5

        publisher = _publisher(store, on_air.token, tmp_path / "work")
        job = publisher.plan(recording_request(on_air.manifest, recorded))
        assert publisher.run(job) == on_air.bundle_id
        published = publisher.bundle_dir(job) / publisher.journal(job).top_name / RECORDING_FOLDER
        # What the ticket holder kept is the published ciphertext, never the plaintext.
        kept_files = sorted((kept / RECORDING_FOLDER).glob("*.ts"))
        assert len(kept_files) >= 3
        for path in kept_files:
            mine = path.read_bytes()
            assert mine != (recorded / RECORDING_FOLDER / path.name).read_bytes()[: len(mine)]
            if (published / path.name).read_bytes().startswith(mine):
                continue
            assert path == kept_files[0]  # only a first segment joined mid-way may differ
        # The ticket holder's app adds the recording over what it kept: most bytes never have to be downloaded.
        viewer_home = tmp_path / "viewer-app"
        engines.append(viewer_engine := _engine(viewer_home / "state"))
        viewer_backend, viewer_adder = _fan(store, viewer_engine, viewer_home, service + "-v")
        result = add_with_kept_files(viewer_adder, viewer_backend, on_air.bundle_id, kept, lambda: viewer_home / "dl",
                                     want=Want.ALL)  # fmt: skip
        tid = result.added.torrent_id
        _wait_checked(viewer_engine, tid)
        wait_for(lambda: viewer_engine.snapshot(tid).progress >= 1.0, 60, "the ticket holder's copy to complete")
        done = viewer_engine.snapshot(tid)
        assert done.total_size - done.total_downloaded >= 0.5 * done.total_size, (done.total_downloaded, done)

        # Locked like the broadcast, under the same bundle: the ticket bought on air opens every file, and plays it.
        added = adder.add(on_air.bundle_id, Want.ALL)
        assert {f.path for f in added.manifest.files if f.locked} == {f"{RECORDING_FOLDER}/{p.name}" for p in files}
        assert all(ticket.file_key(f.path) is not None for f in added.manifest.files)
        wait_for(lambda: engine.snapshot(added.torrent_id).progress >= 1.0, 90, "the fan's download")
        assert (published / files[1].name).read_bytes() != files[1].read_bytes()  # it travels encrypted
        _plays_in_the_app_player(engine, added.torrent_id, added.manifest, files[1].name, ticket)
    finally:
        if viewer is not None:
            viewer.stop()
        on_air.broadcaster.stop()
        for engine in engines:
            engine.shutdown()
        LicenseVault(service=service).forget_store(store.url)
        LicenseVault(service=service + "-v").forget_store(store.url)


def _publisher(store: StoreProcess, token: str, root: Path) -> Publisher:
    return Publisher(root, keys=MemoryKeys(), client=CreatorClient(store.url), token=token, store_url=store.url)


def _plays_in_the_app_player(engine: Engine, torrent_id: str, manifest: object, name: str,
                             license: License | None) -> None:  # fmt: skip
    entry = next(f for f in manifest.files if f.path.endswith(name))  # type: ignore[attr-defined]
    index = next(f.index for f in engine.files(torrent_id) if f.path.endswith(name))
    server = StreamServer()
    server.start()
    backend = VideoBackend(headless=True)
    events: list[PlaybackEvent] = []
    player = backend.create_player(events.append, probe_frames=True)
    try:
        url = Playback(engine, server).stream_url(PlayItem(torrent_id, index, entry, "Recording", "rec"), license)
        player.open(url)
        wait_for(lambda: sum(isinstance(e, FrameShown) for e in events) >= 25, 30, "VLC to show a second of it")
    finally:
        player.release()
        backend.release()
        server.stop()
