"""Scale benchmark: an engine holding 1,000 torrents against an empty one.

Prints the resident memory of an empty engine and of one holding 1,000 small idle torrents, the time to add
the 1,000 (start), the time to shut down (saving 1,000 resume files), and the time for a new engine to
restore them all from the state dir (``Engine.start`` until every torrent has left its resume check). Each
measurement runs in a fresh child process. Last line: one JSON object.

Usage: .venv/bin/python bench/scale.py [--count 1000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_torrents(folder: Path, count: int) -> list[bytes]:
    import libtorrent as lt

    torrents = []
    folder.mkdir(parents=True)
    for i in range(count):
        path = folder / f"item-{i:05d}.bin"
        path.write_bytes(i.to_bytes(8, "little") * 4096)
        creator = lt.create_torrent(lt.list_files(str(path), lambda _p: True), 16384, flags=lt.create_torrent.v1_only)
        lt.set_piece_hashes(creator, str(folder))
        torrents.append(bytes(lt.bencode(creator.generate())))
    return torrents


def _settle(engine: Any, count: int, timeout: float = 120) -> None:
    from app.engine import TorrentState

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snaps = engine.snapshots()
        if len(snaps) == count and all(s.state is not TorrentState.CHECKING for s in snaps):
            return
        time.sleep(0.05)


def _first_run(state: str, downloads: str, torrents: list[bytes], out: Any) -> None:
    from app.engine import Engine, EngineSettings

    engine = Engine(EngineSettings.for_loopback_tests("127.0.0.200"), Path(state))
    began = time.perf_counter()
    engine.start()
    empty_start = time.perf_counter() - began
    time.sleep(1.0)
    rss_empty = rss_mb()
    began = time.perf_counter()
    for data in torrents:
        engine.add_torrent_bytes(data, Path(downloads))
    added = time.perf_counter() - began
    _settle(engine, len(torrents))
    time.sleep(2.0)
    rss_full = rss_mb()
    began = time.perf_counter()
    engine.shutdown(timeout=60)
    shutdown = time.perf_counter() - began
    out.send({"empty_start_s": empty_start, "rss_empty_MB": rss_empty, "start_s": added,
              "rss_full_MB": rss_full, "shutdown_s": shutdown})


def _restore_run(state: str, count: int, out: Any) -> None:
    from app.engine import Engine, EngineSettings

    engine = Engine(EngineSettings.for_loopback_tests("127.0.0.201"), Path(state))
    began = time.perf_counter()
    engine.start()
    started = time.perf_counter() - began
    restored = len(engine.torrent_ids())
    _settle(engine, count)
    settled = time.perf_counter() - began
    rss = rss_mb()
    engine.shutdown(timeout=60)
    out.send({"restore_start_s": started, "restore_s": settled, "restored": restored, "rss_restored_MB": rss})


def _child(target: Any, *args: Any) -> dict[str, Any]:
    parent, child = mp.Pipe()
    proc = mp.Process(target=target, args=(*args, child))
    proc.start()
    result: dict[str, Any] = parent.recv()
    proc.join(120)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bc-scale-"))
    try:
        torrents = make_torrents(workdir / "data", options.count)
        first = _child(_first_run, str(workdir / "state"), str(workdir / "data"), torrents)
        again = _child(_restore_run, str(workdir / "state"), options.count)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    n = options.count
    print(f"engine scale: {n} small idle torrents (seeding from disk), each phase in a fresh process")
    rows = [
        ("resident memory, empty engine", f"{first['rss_empty_MB']:8.1f} MB"),
        (f"resident memory, {n} torrents", f"{first['rss_full_MB']:8.1f} MB"),
        ("  per torrent", f"{(first['rss_full_MB'] - first['rss_empty_MB']) * 1024 / n:8.1f} KiB"),
        ("start of an empty engine", f"{first['empty_start_s']:8.3f} s"),
        (f"adding {n} torrents (start)", f"{first['start_s']:8.3f} s"),
        (f"shutdown, saving {n} resume files", f"{first['shutdown_s']:8.3f} s"),
        (f"Engine.start() restoring {n}", f"{again['restore_start_s']:8.3f} s"),
        (f"restore until all {n} checked", f"{again['restore_s']:8.3f} s   ({again['restored']} restored)"),
    ]
    for name, value in rows:
        print(f"  {name:<40} {value}")
    print(json.dumps({
        "rss_empty_MB": round(first["rss_empty_MB"], 1),
        "rss_1000_MB": round(first["rss_full_MB"], 1),
        "start_1000_s": round(first["start_s"], 3),
        "restore_1000_s": round(again["restore_s"], 3),
        "restored": again["restored"],
        "shutdown_1000_s": round(first["shutdown_s"], 3),
    }))


if __name__ == "__main__":
    mp.set_start_method("spawn")
    main()
