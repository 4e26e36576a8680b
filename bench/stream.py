"""Time from *play* to the first frame: from disk, streamed from a seeder at 2x the bitrate, and after a seek into
a part not yet downloaded; plus the CPU cost of decrypting at 20 Mbit/s.

Every case runs through the real parts: the stream server, headless VLC (its frames counted by a probe
display callback — FIELD-NOTES: VLC's first TimeChanged comes ~0.4 s late), and for the streamed cases our
engine leeching from a plain libtorrent seeder behind a shaping proxy paced at 2x the file's bitrate
(tests/player/swarm.py). "Play" starts the clock before the torrent is added — what a fan waits for after
pressing *Watch pilot*. Each case runs several times (fresh leecher each time); the table shows the median.

Media: a 60 s 720p H.264/AAC faststart clip at ~2 Mbit/s made here (tests/player/media.py), or with --demo the
demo catalog's pilot (storefront.demo, cached) — used only when its audio and video are interleaved: a file whose
audio sits after all the video makes the player fetch two far-apart regions at once, and no seek can be fast.
Run: .venv/bin/python bench/stream.py [--runs 3] [--demo]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.bundle import ContentCipher
from app.engine import Engine, EngineSettings
from app.player.decrypting import DecryptingReader
from app.player.server import CHUNK_SIZE, StreamServer
from app.player.sources import ByteSource, FileSource, TorrentFileSource
from app.player.video import Buffering, FrameShown, PlaybackEvent, VideoBackend, VideoPlayer
from tests.player.media import make_test_video
from tests.player.swarm import Seeder, ShapingProxy, file_layout, make_torrent
from tests.support.net import loopback_address

TIMEOUT = 60.0


def demo_pilot(cache: Path) -> Path | None:
    """The demo catalog's pilot video (built once into ``cache``), or None when the demo builder is absent."""
    try:
        from storefront.demo.build import ensure_media
    except ImportError:
        return None
    folder, _ = ensure_media(cache)
    found = sorted(folder.rglob("pilot.mp4"))
    return found[0] if found else None


def probe_duration(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1_000_000


def audio_video_gap(path: Path) -> int:
    """Bytes between the first audio and the first video packet: small when the file is interleaved."""
    import av

    first: dict[str, int] = {}
    with av.open(str(path)) as container:
        for packet in container.demux():
            kind = packet.stream.type
            if kind in ("audio", "video") and kind not in first and packet.pos is not None:
                first[kind] = int(packet.pos)
            if len(first) == 2:
                break
    return abs(first.get("audio", 0) - first.get("video", 0))


class Frames:
    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[tuple[float, PlaybackEvent]] = queue.SimpleQueue()

    def put(self, event: PlaybackEvent) -> None:
        self.queue.put((time.perf_counter(), event))

    def drain(self) -> None:
        while not self.queue.empty():
            self.queue.get()

    def first_frame(self, *, after_buffered: bool = False) -> float:
        """The moment of the first frame shown (after VLC finished re-buffering, for a seek)."""
        buffered = not after_buffered
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                at, event = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if isinstance(event, Buffering) and event.percent >= 100:
                buffered = True
            elif isinstance(event, FrameShown) and buffered:
                return at
        raise TimeoutError("no frame within the time limit")


def complete_engine(torrent: bytes, content: Path, root: Path) -> tuple[Engine, str, int, int]:
    """An engine holding the torrent complete on disk (checked, seeding): what *Play* from the Library meets."""
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), root / "state-complete")
    engine.start()
    num_files, indexes = file_layout(torrent)
    ((_path, index),) = indexes.items()
    tid = engine.add_torrent_bytes(torrent, content, file_priorities=[4] * num_files)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        snapshot = engine.snapshot(tid)
        if snapshot.wanted_size and snapshot.wanted_done == snapshot.wanted_size:
            break
        time.sleep(0.1)
    else:
        raise TimeoutError("the complete torrent was never checked")
    size = next(f.size for f in engine.files(tid) if f.index == index)
    return engine, tid, index, size


def measure_disk(backend: VideoBackend, server: StreamServer, source: ByteSource) -> float:
    url = server.register("disk", source)
    frames = Frames()
    player = backend.create_player(frames.put, probe_frames=True)
    try:
        start = time.perf_counter()
        player.open(url)
        return frames.first_frame() - start
    finally:
        player.release()
        server.unregister("disk")


def measure_stream_and_seek(
    backend: VideoBackend, server: StreamServer, torrent: bytes, proxy: ShapingProxy, root: Path, run: int
) -> tuple[float, float, bool]:
    num_files, indexes = file_layout(torrent)
    ((_path, index),) = indexes.items()
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), root / f"state-{run}")
    engine.start()
    frames = Frames()
    player: VideoPlayer = backend.create_player(frames.put, probe_frames=True)
    try:
        start = time.perf_counter()
        tid = engine.add_torrent_bytes(torrent, root / f"downloads-{run}", file_priorities=[4] * num_files)
        engine.connect_peer(tid, proxy.address, proxy.port)
        size = next(f.size for f in engine.files(tid) if f.index == index)
        url = server.register(
            f"stream{run}", TorrentFileSource(engine, tid, index, size=size, content_type="video/mp4")
        )
        player.open(url)
        stream_s = frames.first_frame() - start
        time.sleep(2.0)  # watch a little, as a fan would before skipping ahead
        target = int(size * 0.75)
        not_yet = not any(r.start <= target < r.end for r in engine.file_ranges(tid, index))
        frames.drain()
        start = time.perf_counter()
        player.seek_fraction(0.75)
        seek_s = frames.first_frame(after_buffered=True) - start
        return stream_s, seek_s, not_yet
    finally:
        player.release()
        server.unregister(f"stream{run}")
        engine.shutdown(timeout=10)


