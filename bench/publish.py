"""Benchmark: publishing from the creator's machine vs libtorrent making the same hybrid torrent from plaintext.

In one run, for several rounds (alternating which goes first): the app's publishing code (``Publisher``: bundle key,
every file locked and encrypted streamed into the bundle folder, then the hybrid torrent through the engine's
``create_torrent``) against ``create_torrent`` over the plaintext alone. Each measurement runs in a child process
of its own, so its peak RSS (ru_maxrss) is its own. The store is not involved (upload is network-bound; see the
integration tests). Prints a table; the LAST line is one JSON object:
``publish_s``, ``plain_torrent_s`` (medians), ``publish_vs_plain`` (median of per-round ratios; goal <= 1.3),
``peak_rss_MB`` (largest of any publish child; goal < 200 whatever the size), the spread (min/max), and
``copy_s`` / ``publish_vs_copy``: plainly reading and writing the same bytes, the floor of any publish that must
store the ciphertext it seeds (the plain torrent writes nothing). ``publish_cpu_s`` / ``plain_cpu_s`` (medians of
each child's user + system CPU seconds, all threads) steady where wall time is not: on a shared machine the wall
ratio follows the CPU ratio, on a quiet one publishing's three threads (encrypt+write, v1, v2) use both cores.

The baseline is the engine's ``create_torrent`` as the app uses it (libtorrent's default settings:
``hashing_threads`` 1, so libtorrent hashes v1 and v2 of each piece on one thread while its disk threads read;
its CPU seconds are about its wall seconds).

Fair to both sides, outside every timing: the plaintext is flushed to disk once written, and again before each
measurement (``settle``: ``os.sync`` and a bounded wait until the machine's Dirty + Writeback is under 64 MB, shown
as ``dirty MB``), so no child pays for write-back another one (or the set-up) left dirty; the source is warm in the
page cache for every child (each reads it whole); every writer writes 256 KiB at a time, as publishing does (see
``child_copy``: a 1 MiB writer made the next round's writer slow — the rounds used to alternate); a warm-up round
(``--warmup``, default 1) runs all three first and is shown in the table but not counted — the first publish after
the set-up used to be the slowest by far (the lead's quiet run: 2.56 s against 1.30-1.80 s after it).

    python bench/publish.py [--gib 1] [--rounds 3] [--warmup 1] [--files 4] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.bundle import BundleKind, GateType
from app.engine import create_torrent
from app.library.publishing import Publisher, PublishRequest

PIECE = 256 * 1024


class _Keys:
    """Bundle keys in memory: the benchmark measures encryption and hashing, not the keyring."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}

    def put(self, job_id: str, key: bytes) -> None:
        self._keys[job_id] = key

    def get(self, job_id: str) -> bytes | None:
        return self._keys.get(job_id)

    def delete(self, job_id: str) -> None:
        self._keys.pop(job_id, None)


