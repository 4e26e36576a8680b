"""Seeding soak: the engine as shipped seeds to leechers that come and go, and its footprint must stay flat.

A seeder who leaves Bundlecast running for weeks meets one thing over and over: peers connect, download, leave.
This runs that loop for ``--minutes`` (default 3) and samples the seeding process every few seconds: resident
memory, open file descriptors, threads. The seeder is our ``Engine`` in this process, seeding ``--torrents``
small torrents; the leechers are plain libtorrent in a child process on their own loopback address, which
add every torrent, download it, remove it with its data and start over (each cycle a fresh set of
connections, handshakes, piece requests and disconnects for the engine).

Side by side in one run: the figures after the first minute (warm-up: caches, disk buffers) against the last
sample, their ratios, and the memory trend after warm-up (least squares over every sample). Goal: no steady
growth — RSS at the end within 10% of its value after warm-up, file descriptors and threads back to theirs.

Run: .venv/bin/python bench/soak.py [--minutes 3] [--torrents 20]
The last line is one JSON object: rss_warm_MB, rss_end_MB, rss_end_vs_warm, rss_trend_MB_per_hour, fds_warm,
fds_end, threads_warm, threads_end, cycles, uploaded_MB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine import Engine, EngineSettings, TorrentState
from tests.engine.helpers import make_torrent, write_payload
from tests.support.net import loopback_address

TORRENT_BYTES = 2 * 1024 * 1024
SAMPLE_EVERY_S = 5.0
WARM_UP_S = 60.0

LEECHERS = r"""
import sys, time
from pathlib import Path
import libtorrent as lt
sys.path.insert(0, sys.argv[1])
from tests.support.plain_libtorrent import loopback_session_settings

address, seeder, work, stop_at = sys.argv[2], sys.argv[3], Path(sys.argv[4]), float(sys.argv[5])
host, port = seeder.rsplit(":", 1)
torrents = [lt.torrent_info(str(p)) for p in sorted(work.glob("*.torrent"))]
session = lt.session(loopback_session_settings(address))
cycles = 0
while time.time() < stop_at:
    handles = []
    for info in torrents:
        params = lt.add_torrent_params()
        params.ti = info
        params.save_path = str(work / "leech")
        handle = session.add_torrent(params)
        handle.connect_peer((host, int(port)))
        handles.append(handle)
    deadline = time.time() + 120
    while time.time() < deadline and not all(h.status().is_seeding for h in handles):
        time.sleep(0.1)
    for handle in handles:
        session.remove_torrent(handle, lt.session.delete_files)
    time.sleep(0.5)
    cycles += 1
print(cycles, flush=True)
"""


def process_footprint() -> tuple[float, int, int]:
    """This process's resident memory (MB), open file descriptors and threads, from /proc."""
    status = Path("/proc/self/status").read_text().splitlines()
    fields = {line.split(":", 1)[0]: line.split(":", 1)[1].split() for line in status if ":" in line}
    rss_mb = int(fields["VmRSS"][0]) / 1024
    threads = int(fields["Threads"][0])
    fds = sum(1 for _ in Path("/proc/self/fd").iterdir())
    return rss_mb, fds, threads


def seed(work: Path, count: int) -> tuple[Engine, str]:
    """Our engine seeding ``count`` torrents; returns it and its ``address:port``."""
    address = loopback_address()
    engine = Engine(EngineSettings.for_loopback_tests(address), work / "seeder-state")
    engine.start()
    for i in range(count):
        content = work / "seed" / f"item-{i:03d}"
        write_payload(content, {"part-a.bin": TORRENT_BYTES // 2, "part-b.bin": TORRENT_BYTES // 2}, seed=i + 1)
        torrent = make_torrent(content, 65536, "hybrid")
        (work / f"item-{i:03d}.torrent").write_bytes(torrent)
        engine.add_torrent_bytes(torrent, work / "seed")
    deadline = time.monotonic() + 120
    while not all(s.state is TorrentState.SEEDING for s in engine.snapshots()):
        if time.monotonic() > deadline:
            raise TimeoutError("the seeder never finished checking its data")
        time.sleep(0.1)
    return engine, f"{address}:{engine.listen_port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--torrents", type=int, default=20)
    args = parser.parse_args()
    seconds = max(args.minutes * 60, WARM_UP_S + 4 * SAMPLE_EVERY_S)

    with tempfile.TemporaryDirectory(prefix="bundlecast-soak-") as tmp:
        work = Path(tmp)
        print(f"seeding {args.torrents} torrents of {TORRENT_BYTES // 1024 // 1024} MiB; leechers churn for "
              f"{seconds / 60:.1f} min …", flush=True)
        engine, seeder_address = seed(work, args.torrents)
        stop_at = time.time() + seconds
        leechers = subprocess.Popen(
            [sys.executable, "-c", LEECHERS, str(Path(__file__).resolve().parents[1]), loopback_address(),
             seeder_address, str(work), str(stop_at)],
            stdout=subprocess.PIPE, text=True,
        )
        samples: list[tuple[float, float, int, int]] = []
        started = time.monotonic()
        done = threading.Event()
        while not done.wait(SAMPLE_EVERY_S):
            elapsed = time.monotonic() - started
            samples.append((elapsed, *process_footprint()))
            if leechers.poll() is not None:
                done.set()
        assert leechers.stdout is not None
        cycles = int(leechers.stdout.read().strip() or 0)
        leechers.wait(60)
        uploaded = engine.totals().total_uploaded
        engine.shutdown()

    warm = next(s for s in samples if s[0] >= WARM_UP_S)
    end = samples[-1]
    after_warm_up = [s for s in samples if s[0] >= WARM_UP_S]
    # The trend of every sample after warm-up (least squares), not end minus start: one sample is noisy.
    slope_mb_per_s = statistics.linear_regression([s[0] for s in after_warm_up], [s[1] for s in after_warm_up]).slope
    growth_per_hour = slope_mb_per_s * 3600
    print()
    print(f"{'sample':<28}{'at s':>8}{'RSS MB':>10}{'fds':>7}{'threads':>9}")
    for name, row in (("first", samples[0]), ("after warm-up", warm), ("end", end)):
        print(f"{name:<28}{row[0]:>8.0f}{row[1]:>10.1f}{row[2]:>7}{row[3]:>9}")
    print(f"leecher cycles: {cycles} (each: {args.torrents} torrents downloaded and removed); "
          f"uploaded {uploaded / 1e6:.0f} MB")
    print(f"RSS end ÷ after warm-up: {end[1] / warm[1]:.3f}; trend after warm-up: {growth_per_hour:+.1f} MB/hour "
          f"over {len(after_warm_up)} samples (a short run's trend is noisy: run longer to pin it down)")
    print("goal: RSS end within 10% of after warm-up; fds and threads back to their warm-up counts")
    print(json.dumps({
        "rss_warm_MB": round(warm[1], 1), "rss_end_MB": round(end[1], 1),
        "rss_end_vs_warm": round(end[1] / warm[1], 3), "rss_trend_MB_per_hour": round(growth_per_hour, 1),
        "fds_warm": warm[2], "fds_end": end[2], "threads_warm": warm[3], "threads_end": end[3],
        "cycles": cycles, "uploaded_MB": round(uploaded / 1e6, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
