"""The same store on PostgreSQL: a throwaway cluster (initdb in a temp dir, loopback port) and the real server
with ``DATABASE_URL`` — migrations, purchases, idempotency under concurrency, a campaign, reconcile."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storefront.db import SCHEMA_VERSION, Database
from tests.storefront.store_support import (
    DECLINED_CARD,
    GOOD_CARD,
    REPO,
    SeededStore,
    StoreProcess,
    auth,
    seed_store,
    sign_up_and_in,
)
from tests.support.net import free_port

BIN = Path("/usr/local/bin")


def _as_postgres(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: drop to the system's postgres user when we are root.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if not (BIN / "initdb").exists():
        pytest.fail("PostgreSQL's initdb is not installed at /usr/local/bin (scripts/install-system-deps.sh)")
    root = Path(tempfile.mkdtemp(prefix="bundlecast-pg-"))
    cluster = root / "cluster"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres(
            [str(BIN / "initdb"), "-D", str(cluster), "-A", "trust", "-U", "bundlecast", "--no-sync", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(
        _as_postgres(
            [
                str(BIN / "pg_ctl"),
                "-D",
                str(cluster),
                "-l",
                str(root / "pg.log"),
                "-w",
                "-o",
                f"-h 127.0.0.1 -p {port} -k {root} -F",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        yield f"postgresql://bundlecast@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(BIN / "pg_ctl"), "-D", str(cluster), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> SeededStore:
    return seed_store(tmp_path_factory.mktemp("pgstore") / "data", database_url=postgres_url)


@pytest.fixture(scope="module")
def store(seeded: SeededStore, postgres_url: str) -> Iterator[StoreProcess]:
    server = StoreProcess(seeded.data_dir, env={"DATABASE_URL": postgres_url}).start()
    yield server
    server.stop()


def test_the_database_is_postgresql_and_migrated(postgres_url: str, store: StoreProcess) -> None:
    db = Database(postgres_url)
    try:
        assert db.engine.dialect.name == "postgresql"
        assert db.migrate() == SCHEMA_VERSION  # already at the newest version: nothing to do
    finally:
        db.dispose()
    assert not (store.data_dir / "store.db").exists()  # nothing went to SQLite


def test_purchase_flow_on_postgresql(api: httpx.Client, store: StoreProcess, seeded: SeededStore) -> None:
    token = sign_up_and_in(api)
    declined = api.post(
        "/purchases", json={"bundle_id": seeded.paid, "card": DECLINED_CARD}, headers=auth(token, uuid.uuid4().hex)
    )
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "card_declined"
    key = uuid.uuid4().hex

    async def fire() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=store.api, timeout=60) as client:
            body = {"bundle_id": seeded.paid, "card": GOOD_CARD}
            return await asyncio.gather(
                *(client.post("/purchases", json=body, headers=auth(token, key)) for _ in range(50))
            )

    answers = asyncio.run(fire())
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["purchase_id"] for a in answers}) == 1
    again = api.post(
        "/purchases", json={"bundle_id": seeded.paid, "card": GOOD_CARD}, headers=auth(token, uuid.uuid4().hex)
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_owned"
    assert len(api.get("/licenses", headers=auth(token)).json()["licenses"]) == 1


def test_campaign_close_on_postgresql(api: httpx.Client, seeded: SeededStore, postgres_url: str) -> None:
    tokens = [sign_up_and_in(api) for _ in range(2)]
    for token in tokens:
        pledge = api.post(
            f"/campaigns/{seeded.campaign_ok}/pledges", json={"card": GOOD_CARD}, headers=auth(token, uuid.uuid4().hex)
        )
        assert pledge.status_code == 201
    closed = subprocess.run(
        [
            sys.executable,
            "-m",
            "storefront",
            "campaign",
            "close",
            seeded.campaign_ok,
            "--data-dir",
            str(seeded.data_dir),
        ],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": postgres_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert closed.returncode == 0, closed.stderr
    assert api.get(f"/campaigns/{seeded.campaign_ok}").json()["state"] == "succeeded"
    for token in tokens:
        assert len(api.get("/licenses", headers=auth(token)).json()["licenses"]) == 1


def test_several_processes_migrating_a_fresh_database_at_once_do_not_race(postgres_url: str) -> None:
    """FIELD-NOTES: concurrent create_all() on PostgreSQL kills one of the starters; migrate() takes a lock."""
    import psycopg

    name = f"race_{uuid.uuid4().hex[:8]}"
    admin = postgres_url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    script = "import sys; from storefront.db import SCHEMA_VERSION, Database; print(Database(sys.argv[1]).migrate())"
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", script, url], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outcomes = [p.communicate(timeout=120) for p in starters]
    assert [p.returncode for p in starters] == [0, 0, 0, 0], [err for _, err in outcomes]
    newest = str(SCHEMA_VERSION)
    # one migrated, three found it done
    assert sorted(out.strip() for out, _ in outcomes) == ["0", newest, newest, newest]
