"""A series grows after its campaign succeeds, through the real parts: the creator's app publishes a campaign
bundle with reward tiers; a fan backs it; the campaign closes with its goal met; the creator's app adds Episode 2
as a release of the same bundle; the backer's app (which downloaded the season in its own process) learns of the
release by itself ("Episode 2 of Lumen Drift is out") and follows it as the window does (``Library.follow_release``):
the grown bundle is added onto the backer's copy, only the new episode is fetched from the store's web seed, the
Library's record moves to the grown torrent and the old one leaves the engine; the season license the backer got for
backing opens it — no new purchase. A fan who did not back holds no license: nothing opens Episode 2 for them.

The backer's app is the Library over a real engine, the real keyring (a service of the test's own) and the store
over HTTP, in this process (as the window's workers run it), stopped and started again between the two phases."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from app.engine import Engine, EngineSettings
from app.library import Library, LibraryIndex, StoreBackend
from app.library.locked_files import LOCKED_SUFFIX
from app.library.release_notices import ReleaseWatcher
from app.player.resume import ResumePositions
from app.store import StoreClient
from app.store.account import StoreAccount
from app.store.vault import LicenseVault
from storefront.torrents import info_hashes
from tests.engine.helpers import wait_until
from tests.storefront.store_support import GOOD_CARD, StoreProcess
from tests.support.creator import bearer, decrypt_with_license, episodes, new_account, signed_manifest
from tests.support.creator_apps import PASSWORD, creator_app, empty_store  # noqa: F401 - fixture
from tests.support.net import loopback_address

pytestmark = pytest.mark.timeout(300)
MIB = 1024 * 1024


def _backer_engine(home: Path) -> Engine:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), home / "state")
    engine.start()
    return engine


def _backer_library(store: StoreProcess, home: Path, engine: Engine, service: str) -> Library:
    """The backer's Library as ``app.main`` builds it: the account in the keyring, the index and downloads on disk."""
    vault = LicenseVault(service=service)
    backend = StoreBackend(lambda: StoreAccount(StoreClient(store.url), vault, store_ref=store.url))
    backend.connect()
    backend.sync_licenses()
    return Library(backend, engine, LibraryIndex(home / "data" / "library.json"), lambda: home / "downloads",
                   ResumePositions(home / "state" / "play-positions.json"))  # fmt: skip


