"""Store throughput at 1 and 2 workers on PostgreSQL (locust): p95 per route, requests per second, the ratio, and who
used the CPU.

A throwaway PostgreSQL cluster (initdb/pg_ctl from /usr/local/bin, loopback port), the 10,000-bundle catalog of
``bench/store.py``, then for each run and each worker count: ``python -m storefront serve --workers W`` and
``locust --headless`` (``bench/store_locustfile.py``: catalog, search, bundle details and web pages, purchases sent
twice with one Idempotency-Key; ``FastHttpUser``, so the client's own CPU stays small). After each run the database
must hold exactly one charge per key. CPU, since locust, PostgreSQL and the store share the cores: the CPU seconds of
each process tree over the timed window (``bench/proc_cpu.py``: the store's workers, locust, PostgreSQL's backends)
and the rest of the machine ("other": a shared machine's other work), as cores used, and CPU per request by kind —
what the code costs whatever the machine's load (locust's includes its start-up, about a second of CPU). From those,
the best ratio the cores allow with no other load is printed too. Runs are interleaved (1w, 2w, 1w, 2w, …) so noise
hits both alike; the spread over runs and over run pairs is reported. ``--profile DIR`` records
py-spy stacks (collapsed, one file per worker and locust per run). Needs the bench extra: ``make bench-setup``.
Usage: ``.venv/bin/python bench/store_load.py [--runs 3] [--seconds 20] [--users 40] [--bundles 10000]
[--locust-processes 1] [--profile DIR]``.
Prints tables, then (last line) one JSON object: p95_1w_ms, p95_2w_ms, rps_1w, rps_2w, scaleout_ratio, cpu_*.
"""

from __future__ import annotations

import argparse
import csv
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import httpx  # noqa: E402
from proc_cpu import machine_cpu_s, tree_cpu_s  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from store import fill  # noqa: E402  (bench/store.py: the 10,000-bundle catalog)

from storefront.config import StoreConfig  # noqa: E402
from storefront.db import Database  # noqa: E402
from storefront.models import Charge, IdempotencyRecord  # noqa: E402

PG_BIN = Path("/usr/local/bin")


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def start_postgres(root: Path, port: int) -> str:
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = root / "cluster"
    subprocess.run(
        _as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(cluster), "-A", "trust", "-U", "bundlecast", "--no-sync", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(cluster),
                "-l",
                str(root / "pg.log"),
                "-w",
                "-o",
                f"-h 127.0.0.1 -p {port} -k {root} -F -c max_connections=300",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    return f"postgresql://bundlecast@127.0.0.1:{port}/postgres"


def stop_postgres(root: Path) -> None:
    subprocess.run(
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(root / "cluster"), "-m", "fast", "stop"]),
        capture_output=True,
        timeout=60,
        check=False,
    )


def postmaster_pid(root: Path) -> int:
    return int((root / "cluster" / "postmaster.pid").read_text().split()[0])


def _locust_command(args: argparse.Namespace, base: str, prefix: Path) -> list[str]:
    locust = Path(sys.executable).with_name("locust")
    if not locust.exists():
        raise SystemExit(f"{locust} is missing: install the bench extra (make bench-setup: pip install -e '.[bench]')")
    return [
        str(locust),
        "-f",
        str(REPO / "bench/store_locustfile.py"),
        "--headless",
        "-u",
        str(args.users),
        "-r",
        str(args.users),
        "-t",
        f"{args.seconds}s",
        "--host",
        base,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "ERROR",
        *(["--processes", str(args.locust_processes)] if args.locust_processes > 1 else []),
    ]


