"""A backup and its restore, performed, on SQLite and on PostgreSQL: a store sells, ``python -m storefront backup``
copies it while it runs, ``restore`` puts it into an empty folder (PostgreSQL: ``pg_restore`` into a fresh
database of the same cluster), and the restored store (a new server) knows the fan, the purchase and the license,
the idempotency records, signs with the same key and serves the same torrents; restoring over a store is refused.
The PostgreSQL cluster is test_postgres's throwaway one (initdb in a temp dir, loopback port)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.storefront.store_support import GOOD_CARD, REPO, SeededStore, StoreProcess, auth, seed_store
from tests.storefront.test_postgres import postgres_url  # noqa: F401 (the module's throwaway cluster)

pytestmark = pytest.mark.timeout(120)


def _cli(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storefront", *argv],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _sell_back_up_restore(
    store: StoreProcess, seeded: SeededStore, tmp_path: Path, *, source_env: dict[str, str], restore_env: dict[str, str]
) -> None:
    with httpx.Client(base_url=store.api, timeout=30) as api:
        email = f"backup-{uuid.uuid4().hex[:8]}@example.com"
        assert api.post("/accounts", json={"email": email, "password": "password-123"}).status_code == 201
        token = api.post("/sessions", json={"email": email, "password": "password-123"}).json()["token"]
        bought = api.post("/purchases", json={"bundle_id": seeded.paid, "card": GOOD_CARD}, headers=auth(token, "k1"))
        assert bought.status_code == 201
        key_before = api.get("/public-key").json()
        torrent_before = api.get(f"/bundles/{seeded.free}/torrent").content
    backup_dir = tmp_path / "backup"
    taken = _cli("backup", "--data-dir", str(seeded.data_dir), "--to", str(backup_dir), env=source_env)  # running
    assert taken.returncode == 0, taken.stderr
    assert oct((backup_dir / "keys" / "store_signing_key.pem").stat().st_mode & 0o777) == "0o600"
    restored_dir = tmp_path / "restored"
    restored = _cli("restore", "--data-dir", str(restored_dir), "--from", str(backup_dir), env=restore_env)
    assert restored.returncode == 0, restored.stderr
    again = _cli("restore", "--data-dir", str(restored_dir), "--from", str(backup_dir), env=restore_env)
    assert again.returncode == 1 and "already holds a store" in again.stderr
    server = StoreProcess(restored_dir, env=restore_env).start()
    try:
        with httpx.Client(base_url=server.api, timeout=30) as api:
            signed = api.post("/sessions", json={"email": email, "password": "password-123"})
            assert signed.status_code == 201  # the account came back
            licenses = api.get("/licenses", headers=auth(signed.json()["token"])).json()["licenses"]
            assert licenses == [bought.json()["license"]]
            assert api.get("/public-key").json() == key_before  # same signing key: old licenses verify
            replay = api.post(
                "/purchases",
                json={"bundle_id": seeded.paid, "card": GOOD_CARD},
                headers=auth(signed.json()["token"], "k1"),
            )
            assert replay.json()["purchase_id"] == bought.json()["purchase_id"]  # idempotency records came back too
            restored_torrent = api.get(f"/bundles/{seeded.free}/torrent").content
        assert restored_torrent.replace(server.url.encode(), b"") == torrent_before.replace(store.url.encode(), b"")
    finally:
        server.stop()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededStore:
    """The SQLite store (conftest's server runs it): a paid and a free bundle are all these tests sell and serve."""
    return seed_store(tmp_path_factory.mktemp("backup") / "data", paid_and_free_only=True)


def test_a_restored_store_knows_what_the_backup_held(store: StoreProcess, seeded: SeededStore, tmp_path: Path) -> None:
    _sell_back_up_restore(store, seeded, tmp_path, source_env={}, restore_env={})
    assert (tmp_path / "backup" / "store.db").is_file()  # SQLite's online backup, not a file copy


@pytest.fixture(scope="module")
def pg_seeded(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> SeededStore:  # noqa: F811
    return seed_store(tmp_path_factory.mktemp("pg-backup") / "data", database_url=postgres_url, paid_and_free_only=True)


@pytest.fixture(scope="module")
def pg_store(pg_seeded: SeededStore, postgres_url: str) -> Iterator[StoreProcess]:  # noqa: F811
    server = StoreProcess(pg_seeded.data_dir, env={"DATABASE_URL": postgres_url}).start()
    yield server
    server.stop()


def test_a_postgresql_store_restores_into_a_fresh_database(
    pg_store: StoreProcess,
    pg_seeded: SeededStore,
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    fresh = f"restored_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {fresh}")
    fresh_url = postgres_url.rsplit("/", 1)[0] + f"/{fresh}"
    _sell_back_up_restore(
        pg_store,
        pg_seeded,
        tmp_path,
        source_env={"DATABASE_URL": postgres_url},
        restore_env={"DATABASE_URL": fresh_url},
    )
    assert (tmp_path / "backup" / "store.pgdump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    with psycopg.connect(postgres_url) as conn:
        major = int(conn.info.server_version) // 10000
    dumped_with = json.loads((tmp_path / "backup" / "backup.json").read_text())["dumped_with"]
    assert f"/postgresql/{major}/bin/pg_dump" in dumped_with  # the server's own version, not the newest client
    assert not (tmp_path / "restored" / "store.db").exists()  # the restore went to PostgreSQL, not SQLite
