"""Watch while it downloads, through the real parts: a libtorrent seeder paced at ~2x the video's bitrate by a
shaping proxy, our engine as the leecher, the stream server, and headless VLC decoding.

The bundle holds a free pilot (plain MP4) and a locked episode (AES-256-CTR ciphertext of another MP4). VLC
must reach Playing with its clock advancing while the download runs, play again after a seek to 75%, every
byte the server sent must be the plaintext at its offset, and nothing under the download folder may contain
the episode's plaintext.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pytestqt.qtbot import QtBot

from app.bundle import ContentCipher, Grant, License, ManifestFile, StoreKey, issue_license, verify_license
from app.engine import Engine, EngineSettings
from app.player.items import PlayItem
from app.player.playback import Playback
from app.player.server import StreamServer
from app.player.video import Buffering, PlaybackEvent, Playing, TimeChanged, VideoBackend
from tests.player.media import cached_test_video
from tests.player.swarm import Seeder, ShapingProxy, file_layout, make_torrent
from tests.support.net import loopback_address
from tests.support.waiting import wait_until

PILOT, EPISODE = "Bundle/pilot.mp4", "Bundle/episode-2.mp4"
BITRATE = 2_100_000  # bits/s of the test videos, audio included


@dataclass
class Swarm:
    root: Path
    torrent: bytes
    pilot: bytes
    episode: bytes
    nonce: bytes
    license: License
    server: StreamServer
    sent: dict[str, list[tuple[int, bytes]]]
    backend: VideoBackend
    indexes: dict[str, int]
    num_files: int
    proxy: tuple[str, int]


@pytest.fixture(scope="module")
def swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Swarm]:
    root = tmp_path_factory.mktemp("player-swarm")
    pilot = cached_test_video("pilot", seconds=20, seed=1).read_bytes()
    episode = cached_test_video("episode", seconds=16, seed=2).read_bytes()
    bundle_key, nonce = os.urandom(32), os.urandom(16)
    store_key = StoreKey.generate()
    _, token = issue_license(
        store_key, store_id="s", account_id="a", bundle_id="b", grant=Grant.whole_bundle(bundle_key)
    )
    license = verify_license(token, store_key.public_key)
    episode_key = license.file_key(EPISODE)
    assert episode_key is not None
    content = root / "seed"
    (content / "Bundle").mkdir(parents=True)
    (content / PILOT).write_bytes(pilot)
    (content / EPISODE).write_bytes(ContentCipher(episode_key, nonce).encrypt_at(0, episode))
    torrent = make_torrent(content, "Bundle")
    num_files, indexes = file_layout(torrent)
    sent: dict[str, list[tuple[int, bytes]]] = {}
    lock = threading.Lock()

    def tap(file_id: str, offset: int, data: bytes) -> None:
        with lock:
            sent.setdefault(file_id, []).append((offset, data))

    with contextlib.ExitStack() as cleanup:
        seeder = Seeder(loopback_address(), torrent, content)
        cleanup.callback(seeder.close)
        proxy = ShapingProxy(loopback_address(), (seeder.address, seeder.port), rate=2 * BITRATE // 8)
        cleanup.callback(proxy.close)
        server = StreamServer(tap=tap)
        server.start()
        cleanup.callback(server.stop)
        backend = VideoBackend(headless=True)
        cleanup.callback(backend.release)
        yield Swarm(
            root, torrent, pilot, episode, nonce, license, server, sent, backend,
            indexes, num_files, (proxy.address, proxy.port),
        )  # fmt: skip
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class Leecher:
    engine: Engine
    torrent_id: str
    save_path: Path
    state_dir: Path


@contextlib.contextmanager
def _leech(swarm: Swarm, path: str) -> Iterator[Leecher]:
    """A fresh engine (its own address, state and download folder) that wants only ``path``.

    Fresh per test so that each test measures a cold start of its own file (the engine's redial after a torrent
    wants more is proven in tests/integration/test_engine_wanted_growth.py).
    """
    folder = Path(tempfile.mkdtemp(prefix="leecher-", dir=swarm.root))
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), folder / "state")
    engine.start()
    try:
        save_path = folder / "downloads"
        save_path.mkdir()
        priorities = [0] * swarm.num_files
        priorities[swarm.indexes[path]] = 4
        torrent_id = engine.add_torrent_bytes(swarm.torrent, save_path, file_priorities=priorities)
        engine.connect_peer(torrent_id, *swarm.proxy)
        yield Leecher(engine, torrent_id, save_path, folder / "state")
    finally:
        engine.shutdown(timeout=10)


class Events:
    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[PlaybackEvent] = queue.SimpleQueue()

    def wait_for(self, predicate: type[PlaybackEvent] | object, timeout: float = 60) -> PlaybackEvent:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if (isinstance(predicate, type) and isinstance(event, predicate)) or (
                callable(predicate) and not isinstance(predicate, type) and predicate(event)
            ):
                return event
        raise AssertionError(f"VLC never reported {predicate} within {timeout} s")

    def drain(self) -> None:
        while not self.queue.empty():
            self.queue.get()


def _watch(swarm: Swarm, leecher: Leecher, path: str, plaintext: bytes, *, locked: bool) -> None:
    entry = ManifestFile(
        path=path, size=len(plaintext), media_type="video/mp4", locked=locked,
        nonce=swarm.nonce.hex() if locked else None, bitrate=BITRATE,
    )  # fmt: skip
    item = PlayItem(leecher.torrent_id, swarm.indexes[path], entry, title=path, bundle_id="b")
    playback = Playback(leecher.engine, swarm.server)
    url = playback.stream_url(item, swarm.license if locked else None)
    events = Events()
    player = swarm.backend.create_player(events.queue.put)
    try:
        player.open(url)
        events.wait_for(Playing)
        first = events.wait_for(lambda e: isinstance(e, TimeChanged) and e.time_ms > 0)
        assert (
            leecher.engine.snapshot(leecher.torrent_id).wanted_done
            < leecher.engine.snapshot(leecher.torrent_id).wanted_size
        ), "the file was complete before it played: this proved nothing about streaming"
        assert isinstance(first, TimeChanged)
        events.wait_for(lambda e: isinstance(e, TimeChanged) and e.time_ms >= first.time_ms + 1000)

        events.drain()
        player.seek_fraction(0.75)
        length_ms = player.length_ms
        assert length_ms > 0
        events.wait_for(Buffering)
        landed = events.wait_for(lambda e: isinstance(e, TimeChanged) and e.time_ms >= 0.6 * length_ms)
        assert isinstance(landed, TimeChanged)
        events.wait_for(lambda e: isinstance(e, TimeChanged) and e.time_ms >= landed.time_ms + 1000)
    finally:
        player.release()

    # Every byte the server sent is the plaintext at its offset (decrypted right, from verified pieces).
    chunks = swarm.sent.get(item.stream_id, [])
    assert sum(len(data) for _, data in chunks) > len(plaintext) // 4
    for offset, data in chunks:
        assert data == plaintext[offset : offset + len(data)], f"wrong bytes sent at offset {offset}"

    # Once downloaded, the whole stream hashes to the plaintext.
    def downloaded() -> int:
        return sum(r.end - r.start for r in leecher.engine.file_ranges(leecher.torrent_id, item.file_index))

    wait_until(lambda: downloaded() >= len(plaintext), 120,
               lambda: f"the whole file ({downloaded()} of {len(plaintext)} bytes)", 0.2)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    conn.request("GET", parts.path)
    body = conn.getresponse().read()
    conn.close()
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(plaintext).hexdigest()
    playback.release(item)


def test_the_free_pilot_plays_while_it_downloads_and_after_a_seek(swarm: Swarm) -> None:
    with _leech(swarm, PILOT) as leecher:
        _watch(swarm, leecher, PILOT, swarm.pilot, locked=False)


def test_a_locked_episode_plays_decrypted_and_never_lands_on_disk_in_plaintext(swarm: Swarm) -> None:
    with _leech(swarm, EPISODE) as leecher:
        _watch(swarm, leecher, EPISODE, swarm.episode, locked=True)
        on_disk = (leecher.save_path / EPISODE).read_bytes()
    assert len(on_disk) == len(swarm.episode) and on_disk[:65536] != swarm.episode[:65536]
    blocks = [swarm.episode[i : i + 64] for i in (4096, len(swarm.episode) // 2, len(swarm.episode) - 4096)]
    for folder in (leecher.save_path, leecher.state_dir):
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for block in blocks:
                    assert block not in data, f"plaintext of the episode found in {path}"


def test_the_player_page_shows_the_download_growing_under_the_playing_pilot(swarm: Swarm, qtbot: QtBot) -> None:
    from app.player.resume import ResumePositions
    from app.ui.player import PlayerPage
    from app.ui.tasks import ThreadPoolTaskRunner

    with _leech(swarm, PILOT) as leecher:
        entry = ManifestFile(path=PILOT, size=len(swarm.pilot), media_type="video/mp4", locked=False, bitrate=BITRATE)
        item = PlayItem(leecher.torrent_id, swarm.indexes[PILOT], entry, title="Pilot", bundle_id="b")
        page = PlayerPage(
            Playback(leecher.engine, swarm.server), swarm.backend, ResumePositions(swarm.root / "positions.json"),
            ThreadPoolTaskRunner(),
        )  # fmt: skip
        qtbot.addWidget(page)
        page.resize(800, 520)
        page.show()
        qtbot.waitExposed(page)
        page.play_bundle_file(item)
        qtbot.waitUntil(lambda: page.time_ms > 1000, timeout=60_000)
        # Part of the file is downloaded, not all of it, and what plays from here is a verified run.
        qtbot.waitUntil(lambda: bool(page.seek_bar.downloaded), timeout=10_000)
        share = sum(end - start for start, end in page.seek_bar.downloaded)
        assert 0 < share < 1, "the pilot was already complete: this shows nothing about streaming"
        playable = page.seek_bar.playable
        assert playable is not None and playable[1] > playable[0]
        assert abs(playable[0] - page.seek_bar.position) < 0.05  # it starts where the pilot is playing
        qtbot.waitUntil(
            lambda: sum(end - start for start, end in page.seek_bar.downloaded) > share + 0.05, timeout=60_000
        )
        page.shutdown()
