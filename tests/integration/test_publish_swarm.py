"""Publishing through the real parts at the issue's size, each app its own process on its own loopback address and
data dir: the creator's headless app publishes a 1 GiB bundle with locked episodes to the store (HTTP) and seeds it;
a fan buys it and downloads it from the creator's seed alone (the web seed taken out of the fan's torrent); the
creator quits; a second fan still gets it whole from the store's web seed. Both open the episodes with their
licenses. Files are compared by SHA-256 taken while writing and while reading (never a GiB in memory); the test's
folders are removed at the end, pass or fail (pytest keeps the last runs' temp folders), the logs kept."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.bundle import ContentCipher, load_public_key, verify_license
from app.bundle.manifest import Manifest
from storefront.torrents import rewrite_torrent_urls
from tests.storefront.store_support import GOOD_CARD, StoreProcess
from tests.support.big_content import first_block, folder_bytes, remove_folder, sha256_of, write_random_files
from tests.support.creator import bearer, new_account, signed_manifest
from tests.support.creator_apps import PASSWORD, creator_app, empty_store, fan_app  # noqa: F401 - fixture
from tests.support.net import loopback_address
from tests.support.processes import LineProcess

pytestmark = pytest.mark.timeout(600)
MIB = 1024 * 1024
SIZES = {"pilot.bin": 64 * MIB, "episodes/e1.bin": 480 * MIB, "episodes/e2.bin": 480 * MIB}  # 1 GiB
LOCKED = ("episodes/e1.bin", "episodes/e2.bin")
MEMORY_CAP = 200 * MIB  # the cap for publishing, whatever the size


@pytest.fixture
def gigabytes_removed_after(tmp_path: Path) -> Iterator[None]:
    """Requested before the store: torn down after it stopped. Removes every folder under tmp_path (logs stay)."""
    yield
    for child in tmp_path.iterdir():
        if child.is_dir():
            remove_folder(child)


def test_a_fan_gets_a_gib_bundle_from_the_creators_seed_and_another_from_the_web_seed_after_the_creator_quits(
    gigabytes_removed_after: None,
    empty_store: StoreProcess,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    store = empty_store
    api = httpx.Client(base_url=store.api, timeout=60)
    email = f"creator-{uuid.uuid4().hex[:8]}@example.com"
    assert api.post("/accounts", json={"email": email, "password": PASSWORD}).status_code == 201
    source = tmp_path / "Lumen Drift"
    digests = write_random_files(source, SIZES)
    assert folder_bytes(source) >= sum(SIZES.values())  # written, not sparse
    creator_address = loopback_address()
    creator = creator_app(
        store, email, tmp_path / "creator", creator_address,
        "--display-name", "Ana Ruiz", "--folder", str(source), "--title", "Lumen Drift",
        "--gate", "paid", "--price-cents", "499", "--lock", "episodes/*", "--seed",
    )  # fmt: skip
    try:
        port = int(creator.wait_for("ready", 60).split("port=")[1])
        bundle_id = creator.wait_for("published", 400).split()[1]
        creator.wait_for("seeding", 30)
        assert _peak_rss(creator) < MEMORY_CAP
        heads = {path: first_block(source / path) for path in LOCKED}
        remove_folder(source)  # its digests are known; the creator seeds its own encrypted copy
        manifest = signed_manifest(api, bundle_id)
        assert {f.path for f in manifest.files if f.locked} == set(LOCKED)

        license_token = _buy(api, bundle_id)
        store_torrent = api.get(f"/bundles/{bundle_id}/torrent").content
        swarm_only = tmp_path / "swarm-only.torrent"  # no web seed: only the creator can serve it
        swarm_only.write_bytes(rewrite_torrent_urls(store_torrent, tracker_url=None, web_seed_url=None))
        first = fan_app(tmp_path / "fan1", loopback_address(), swarm_only, "--peer", f"{creator_address}:{port}")
        try:
            first.wait_for("finished", 300)
        finally:
            first.stop()
        got = tmp_path / "fan1" / "downloads" / "Lumen Drift"
        _check_download(api, got, digests, heads, license_token, manifest)
        remove_folder(tmp_path / "fan1")
    finally:
        assert creator.stop() == 0

    web_only = tmp_path / "store.torrent"
    web_only.write_bytes(api.get(f"/bundles/{bundle_id}/torrent").content)
    second = fan_app(tmp_path / "fan2", loopback_address(), web_only)
    try:
        second.wait_for("finished", 300)
    finally:
        second.stop()
    got = tmp_path / "fan2" / "downloads" / "Lumen Drift"
    _check_download(api, got, digests, heads, _buy(api, bundle_id), manifest)


def _buy(api: httpx.Client, bundle_id: str) -> str:
    """A new fan buys the bundle; their license token."""
    _, fan = new_account(api)
    bought = api.post(
        "/purchases",
        json={"bundle_id": bundle_id, "card": GOOD_CARD},
        headers={**bearer(fan), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert bought.status_code == 201, bought.text
    return str(bought.json()["license"])


def _peak_rss(process: LineProcess) -> int:
    """The child's peak resident memory in bytes (VmHWM)."""
    for line in Path(f"/proc/{process.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc")


def _check_download(
    api: httpx.Client, got: Path, digests: dict[str, str], heads: dict[str, bytes], token: str, manifest: Manifest
) -> None:
    """Every file byte-identical to the creator's (by SHA-256), the locked ones after decrypting with ``token``."""
    assert sha256_of(got / "pilot.bin") == digests["pilot.bin"]
    store_key = load_public_key(api.get("/public-key").json()["public_key"])
    license_ = verify_license(token, store_key)
    for path in LOCKED:
        file_key = license_.file_key(path)
        assert file_key is not None, f"the license does not open {path}"
        cipher = ContentCipher(file_key, manifest.file(path).nonce_bytes)
        assert first_block(got / path) != heads[path]  # the swarm carried ciphertext, and the license opens it:
        assert sha256_of(got / path, cipher) == digests[path]
