"""Publishing through the real parts, each app its own process on its own loopback address and data dir: the
creator's headless app publishes a bundle with locked episodes to the store (HTTP) and seeds it; a fan buys it and
downloads it from the creator's seed alone (the web seed taken out of the fan's torrent); the creator quits; a
second fan still gets it whole from the store's web seed. Both open the episodes with their licenses."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from storefront.torrents import rewrite_torrent_urls
from tests.storefront.store_support import GOOD_CARD, StoreProcess
from tests.support.creator import bearer, decrypt_with_license, episodes, new_account, signed_manifest
from tests.support.creator_apps import PASSWORD, creator_app, empty_store, fan_app  # noqa: F401 - fixture
from tests.support.net import loopback_address

pytestmark = pytest.mark.timeout(300)
MIB = 1024 * 1024


def test_a_fan_gets_the_bundle_from_the_creators_seed_and_another_from_the_web_seed_after_the_creator_quits(
    empty_store: StoreProcess,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    store = empty_store
    api = httpx.Client(base_url=store.api, timeout=60)
    email = f"creator-{uuid.uuid4().hex[:8]}@example.com"
    assert api.post("/accounts", json={"email": email, "password": PASSWORD}).status_code == 201
    source = episodes(
        tmp_path / "Lumen Drift", {"pilot.bin": 4 * MIB, "episodes/e1.bin": 30 * MIB, "episodes/e2.bin": 30 * MIB}
    )
    creator_address = loopback_address()
    creator = creator_app(
        store, email, tmp_path / "creator", creator_address,
        "--display-name", "Ana Ruiz", "--folder", str(source), "--title", "Lumen Drift",
        "--gate", "paid", "--price-cents", "499", "--lock", "episodes/*", "--seed",
    )  # fmt: skip
    try:
        port = int(creator.wait_for("ready", 60).split("port=")[1])
        bundle_id = creator.wait_for("published", 240).split()[1]
        creator.wait_for("seeding", 30)
        manifest = signed_manifest(api, bundle_id)
        assert {f.path for f in manifest.files if f.locked} == {"episodes/e1.bin", "episodes/e2.bin"}

        _, fan = new_account(api)
        bought = api.post(
            "/purchases",
            json={"bundle_id": bundle_id, "card": GOOD_CARD},
            headers={**bearer(fan), "Idempotency-Key": uuid.uuid4().hex},
        )
        assert bought.status_code == 201, bought.text
        license_token = bought.json()["license"]
        store_torrent = api.get(f"/bundles/{bundle_id}/torrent").content
        swarm_only = tmp_path / "swarm-only.torrent"  # no web seed: only the creator can serve it
        swarm_only.write_bytes(rewrite_torrent_urls(store_torrent, tracker_url=None, web_seed_url=None))
        first = fan_app(tmp_path / "fan1", loopback_address(), swarm_only, "--peer", f"{creator_address}:{port}")
        try:
            first.wait_for("finished", 180)
        finally:
            first.stop()
        _check_download(api, tmp_path / "fan1" / "downloads" / "Lumen Drift", source, license_token, manifest)
    finally:
        assert creator.stop() == 0

    web_only = tmp_path / "store.torrent"
    web_only.write_bytes(api.get(f"/bundles/{bundle_id}/torrent").content)
    second = fan_app(tmp_path / "fan2", loopback_address(), web_only)
    try:
        second.wait_for("finished", 180)
    finally:
        second.stop()
    _, fan2 = new_account(api)
    bought2 = api.post(
        "/purchases",
        json={"bundle_id": bundle_id, "card": GOOD_CARD},
        headers={**bearer(fan2), "Idempotency-Key": uuid.uuid4().hex},
    )
    _check_download(api, tmp_path / "fan2" / "downloads" / "Lumen Drift", source, bought2.json()["license"], manifest)


def _check_download(api: httpx.Client, got: Path, source: Path, license_token: str, manifest: object) -> None:
    assert (got / "pilot.bin").read_bytes() == (source / "pilot.bin").read_bytes()
    for path in ("episodes/e1.bin", "episodes/e2.bin"):
        cipher = (got / path).read_bytes()
        plain = (source / path).read_bytes()
        assert cipher != plain  # the swarm carried ciphertext
        assert decrypt_with_license(api, license_token, manifest, path, cipher) == plain  # type: ignore[arg-type]
