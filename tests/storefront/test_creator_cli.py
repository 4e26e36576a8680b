"""``python -m storefront publish --store URL``: the creator CLI speaks the creator API (no data dir): a paid bundle
is listed once whole and its locked files are ciphertext on the store; a wrong password publishes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.storefront.store_support import REPO, StoreProcess
from tests.support.creator import episodes, signed_manifest
from tests.support.creator_apps import empty_store  # noqa: F401 - fixture

pytestmark = pytest.mark.timeout(120)


def _cli(store: StoreProcess, folder: Path, email: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable, "-m", "storefront", "publish", str(folder),
            "--store", store.url, "--creator-account", email, "--creator", "Script Writer",
            "--title", "Scripted Season", "--kind", "series", "--gate", "paid", "--price", "4.99",
            "--lock", "ep*", "--piece-size", "16384",
        ],
        check=False, cwd=REPO, env={**os.environ, "BUNDLECAST_CREATOR_PASSWORD": password},
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip


def test_the_cli_publishes_through_the_creator_api(
    empty_store: StoreProcess,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    store = empty_store
    api = httpx.Client(base_url=store.api, timeout=30)
    email = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    assert api.post("/accounts", json={"email": email, "password": "password-123"}).status_code == 201
    folder = episodes(tmp_path / "src", {"ep1.bin": 200_000, "readme.txt": 100})

    refused = _cli(store, folder, email, "wrong-password")
    assert refused.returncode == 2 and "publish failed" in refused.stderr
    assert api.get("/catalog", params={"q": "Scripted"}).json()["total"] == 0

    done = _cli(store, folder, email, "password-123")
    assert done.returncode == 0, done.stderr
    bundle_id = done.stdout.strip()
    manifest = signed_manifest(api, bundle_id)
    assert manifest.creator == "Script Writer" and manifest.file("ep1.bin").locked
    served = httpx.get(f"{store.url}/seed/{bundle_id}/Scripted Season/ep1.bin").content
    assert len(served) == 200_000 and served != (folder / "ep1.bin").read_bytes()
    assert [i["id"] for i in api.get("/catalog", params={"q": "Scripted"}).json()["items"]] == [bundle_id]
