"""Store latency on loopback: a catalog of 10,000 bundles, then p50/p95 of list, search, detail and purchase.

Fills a fresh SQLite store (``register_bundle``, signed manifests, wrapped keys) in a temp dir, starts the real
server (``python -m storefront serve``) on 127.0.0.1, and times sequential requests from one keep-alive client.
Goal: p95 <= 50 ms for the reads. Usage: ``.venv/bin/python bench/store.py [--bundles N] [--requests N]``.
Prints a table, then (last line) one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.bundle import BundleKind, Gate, GateType, Manifest, ManifestFile  # noqa: E402
from storefront.catalog import register_bundle  # noqa: E402
from storefront.config import StoreConfig  # noqa: E402
from storefront.services import build_services  # noqa: E402

WORDS = (
    "amber",
    "harbor",
    "signal",
    "orbit",
    "meadow",
    "cipher",
    "lantern",
    "ember",
    "tide",
    "static",
    "quartz",
    "hollow",
    "drift",
    "summit",
    "echo",
    "velvet",
    "aurora",
    "granite",
    "willow",
    "pulse",
)
KINDS = list(BundleKind)
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}


def fill(config: StoreConfig, count: int) -> list[str]:
    services = build_services(config)
    rng = random.Random(7)
    ids: list[str] = []
    created = int(dt.datetime.now(dt.UTC).timestamp())
    try:
        for start in range(0, count, 1000):
            with services.db.write() as session:
                for i in range(start, min(count, start + 1000)):
                    title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {i}"
                    bundle_id = f"b{i:05d}"
                    files = tuple(
                        ManifestFile(
                            path=f"part{n}.mp4",
                            size=rng.randint(10**6, 10**9),
                            media_type="video/mp4",
                            locked=True,
                            nonce=secrets.token_hex(16),
                            duration_s=600.0,
                            bitrate=2_000_000,
                        )
                        for n in range(3)
                    )
                    manifest = Manifest(
                        bundle_id=bundle_id,
                        store_id=config.store_id,
                        title=title,
                        creator=f"Creator {i % 300}",
                        kind=rng.choice(KINDS),
                        description=f"{title}: " + " ".join(rng.choices(WORDS, k=30)),
                        gate=Gate(GateType.PAID, price_cents=100 + i % 2000),
                        files=files,
                        info_hash_v1=secrets.token_hex(20),
                        info_hash_v2=secrets.token_hex(32),
                        created_at=created + i,
                    )
                    register_bundle(
                        session,
                        config,
                        manifest,
                        bundle_key=secrets.token_bytes(32),
                        torrent_data=None,
                        summary=" ".join(rng.choices(WORDS, k=8)),
                        keys=services.keys,
                    )
                    ids.append(bundle_id)
    finally:
        services.close()
    return ids


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundles", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default="", help="e.g. postgresql://user@127.0.0.1:5432/db (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        data_dir = Path(tmp) / "data"
        config = StoreConfig.from_env(data_dir, env={}, database_url=args.database_url)
        t0 = time.perf_counter()
        ids = fill(config, args.bundles)
        fill_s = time.perf_counter() - t0
        ready = data_dir / "ready.json"
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
                "--ready-file",
                str(ready),
            ],
            cwd=REPO,
            env={**os.environ, "DATABASE_URL": args.database_url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not ready.exists():
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the store did not start")
                time.sleep(0.05)
            base = json.loads(ready.read_text())["url"] + "/api/v1"
            results = measure(base, ids, args.requests)
        finally:
            server.terminate()
            server.wait(15)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"catalog ({backend}): {args.bundles} bundles filled in {fill_s:.1f} s; {args.requests} requests each")
    print(f"{'call':<10}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, samples in results.items():
        print(f"{name:<10}{statistics.median(samples):>10.1f}{percentile(samples, 0.95):>10.1f}{max(samples):>10.1f}")
    summary = {
        f"{name}_{q}_ms": round(percentile(s, 0.5 if q == "p50" else 0.95), 2)
        for name, s in results.items()
        for q in ("p50", "p95")
    }
    summary["bundles"] = args.bundles
    summary["database"] = backend
    print(json.dumps(summary))
    return 0


def measure(base: str, ids: list[str], n: int) -> dict[str, list[float]]:
    rng = random.Random(11)
    with httpx.Client(base_url=base, timeout=30) as client:
        email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        client.post("/accounts", json={"email": email, "password": "bench-password"})
        token = client.post("/sessions", json={"email": email, "password": "bench-password"}).json()["token"]
        buy_ids = rng.sample(ids, n + 10)
        calls = {
            "list": lambda i: client.get("/catalog", params={"page": rng.randint(1, 400), "sort": "newest"}),
            "search": lambda i: client.get("/catalog", params={"q": rng.choice(WORDS), "sort": "title"}),
            "detail": lambda i: client.get(f"/bundles/{rng.choice(ids)}"),
            "purchase": lambda i: client.post(
                "/purchases",
                json={"bundle_id": buy_ids[i], "card": CARD},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
            ),
        }
        results: dict[str, list[float]] = {}
        for name, call in calls.items():
            for i in range(5):  # warm-up (connection, caches); the purchase warm-ups use the spare ids
                assert call(n + i).status_code in (200, 201)
            samples = []
            for i in range(n):
                t = time.perf_counter()
                answer = call(i)
                samples.append((time.perf_counter() - t) * 1000)
                assert answer.status_code in (200, 201), answer.text
            results[name] = samples
    return results


if __name__ == "__main__":
    raise SystemExit(main())
