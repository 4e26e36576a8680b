"""Streaming through the real parts: a rate-limited headless seeder in its own process, the engine's
TorrentStream in this one, reading at random offsets while the download is still running."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.engine import Engine, EngineSettings, StreamClosedError, StreamTimeoutError, TorrentState
from tests.engine.helpers import info_hash_hex, make_torrent, torrent_file_paths, wait_until, write_payload
from tests.engine.processes import HeadlessEngine
from tests.support.net import free_port, loopback_address

FILES = {"pilot.mp4": 6 * 1024 * 1024, "episode-2.mp4": 3 * 1024 * 1024, "cover.png": 50_000}


@pytest.fixture(scope="module")
def swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HeadlessEngine, bytes, dict[str, bytes]]]:
    root = tmp_path_factory.mktemp("stream-swarm")
    contents = write_payload(root / "data" / "series", FILES)
    torrent = make_torrent(root / "data" / "series", 65536, "hybrid")
    (root / "series.torrent").write_bytes(torrent)
    address = loopback_address()
    seeder = HeadlessEngine(
        root / "seeder-home",
        address,
        free_port(address),
        sources=[str(root / "series.torrent")],
        download_dir=root / "data",
        upload_limit=1_000_000,
    )
    seeder.wait_for(f"torrent {info_hash_hex(torrent)} state=seeding", 60)
    yield seeder, torrent, contents
    seeder.stop()


@pytest.fixture
def leecher(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    yield engine
    engine.shutdown()


def test_random_reads_return_exact_bytes_while_downloading(
    tmp_path: Path, leecher: Engine, swarm: tuple[HeadlessEngine, bytes, dict[str, bytes]]
) -> None:
    seeder, torrent, contents = swarm
    expected = contents["pilot.mp4"]
    index = torrent_file_paths(torrent).index("series/pilot.mp4")
    tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl")
    leecher.connect_peer(tid, seeder.address, seeder.port)
    rng = random.Random()
    reads_while_downloading = 0
    with leecher.open_stream(tid, index, timeout=60) as stream:
        assert stream.size == len(expected)
        stream.seek(-1000, 2)  # the last bytes first, as a player looking for an index does
        tail = stream.read(5000)
        assert tail == expected[-1000:][: len(tail)] and tail
        for _ in range(12):
            offset = rng.randrange(0, len(expected))
            stream.seek(offset)
            data = stream.read(rng.randrange(1, 300_000))
            assert data and data == expected[offset : offset + len(data)]
            assert stream.tell() == offset + len(data)
            if leecher.snapshot(tid).progress < 1.0:
                reads_while_downloading += 1
        stream.seek(0)
        whole = bytearray()
        while chunk := stream.read(1 << 24):
            whole += chunk
        assert bytes(whole) == expected
        assert stream.read(10) == b""
    assert reads_while_downloading > 0
    # Closing the stream gave picking back: the rest of the torrent still downloads.
    wait_until(lambda: leecher.snapshot(tid).state is TorrentState.SEEDING, 90, "whole torrent")


def test_stream_of_a_skipped_file_in_a_pilot_only_download(
    tmp_path: Path, leecher: Engine, swarm: tuple[HeadlessEngine, bytes, dict[str, bytes]]
) -> None:
    seeder, torrent, contents = swarm
    paths = torrent_file_paths(torrent)
    wanted = paths.index("series/episode-2.mp4")
    priorities = [4 if i == wanted else 0 for i in range(len(paths))]
    tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl", file_priorities=priorities)
    leecher.connect_peer(tid, seeder.address, seeder.port)
    with leecher.open_stream(tid, wanted, timeout=60) as stream:
        stream.seek(2 * 1024 * 1024)
        data = stream.read(100_000)
        assert data == contents["episode-2.mp4"][2 * 1024 * 1024 : 2 * 1024 * 1024 + len(data)]
    assert not (tmp_path / "dl" / "series" / "pilot.mp4").exists()


def test_close_from_another_thread_wakes_a_blocked_read(tmp_path: Path, leecher: Engine) -> None:
    source = tmp_path / "lonely"
    write_payload(source, {"a.bin": 200_000})
    torrent = make_torrent(source / "a.bin", 16384, "v1")
    tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl")  # no peer: nothing will ever arrive
    stream = leecher.open_stream(tid, 0, timeout=60)
    errors: list[BaseException] = []

    def blocked_read() -> None:
        try:
            stream.read(100)
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=blocked_read)
    reader.start()
    reader.join(0.5)
    assert reader.is_alive()  # blocked: no peer can ever send these bytes
    stream.close()
    reader.join(10)
    assert not reader.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], StreamClosedError)
    with pytest.raises(StreamClosedError):
        stream.read(1)


def test_read_times_out_when_no_peer_has_the_bytes(tmp_path: Path, leecher: Engine) -> None:
    source = tmp_path / "lonely"
    write_payload(source, {"a.bin": 100_000})
    tid = leecher.add_torrent_bytes(make_torrent(source / "a.bin", 16384, "v1"), tmp_path / "dl")
    with leecher.open_stream(tid, 0, timeout=1.0) as stream, pytest.raises(StreamTimeoutError):
        stream.read(10)


def test_stream_keeps_going_while_the_only_peer_leaves_and_comes_back(tmp_path: Path, leecher: Engine) -> None:
    contents = write_payload(tmp_path / "data" / "show", {"pilot.mp4": 4 * 1024 * 1024})
    torrent = make_torrent(tmp_path / "data" / "show", 65536, "hybrid")
    (tmp_path / "show.torrent").write_bytes(torrent)
    address = loopback_address()
    port = free_port(address)

    def start_seeder() -> HeadlessEngine:
        return HeadlessEngine(
            tmp_path / "seeder-home", address, port, sources=[str(tmp_path / "show.torrent")],
            download_dir=tmp_path / "data", upload_limit=500_000,
        )

    seeder = start_seeder()
    expected = contents["pilot.mp4"]
    tid = leecher.add_torrent_bytes(torrent, tmp_path / "dl")
    leecher.connect_peer(tid, address, port)
    stream = leecher.open_stream(tid, 0, timeout=90)
    try:
        first = stream.read(100_000)
        assert first == expected[: len(first)]
        seeder.stop()  # the only peer leaves
        wait_until(lambda: leecher.snapshot(tid).num_peers == 0, 30, "peer gone")
        result: list[bytes] = []
        far = len(expected) - 300_000
        assert not any(r.start <= far < r.end for r in leecher.file_ranges(tid, 0))  # must come after the return
        stream.seek(far)
        reader = threading.Thread(target=lambda: result.append(stream.read(200_000)))
        reader.start()
        seeder = start_seeder()  # ... and comes back
        def reconnect() -> bool:
            if leecher.snapshot(tid).num_peers == 0:
                leecher.connect_peer(tid, address, port)
            return not reader.is_alive()

        wait_until(reconnect, 90, "read after the peer came back", interval=0.5)
        assert result and result[0] == expected[far : far + len(result[0])]
    finally:
        stream.close()
        seeder.stop()