def _profile(pids: dict[str, int], args: argparse.Namespace, tag: str) -> list[subprocess.Popen[bytes]]:
    """py-spy record (collapsed stacks) of each named process for the timed window, when --profile is given."""
    if args.profile is None:
        return []
    spy = Path(sys.executable).with_name("py-spy")
    args.profile.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--nonblocking",
                "--format",
                "raw",
                "--duration",
                str(args.seconds),
                "--pid",
                str(pid),
                "--output",
                str(args.profile / f"{tag}-{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]


def run_once(root: Path, url: str, workers: int, args: argparse.Namespace) -> dict[str, object]:
    data_dir, out = root / "data", root
    ready = data_dir / "ready.json"
    ready.unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": url, "BUNDLECAST_CAMPAIGN_POLL_S": "3600"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "storefront",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            "0",
            "--workers",
            str(workers),
            "--ready-file",
            str(ready),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the store did not start")
            time.sleep(0.1)
        started = json.loads(ready.read_text())
        base = started["url"]
        worker_pids = started.get("workers") or [server.pid]
        if not (out / "tokens").exists():
            (out / "tokens").write_text("\n".join(make_fans(base, args.users)))
        prefix = out / f"w{workers}-{time.monotonic_ns()}"
        postgres = postmaster_pid(root)
        store0, pg0, machine0 = tree_cpu_s(server.pid), tree_cpu_s(postgres), machine_cpu_s()
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall0 = time.monotonic()
        with (out / "locust.log").open("a") as log:
            locust = subprocess.Popen(
                _locust_command(args, base, prefix),
                env={**os.environ, "STORE_LOAD_BUNDLES": str(args.bundles), "STORE_LOAD_TOKENS": str(out / "tokens")},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            spies = _profile(
                {**{f"worker{i}": p for i, p in enumerate(worker_pids)}, "locust": locust.pid},
                args,
                f"w{workers}-{len(list(out.glob(f'w{workers}-*_stats.csv')))}",
            )
            try:
                locust.wait(args.seconds + 120)
            finally:
                if locust.poll() is None:
                    locust.kill()
                    locust.wait()
        wall = time.monotonic() - wall0
        store1, pg1, machine1 = tree_cpu_s(server.pid), tree_cpu_s(postgres), machine_cpu_s()
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        for spy in spies:
            spy.wait(60)
    finally:
        server.terminate()
        server.wait(60)
    stats = prefix.with_name(prefix.name + "_stats.csv")
    if not stats.exists():
        raise SystemExit("locust wrote no figures:\n" + (out / "locust.log").read_text()[-3000:])
    rows = {row["Name"]: row for row in csv.DictReader(stats.open())}
    total = rows["Aggregated"]
    locust_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    cpu = {  # cores used on average during the window (CPU seconds / wall seconds)
        "store": (store1 - store0) / wall,
        "locust": locust_cpu / wall,
        "postgres": (pg1 - pg0) / wall,
    }
    cpu["other"] = max(0.0, (machine1 - machine0) / wall - sum(cpu.values()))
    return {
        "workers": workers,
        "rps": float(total["Requests/s"]),
        "p95_ms": float(total["95%"]),
        "failures": int(total["Failure Count"]),
        "requests": int(total["Request Count"]),
        "routes": {name: float(row["95%"]) for name, row in rows.items() if name != "Aggregated"},
        "cpu": cpu,
        "ms_per_req": {  # CPU per answered request, by kind: what each costs whatever the machine's load
            kind: 1000 * seconds / max(1, int(total["Request Count"]))
            for kind, seconds in (("store", store1 - store0), ("locust", locust_cpu), ("postgres", pg1 - pg0))
        },
    }


def make_fans(base: str, count: int) -> list[str]:
    """``count`` signed-in fans (accounts made once, outside the timed window)."""
    tokens = []
    with httpx.Client(base_url=f"{base}/api/v1", timeout=60) as api:
        for i in range(count):
            email, password = f"load-fan-{i}@example.com", "password-123"
            api.post("/accounts", json={"email": email, "password": password})
            tokens.append(api.post("/sessions", json={"email": email, "password": password}).json()["token"])
    return tokens


def analyze(url: str) -> None:
    """Planner statistics for the freshly filled catalog, as autovacuum gives any database in use. Without them the
    first runs' plans were a lottery: until autovacuum's ANALYZE came (up to a minute or more into the runs, so in
    the 1-worker runs more often), the catalog pages sorted the whole table (seq scan + sort, 3.5-4.7 ms a page)
    instead of reading 24 rows off the (created_at, id) index (0.03-0.3 ms)."""
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    finally:
        db.dispose()


def charges_per_key(url: str) -> tuple[int, int]:
    """(purchase keys answered 201, charges): equal when every key charged exactly once."""
    db = Database(url)
    try:
        with db.session() as session:
            keys = session.scalar(
                select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.charge_id.is_not(None))
            )
            charges = session.scalar(select(func.count()).select_from(Charge))
    finally:
        db.dispose()
    return int(keys or 0), int(charges or 0)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--bundles", type=int, default=10_000)
    parser.add_argument("--locust-processes", type=int, default=1, help="locust worker processes (default 1)")
    parser.add_argument("--profile", type=Path, help="write py-spy collapsed stacks of workers and locust here")
    args = parser.parse_args()
    from tests.support.net import free_port

    root = Path(tempfile.mkdtemp(prefix="bench-store-load-"))
    results: list[dict[str, object]] = []
    try:
        url = start_postgres(root, free_port())
        data_dir = root / "data"
        t0 = time.perf_counter()
        fill(StoreConfig.from_env(data_dir, env={}, database_url=url), args.bundles)
        analyze(url)
        print(f"catalog: {args.bundles} bundles on PostgreSQL in {time.perf_counter() - t0:.0f} s")
        for _ in range(args.runs):
            for workers in (1, 2):
                results.append(run_once(root, url, workers, args))
        keys, charges = charges_per_key(url)
    finally:
        stop_postgres(root)
        shutil.rmtree(root, ignore_errors=True)

    def figures(workers: int, field: str) -> list[float]:
        return [float(r[field]) for r in results if r["workers"] == workers]  # type: ignore[arg-type]

    routes = sorted({name for r in results for name in r["routes"]})  # type: ignore[attr-defined]
    print(f"\n{'route p95 (ms), median of runs':34} {'1 worker':>10} {'2 workers':>10}")
    for name in routes:
        per = [
            statistics.median([r["routes"].get(name, 0.0) for r in results if r["workers"] == w])  # type: ignore[attr-defined]
            for w in (1, 2)
        ]
        print(f"{name:34} {per[0]:>10.0f} {per[1]:>10.0f}")
    summary: dict[str, object] = {}
    kinds = ("store", "locust", "postgres", "other")
    print(f"\n{'cores used (CPU s / wall s), median':34} {'1 worker':>10} {'2 workers':>10}")
    for kind in kinds:
        per = [statistics.median([r["cpu"][kind] for r in results if r["workers"] == w]) for w in (1, 2)]  # type: ignore[index]
        summary.update({f"cpu_{kind}_{w}w": round(x, 2) for w, x in zip((1, 2), per, strict=True)})
        print(f"{kind:34} {per[0]:>10.2f} {per[1]:>10.2f}")
    print(f"{'CPU ms per request, median':34} {'1 worker':>10} {'2 workers':>10}")
    cost = {}
    for kind in kinds[:3]:
        per = [statistics.median([r["ms_per_req"][kind] for r in results if r["workers"] == w]) for w in (1, 2)]  # type: ignore[index]
        summary.update({f"{kind}_cpu_ms_per_req_{w}w": round(x, 2) for w, x in zip((1, 2), per, strict=True)})
        cost[kind] = statistics.median([r["ms_per_req"][kind] for r in results])  # type: ignore[index]
        print(f"{kind:34} {per[0]:>10.2f} {per[1]:>10.2f}")
    # With the cores to ourselves: one worker is bound by one core (1000/store ms per request); two by two cores or
    # by all the cores shared with locust and PostgreSQL, whichever comes first. So the best ratio this machine allows
    # for these per-request costs is min(2, cores x store / (store + locust + postgres)).
    ceiling = min(2.0, (os.cpu_count() or 1) * cost["store"] / max(0.001, sum(cost.values())))
    summary["scaleout_ceiling"] = round(ceiling, 2)
    print(f"best ratio {os.cpu_count()} cores allow at these CPU costs per request (no other load): {ceiling:.2f}")
    print()
    for w in (1, 2):
        rps, p95 = figures(w, "rps"), figures(w, "p95_ms")
        print(
            f"{w} worker(s): {statistics.median(rps):.0f} req/s (runs {min(rps):.0f} to {max(rps):.0f}), "
            f"p95 {statistics.median(p95):.0f} ms (runs {min(p95):.0f} to {max(p95):.0f}), "
            f"failures {sum(figures(w, 'failures')):.0f}"
        )
        summary[f"rps_{w}w"] = round(statistics.median(rps), 1)
        summary[f"p95_{w}w_ms"] = round(statistics.median(p95), 1)
        summary[f"rps_{w}w_runs"] = [round(x, 1) for x in rps]
    ratio = float(summary["rps_2w"]) / max(0.1, float(summary["rps_1w"]))  # type: ignore[arg-type]
    pairs = [two / max(0.1, one) for one, two in zip(figures(1, "rps"), figures(2, "rps"), strict=True)]
    print(
        f"scale-out ratio (rps 2w / 1w): {ratio:.2f} (run pairs {min(pairs):.2f} to {max(pairs):.2f}); "
        f"one charge per key: {keys} keys, {charges} charges"
    )
    summary["scaleout_ratio_runs"] = [round(x, 2) for x in pairs]
    summary.update(
        scaleout_ratio=round(ratio, 2),
        purchase_keys=keys,
        charges=charges,
        cores=os.cpu_count(),
        runs=args.runs,
        seconds=args.seconds,
        users=args.users,
        bundles=args.bundles,
        locust_processes=args.locust_processes,
    )
    print(json.dumps(summary))
    return 0 if keys == charges else 1


if __name__ == "__main__":
    sys.exit(main())
