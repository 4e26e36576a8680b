"""``python -m storefront serve`` as the desktop app runs it: port 0, the ready file, a signing key created on
first start outside the database and kept across restarts, a clean exit on SIGTERM."""

from __future__ import annotations

import json
import stat

import httpx

from tests.storefront.store_support import SeededStore, StoreProcess


def test_serve_lifecycle_ready_file_key_and_sigterm(seeded: SeededStore) -> None:
    server = StoreProcess(seeded.data_dir).start()
    try:
        ready = json.loads(server.ready_file.read_text())
        assert ready["url"].startswith("http://127.0.0.1:") and not ready["url"].endswith(":0")
        first_key = httpx.get(f"{server.api}/public-key").json()["public_key"]
        key_file = seeded.data_dir / "keys" / "store_signing_key.pem"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert b"PRIVATE KEY" in key_file.read_bytes()
        assert b"PRIVATE KEY" not in (seeded.data_dir / "store.db").read_bytes()
    finally:
        code = server.stop()
    assert code == 0, "SIGTERM should end the store cleanly"
    assert not server.ready_file.exists()
    again = StoreProcess(seeded.data_dir).start()
    try:
        assert again.url != "" and httpx.get(f"{again.api}/public-key").json()["public_key"] == first_key
    finally:
        assert again.stop() == 0