def test_a_release_after_a_successful_campaign_opens_with_the_backers_season_license(
    empty_store: StoreProcess,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    store = empty_store
    api = httpx.Client(base_url=store.api, timeout=60)
    email = f"creator-{uuid.uuid4().hex[:8]}@example.com"
    assert api.post("/accounts", json={"email": email, "password": PASSWORD}).status_code == 201
    home, address = tmp_path / "creator", loopback_address()
    season = episodes(tmp_path / "season", {"pilot.bin": 2 * MIB, "e1.bin": 8 * MIB})
    first = creator_app(
        store, email, home, address,
        "--display-name", "Mara Lind", "--folder", str(season), "--title", "Lumen Drift",
        "--gate", "campaign", "--price-cents", "995", "--lock", "e*", "--goal-backers", "1",
        "--tiers", '[{"tier_id": "season", "title": "The season", "price_cents": 995},'
                   ' {"tier_id": "credits", "title": "Season + credits", "price_cents": 2500}]',
    )  # fmt: skip
    try:
        bundle_id = first.wait_for("published", 180).split()[1]
    finally:
        first.stop()
    backer_email, backer = new_account(api)
    _, bystander = new_account(api)
    pledge = api.put(
        f"/campaigns/{bundle_id}/pledge", json={"tier_id": "credits", "card": GOOD_CARD}, headers=bearer(backer)
    )
    assert pledge.status_code == 200, pledge.text
    closed = subprocess.run(
        [sys.executable, "-m", "storefront", "campaign", "close", bundle_id, "--data-dir", str(store.data_dir)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "succeeded" in closed.stdout
    before = signed_manifest(api, bundle_id)

    # The backer's app downloads the season as it is today, through its Library (the store's web seed serves it).
    backer_home = tmp_path / "backer"
    service = f"Bundlecast-release-{uuid.uuid4().hex[:8]}"
    StoreAccount(StoreClient(store.url), LicenseVault(service=service), store_ref=store.url).sign_in(
        backer_email, "password-123"
    )
    engine = _backer_engine(backer_home)
    try:
        library = _backer_library(store, backer_home, engine, service)
        season_tid = library.add(bundle_id).torrent_id
        wait_until(lambda: engine.snapshot(season_tid).progress >= 1.0, 180, "the season to arrive")
    finally:
        engine.shutdown(timeout=10)
    with StoreClient(store.url) as client:
        assert ReleaseWatcher(client, backer_home / "releases.json").check([bundle_id]) == []  # seen, no news

    episode2 = episodes(tmp_path / "ep2", {"e2.bin": 6 * MIB})
    release = creator_app(
        store, email, home, address,
        "--folder", str(episode2), "--lock", "*", "--release-of", bundle_id,
        "--release-id", "ep2", "--release-title", "Episode 2",
    )  # fmt: skip
    try:
        assert release.wait_for("published", 180).split()[1] == bundle_id  # the same bundle, grown
    finally:
        release.stop()

    after = signed_manifest(api, bundle_id)
    assert [r.id for r in after.releases] == ["ep2"]
    assert after.file("e2.bin").locked and after.file("e2.bin").release == "ep2"
    assert after.info_hash_v1 != before.info_hash_v1
    for old in before.files:  # published files are unchanged (every fan's copy stays valid)
        assert after.file(old.path) == old
    torrent = api.get(f"/bundles/{bundle_id}/torrent").content
    assert info_hashes(torrent) == (after.info_hash_v1, after.info_hash_v2)

    # The backer's app starts again (same state, Library and downloads), learns of Episode 2 by itself and follows it.
    engine = _backer_engine(backer_home)
    try:
        library = _backer_library(store, backer_home, engine, service)
        with StoreClient(store.url) as client:
            watcher = ReleaseWatcher(client, backer_home / "releases.json")
            notices = watcher.check([bundle_id])
            assert [n.text for n in notices] == ["Episode 2 of Lumen Drift is out"]
            tid = library.follow_release(notices[0].bundle_id)
            assert tid == after.info_hash_v1
            wait_until(lambda: engine.snapshot(tid).progress >= 1.0, 180, "the new release to arrive")
            assert watcher.check([bundle_id]) == []  # told once
        record = library.index.get(bundle_id)
        assert record is not None and record.torrent_id == tid  # the Library points at the grown bundle
        assert not engine.has_torrent(season_tid)  # the old torrent left the engine; its files are the grown one's
    finally:
        engine.shutdown(timeout=10)
        LicenseVault(service=service).forget_store(store.url)
    got = tmp_path / "backer" / "downloads" / "Lumen Drift"
    season_license = api.get("/licenses", headers=bearer(backer)).json()["licenses"]
    assert len(season_license) == 1
    assert sorted(p.name for p in got.iterdir()) == [f"e1.bin{LOCKED_SUFFIX}", f"e2.bin{LOCKED_SUFFIX}", "pilot.bin"]
    cipher = (got / f"e2.bin{LOCKED_SUFFIX}").read_bytes()
    plain = (episode2 / "e2.bin").read_bytes()
    assert decrypt_with_license(api, season_license[0], after, "e2.bin", cipher) == plain
    assert (
        decrypt_with_license(api, season_license[0], after, "e1.bin", (got / f"e1.bin{LOCKED_SUFFIX}").read_bytes())
        == (season / "e1.bin").read_bytes()
    )
    assert api.get("/licenses", headers=bearer(bystander)).json()["licenses"] == []
