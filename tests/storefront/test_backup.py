"""A backup and its restore, performed: a store sells, ``python -m storefront backup`` copies it while it runs,
``restore`` puts it into an empty folder, and the restored store (a new server) knows the fan, the purchase and
the license, signs with the same key and serves the same torrents; restoring over a store is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.storefront.store_support import GOOD_CARD, REPO, SeededStore, StoreProcess, auth

pytestmark = pytest.mark.timeout(120)


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storefront", *argv],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_restored_store_knows_what_the_backup_held(store: StoreProcess, seeded: SeededStore, tmp_path: Path) -> None:
    with httpx.Client(base_url=store.api, timeout=30) as api:
        email = f"backup-{uuid.uuid4().hex[:8]}@example.com"
        assert api.post("/accounts", json={"email": email, "password": "password-123"}).status_code == 201
        token = api.post("/sessions", json={"email": email, "password": "password-123"}).json()["token"]
        bought = api.post("/purchases", json={"bundle_id": seeded.paid, "card": GOOD_CARD}, headers=auth(token, "k1"))
        assert bought.status_code == 201
        key_before = api.get("/public-key").json()
        torrent_before = api.get(f"/bundles/{seeded.free}/torrent").content
    taken = _cli("backup", "--data-dir", str(seeded.data_dir), "--to", str(tmp_path / "backup"))  # store running
    assert taken.returncode == 0, taken.stderr
    assert oct((tmp_path / "backup" / "keys" / "store_signing_key.pem").stat().st_mode & 0o777) == "0o600"
    restored_dir = tmp_path / "restored"
    restored = _cli("restore", "--data-dir", str(restored_dir), "--from", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    again = _cli("restore", "--data-dir", str(restored_dir), "--from", str(tmp_path / "backup"))
    assert again.returncode == 1 and "already holds a store" in again.stderr
    server = StoreProcess(restored_dir).start()
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
