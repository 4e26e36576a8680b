"""The store as more than one process: ``serve --workers 2`` on PostgreSQL with opentracker (Debian's) as the
tracker, all on loopback. 100 concurrent purchases with one Idempotency-Key, spread over both workers, charge
once and issue one license; a seeder announces to opentracker, both workers report it in the bundle's swarm
figures (read from opentracker's scrape), and a fan downloads the bundle from that seeder alone (web seed
removed from the .torrent) — a swarm no single worker's memory holds."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import libtorrent as lt
import pytest
from sqlalchemy import func, select

from storefront.db import Database
from storefront.models import Charge, License
from storefront.torrents import bdecode, bencode
from tests.storefront.store_support import GOOD_CARD, REPO, SeededStore, StoreProcess, auth, seed_store, sign_up_and_in
from tests.storefront.test_postgres import postgres_url  # noqa: F401 (the module's throwaway cluster)
from tests.support.net import free_port, loopback_address
from tests.support.plain_libtorrent import loopback_session_settings

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def opentracker(seeded: SeededStore, postgres_url: str) -> Iterator[str]:  # noqa: F811
    # Debian's opentracker is built with a whitelist: the store writes it (v1 and truncated v2 hashes).
    listed = subprocess.run(
        [sys.executable, "-m", "storefront", "tracker-whitelist", "--data-dir", str(seeded.data_dir)],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": postgres_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert len(listed.stdout.split()) == 2 * len(seeded.bundles)
    # opentracker reads it as user nobody: not under pytest's 0700 temp root.
    whitelist = Path(tempfile.mkdtemp(prefix="bundlecast-opentracker-")) / "whitelist"
    whitelist.write_text(listed.stdout)
    whitelist.chmod(0o644)
    whitelist.parent.chmod(0o755)
    port = free_port()
    proc = subprocess.Popen(
        ["opentracker", "-i", "127.0.0.1", "-p", str(port), "-P", str(port), "-u", "nobody", "-w", str(whitelist)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/announce"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/scrape", timeout=2)
            break
        except httpx.TransportError as exc:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"opentracker did not start: {proc.stderr.read() if proc.stderr else ''}") from exc
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(whitelist.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> SeededStore:  # noqa: F811
    return seed_store(tmp_path_factory.mktemp("scale-store") / "data", database_url=postgres_url)


@pytest.fixture(scope="module")
def store(seeded: SeededStore, postgres_url: str, opentracker: str) -> Iterator[StoreProcess]:  # noqa: F811
    env = {"DATABASE_URL": postgres_url, "BUNDLECAST_TRACKER_URL": opentracker, "BUNDLECAST_CAMPAIGN_POLL_S": "1"}
    server = StoreProcess(seeded.data_dir, env=env, workers=2).start()
    yield server
    server.stop()


def _workers(store: StoreProcess) -> set[str]:
    return {str(pid) for pid in json.loads(store.ready_file.read_text())["workers"]}


def test_one_key_across_two_workers_charges_once(store: StoreProcess, seeded: SeededStore, postgres_url: str) -> None:  # noqa: F811
    assert len(_workers(store)) == 2
    with httpx.Client(base_url=store.api, timeout=30) as api:
        token = sign_up_and_in(api)
    key = uuid.uuid4().hex

    async def fire() -> list[httpx.Response]:
        body = {"bundle_id": seeded.paid, "card": GOOD_CARD}
        # A connection of its own per request, so the kernel spreads them over both workers.
        async with httpx.AsyncClient(
            base_url=store.api, timeout=90, limits=httpx.Limits(max_keepalive_connections=0)
        ) as client:
            return await asyncio.gather(
                *(client.post("/purchases", json=body, headers=auth(token, key)) for _ in range(100))
            )

    answers = asyncio.run(fire())
    assert {a.headers["x-store-worker"] for a in answers} == _workers(store)  # both workers took some
    assert {a.status_code for a in answers} == {201}, {a.status_code: a.text for a in answers}
    assert len({a.json()["purchase_id"] for a in answers}) == 1
    db = Database(postgres_url)
    try:
        with db.session() as session:
            account = session.scalar(select(License.account_id).where(License.bundle_id == seeded.paid))
            charges = session.scalar(select(func.count()).select_from(Charge).where(Charge.account_id == account))
            licenses = session.scalar(select(func.count()).select_from(License).where(License.account_id == account))
    finally:
        db.dispose()
    assert (charges, licenses) == (1, 1)


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _params(torrent: bytes, save_path: Path) -> lt.add_torrent_params:
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = str(save_path)
    return params


def test_a_swarm_on_opentracker_is_one_swarm_for_every_worker(
    store: StoreProcess, seeded: SeededStore, opentracker: str, tmp_path: Path
) -> None:
    builtin = httpx.get(
        f"{store.url}/announce?info_hash={'%00' * 20}&peer_id={'%01' * 20}&port=6881&uploaded=0&downloaded=0&left=0",
        timeout=10,
    )
    assert b"tracker is not configured" in builtin.content  # the per-process tracker is out of the way
    torrent = httpx.get(f"{store.api}/bundles/{seeded.free}/torrent", timeout=30).content
    meta = bdecode(torrent)
    assert isinstance(meta, dict) and meta[b"announce"] == opentracker.encode()
    meta.pop(b"url-list", None)  # the fan's copy: no web seed, the seeder is the only source
    seeder_addr, leecher_addr = loopback_address(), loopback_address()
    seeder = lt.session(loopback_session_settings(seeder_addr))
    leecher = lt.session(loopback_session_settings(leecher_addr))
    try:
        seeding = seeder.add_torrent(_params(torrent, store.data_dir / "content" / seeded.free))
        _wait(lambda: seeding.status().is_seeding, 30, "the seeder to check its files")
        seeding.force_reannounce()
        views: dict[str, int] = {}

        def both_workers_see_the_seeder() -> bool:
            with httpx.Client(timeout=10) as fresh:  # a new connection each time: any worker
                answer = fresh.get(f"{store.api}/bundles/{seeded.free}")
            views[answer.headers["x-store-worker"]] = answer.json()["swarm"]["seeders"]
            return len(views) == 2 and all(seeders >= 1 for seeders in views.values())

        _wait(both_workers_see_the_seeder, 60, "both workers to report the seeder from opentracker's scrape")
        out = tmp_path / "fan"
        downloading = leecher.add_torrent(_params(bencode(meta), out))
        _wait(lambda: downloading.status().is_seeding, 90, "the fan's download from the seeder")
    finally:
        del seeder, leecher
    source = seeded.sources / "free"
    for rel in ("readme.txt", "media/part1.bin", "media/part2.bin"):
        assert (out / "Free Bundle" / rel).read_bytes() == (source / rel).read_bytes(), rel