def decrypt_core_share(mbit: float = 20.0, total: int = 128 * 1024 * 1024) -> float:
    """Share of one core spent decrypting ``mbit`` Mbit/s in the server's chunks (CPU time, this thread)."""
    data = os.urandom(CHUNK_SIZE)

    class Repeat:
        def __init__(self) -> None:
            self.left = total

        def read(self, n: int) -> bytes:
            if self.left <= 0:
                return b""
            self.left -= len(data)
            return data

        def close(self) -> None:
            pass

    reader = DecryptingReader(Repeat(), ContentCipher(os.urandom(32), os.urandom(16)), 12345)
    cpu = time.thread_time()
    while reader.read(CHUNK_SIZE):
        pass
    seconds_per_byte = (time.thread_time() - cpu) / total
    return seconds_per_byte * mbit * 1_000_000 / 8 * 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--demo", action="store_true", help="use the demo catalog's pilot when it is interleaved")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as tmp:
        root = Path(tmp)
        cache = Path(os.environ.get("BUNDLECAST_BENCH_CACHE", Path.home() / ".cache" / "bundlecast-bench"))
        media = demo_pilot(cache) if args.demo else None
        label = "demo pilot"
        if media is not None and audio_video_gap(media) > 4 * 1024 * 1024:
            print(
                f"demo pilot not used: its audio starts {audio_video_gap(media) / 1e6:.1f} MB away from its video"
                " (not interleaved; seeks would fetch two regions at once)"
            )
            media = None
        if media is None:
            media, label = make_test_video(cache / "bench-720p.mp4", seconds=60, seed=11), "generated 720p clip"
        duration = probe_duration(media)
        bitrate = media.stat().st_size * 8 / duration
        content = root / "seed"
        (content / "Pilot").mkdir(parents=True)
        shutil.copyfile(media, content / "Pilot" / "pilot.mp4")
        torrent = make_torrent(content, "Pilot")
        seeder = Seeder(loopback_address(), torrent, content)
        proxy = ShapingProxy(loopback_address(), (seeder.address, seeder.port), rate=int(2 * bitrate / 8))
        server = StreamServer()
        server.start()
        backend = VideoBackend(headless=True)
        try:
            engine, tid, index, size = complete_engine(torrent, content, root)
            try:
                on_disk = TorrentFileSource(engine, tid, index, size=size, content_type="video/mp4")
                disk = [measure_disk(backend, server, on_disk) for _ in range(args.runs)]
            finally:
                engine.shutdown(timeout=10)
            plain_file = [measure_disk(backend, server, FileSource(media, "video/mp4")) for _ in range(args.runs)]
            streamed = [measure_stream_and_seek(backend, server, torrent, proxy, root, run) for run in range(args.runs)]
        finally:
            backend.release()
            server.stop()
            proxy.close()
            seeder.close()
        decrypt_pct = decrypt_core_share()
    disk_s = statistics.median(disk)
    stream_s = statistics.median(s for s, _, _ in streamed)
    seek_s = statistics.median(s for _, s, _ in streamed)
    seeks_cold = sum(cold for _, _, cold in streamed)
    print(
        f"media: {label}, {media.stat().st_size / 1e6:.1f} MB, {duration:.0f} s, {bitrate / 1e6:.2f} Mbit/s;"
        f" seeder paced at {2 * bitrate / 8 / 1e6:.2f} MB/s (2x); median of {args.runs} runs"
    )
    print(f"{'case':<44}{'first frame':>12}{'vs disk':>9}")
    print(f"{'complete on disk, through the engine':<44}{disk_s:>11.2f}s{1:>8.1f}x")
    file_s = statistics.median(plain_file)
    print(f"{'(plain file, no engine: for reference)':<44}{file_s:>11.2f}s{file_s / disk_s:>8.1f}x")
    print(f"{'streamed from the seeder at 2x bitrate':<44}{stream_s:>11.2f}s{stream_s / disk_s:>8.1f}x")
    print(
        f"{'seek to 75% (not yet downloaded: ' + str(seeks_cold) + '/' + str(args.runs) + ')':<44}"
        f"{seek_s:>11.2f}s{seek_s / disk_s:>8.1f}x"
    )
    print(
        f"all runs: disk {[round(d, 2) for d in disk]}, plain file {[round(d, 2) for d in plain_file]},"
        f" stream {[round(s, 2) for s, _, _ in streamed]},"
        f" seek {[round(s, 2) for _, s, _ in streamed]}"
    )
    print(f"decryption at 20 Mbit/s: {decrypt_pct:.2f}% of one core (goal < 5%)")
    print(
        json.dumps(
            {
                "disk_first_frame_s": round(disk_s, 3),
                "stream_first_frame_s": round(stream_s, 3),
                "seek_first_frame_s": round(seek_s, 3),
                "stream_vs_disk": round(stream_s / disk_s, 2),
                "seek_vs_disk": round(seek_s / disk_s, 2),
                "decrypt_core_pct_20mbit": round(decrypt_pct, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