def make_plaintext(folder: Path, total: int, files: int) -> Path:
    top = folder / "Bench Bundle"
    if top.is_dir() and sum(p.stat().st_size for p in top.rglob("*") if p.is_file()) == total:
        return top
    shutil.rmtree(top, ignore_errors=True)
    top.mkdir(parents=True)
    block = os.urandom(1 << 20)
    each = total // files
    for i in range(files):
        with (top / f"episode-{i + 1:02d}.bin").open("wb") as fh:
            for n in range(each // len(block)):
                fh.write(block[n % 7 :] + block[: n % 7])  # distinct blocks, cheap to make
    return top


def child_publish(source: Path, work: Path) -> dict[str, float]:
    publisher = Publisher(work, keys=_Keys())
    files = sorted(p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file())
    request = PublishRequest(
        folder=source, title="Bench Bundle", kind=BundleKind.SERIES, gate=GateType.PAID,
        locked=frozenset(files), price_cents=499,
    )  # fmt: skip
    start = time.perf_counter()
    job = publisher.plan(request)
    publisher.run(job)
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds()
    shutil.rmtree(work, ignore_errors=True)
    return {"seconds": elapsed, "cpu": cpu}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _unwritten_mb() -> float:
    """Dirty + Writeback of the whole machine (``/proc/meminfo``), MB: 0 where there is no such file."""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return 0.0
    fields = {line.split(":")[0]: int(line.split()[1]) for line in lines if line.split()[1:]}
    return (fields.get("Dirty", 0) + fields.get("Writeback", 0)) / 1024


def settle(limit_mb: float = 64.0, timeout_s: float = 20.0) -> float:
    """Flush every dirty page (``os.sync``) and wait (bounded) until the machine's Dirty + Writeback is under
    ``limit_mb`` — others' writes too on a shared machine; returns what was left, MB. Outside every timing."""
    deadline = time.monotonic() + timeout_s
    os.sync()
    while (left := _unwritten_mb()) > limit_mb and time.monotonic() < deadline:
        time.sleep(0.1)
        os.sync()
    return left


def child_copy(source: Path, work: Path) -> dict[str, float]:
    """The floor of any publish that must store the ciphertext: read and write the same bytes, nothing else — with
    publishing's own I/O pattern (``readinto`` a reused 256 KiB buffer, one ``write`` of it). A copy in 1 MiB
    ``read``s (as this child once did) put 1 MiB folios into the page cache, cost 0.48-1.7 s a GiB instead of 0.22-0.29
    on this VM, and left the memory it freed so that the next writer of a later child paid for it (field notes)."""
    buffer = memoryview(bytearray(PIECE))
    start = time.perf_counter()
    work.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        with path.open("rb", buffering=0) as src, (work / path.name).open("wb", buffering=0) as dst:
            while size := src.readinto(buffer):
                dst.write(buffer[:size])
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds()
    shutil.rmtree(work, ignore_errors=True)
    return {"seconds": elapsed, "cpu": cpu}


def child_plain(source: Path) -> dict[str, float]:
    start = time.perf_counter()
    create_torrent(source, piece_size=PIECE)
    return {"seconds": time.perf_counter() - start, "cpu": _cpu_seconds()}


def run_child(*args: str) -> tuple[float, float, float, float, float]:
    """(seconds, peak RSS MB, CPU seconds of the whole child: start-up included, of them in the kernel, MB the
    machine still had to write back at its start) of one measurement in a fresh process, started with nothing dirty
    to write back."""
    unwritten = settle()
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return float(data["seconds"]), float(data["peak_rss_MB"]), float(data["cpu"]), float(data["sys"]), unwritten


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1, help="rounds shown but not counted")
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, source = args.child[0], Path(args.child[1])
        if kind == "publish":
            result = child_publish(source, Path(args.child[2]))
        elif kind == "copy":
            result = child_copy(source, Path(args.child[2]))
        else:
            result = child_plain(source)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["peak_rss_MB"] = usage.ru_maxrss / 1024
        result["sys"] = usage.ru_stime
        print(json.dumps(result))
        return 0
    base = args.dir or Path(tempfile.mkdtemp(prefix="bench-publish-"))
    total = int(args.gib * (1 << 30))
    source = make_plaintext(base / "src", total, args.files)
    settle()  # the plaintext's write-back is the set-up's, never a measurement's
    rows = []
    for round_no in range(args.warmup + args.rounds):
        order = ("publish", "plain", "copy") if round_no % 2 == 0 else ("copy", "plain", "publish")
        timing: dict[str, tuple[float, float, float, float, float]] = {}
        for kind in order:
            extra = [str(base / f"work-{round_no}")] if kind != "plain" else []
            timing[kind] = run_child(kind, str(source), *extra)
        pub, plain, copy = timing["publish"][0], timing["plain"][0], timing["copy"][0]
        rows.append(
            (pub, plain, pub / plain, timing["publish"][1], copy, timing["publish"][2], timing["plain"][2],
             timing["publish"][3], timing["copy"][3], max(t[4] for t in timing.values()), order[0])
        )  # fmt: skip
    print(
        f"{'round':>7} {'first':>8} {'publish s':>10} {'plain s':>8} {'ratio':>6} {'copy s':>7} {'publish RSS MB':>15}"
        f" {'publish CPU s':>14} {'of it sys':>10} {'plain CPU s':>12} {'CPU ratio':>10} {'copy sys':>9}"
        f" {'dirty MB':>9}"
    )
    for i, (pub, plain, ratio, rss, copy, pub_cpu, plain_cpu, pub_sys, copy_sys, dirty, first) in enumerate(
        rows, 1 - args.warmup
    ):
        name = f"{i}" if i > 0 else "warm-up"
        print(
            f"{name:>7} {first:>8} {pub:>10.2f} {plain:>8.2f} {ratio:>6.2f} {copy:>7.2f} {rss:>15.1f}"
            f" {pub_cpu:>14.2f} {pub_sys:>10.2f} {plain_cpu:>12.2f} {pub_cpu / plain_cpu:>10.2f} {copy_sys:>9.2f}"
            f" {dirty:>9.0f}"
        )
    warmup, rows = rows[: args.warmup], rows[args.warmup :]
    ratios = [r[2] for r in rows]
    figures = {
        "gib": args.gib,
        "rounds": args.rounds,
        "publish_s": round(statistics.median(r[0] for r in rows), 3),
        "plain_torrent_s": round(statistics.median(r[1] for r in rows), 3),
        "publish_vs_plain": round(statistics.median(ratios), 3),
        "publish_vs_plain_min": round(min(ratios), 3),
        "publish_vs_plain_max": round(max(ratios), 3),
        "peak_rss_MB": round(max(r[3] for r in warmup + rows), 1),
        "copy_s": round(statistics.median(r[4] for r in rows), 3),  # read + write the same bytes: the floor
        "publish_vs_copy": round(statistics.median(r[0] / r[4] for r in rows), 3),
        "publish_cpu_s": round(statistics.median(r[5] for r in rows), 3),  # user + system, all threads
        "plain_cpu_s": round(statistics.median(r[6] for r in rows), 3),
        "publish_vs_plain_cpu": round(statistics.median(r[5] / r[6] for r in rows), 3),
        "publish_sys_s": round(statistics.median(r[7] for r in rows), 3),  # the kernel's part: page cache, reads
        "copy_sys_s": round(statistics.median(r[8] for r in rows), 3),
        "unwritten_MB_at_start_max": round(max(r[9] for r in rows), 1),  # Dirty + Writeback after settle()
        "load_average": [round(x, 2) for x in os.getloadavg()],  # at the end: how shared the machine was
        "warmup_rounds": args.warmup,  # measured, shown above, not counted
        "warmup_publish_vs_plain": [round(r[2], 3) for r in warmup],
    }
    if args.dir is None:
        shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
