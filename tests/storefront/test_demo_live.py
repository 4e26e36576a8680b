"""The demo catalog's live event over real HTTP: a first look at the demo store shows one upcoming, free broadcast
whose manifest the store signed (kind live, its stream key), kept out of the downloadable catalog; a demo store that
lives on past its start moves it ahead again, re-signed, and a second build adds nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.bundle import BundleKind, SignedManifest, load_public_key, verify_manifest
from storefront.db import Database
from storefront.demo import ensure_demo_catalog
from storefront.demo.live_event import AHEAD, DEMO_LIVE_ID, ensure_demo_live_event
from tests.storefront.store_support import StoreProcess
from tests.support.demo import build_demo_store, demo_media_cache

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo-live") / "data"
    build_demo_store(data)
    return data


@pytest.fixture
def api(demo_dir: Path) -> Iterator[httpx.Client]:
    server = StoreProcess(demo_dir, demo=True).start()
    try:
        with httpx.Client(base_url=server.api, timeout=30) as client:
            yield client
    finally:
        server.stop()


def _manifest(api: httpx.Client) -> tuple[dict[str, object], object]:
    detail = api.get(f"/bundles/{DEMO_LIVE_ID}").json()
    key = load_public_key(api.get("/public-key").json()["public_key"])
    return detail, verify_manifest(SignedManifest.from_dict(detail["manifest"]), key)


def test_the_demo_store_lists_one_upcoming_free_broadcast_with_a_signed_manifest(api: httpx.Client) -> None:
    listing = api.get("/live").json()
    assert listing["live_now"] == []
    [event] = listing["upcoming"]
    assert event["bundle_id"] == DEMO_LIVE_ID and event["gate"] == "free" and event["state"] == "scheduled"
    assert event["creator"] == "The Quiet Orbitals"
    now = dt.datetime.now(dt.UTC).timestamp()
    assert now + 24 * 3600 < event["starts_at"] <= now + AHEAD.total_seconds()
    detail, manifest = _manifest(api)
    assert manifest.kind is BundleKind.LIVE and manifest.live is not None  # type: ignore[attr-defined]
    assert manifest.live.starts_at == event["starts_at"] and not manifest.live.encrypted  # type: ignore[attr-defined]
    assert detail["live"]["state"] == "scheduled"
    catalog = api.get("/catalog", params={"per_page": 50}).json()
    assert DEMO_LIVE_ID not in [item["id"] for item in catalog["items"]]  # broadcasts are listed by /live
    assert [item["id"] for item in api.get("/catalog", params={"kind": "live"}).json()["items"]] == [DEMO_LIVE_ID]


def test_a_demo_store_past_the_start_moves_it_ahead_re_signed_and_a_rebuild_adds_nothing(demo_dir: Path) -> None:
    config, _ = build_demo_store(demo_dir)
    database = Database(config.effective_database_url)
    try:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)  # ten days on, the old start has passed
        ensure_demo_live_event(config, database, now=later)
        assert ensure_demo_catalog(config, demo_media_cache()).published == ()
    finally:
        database.dispose()
    server = StoreProcess(demo_dir, demo=True).start()
    try:
        with httpx.Client(base_url=server.api, timeout=30) as api:
            [event] = api.get("/live").json()["upcoming"]
            _, manifest = _manifest(api)
    finally:
        server.stop()
    assert event["starts_at"] > later.timestamp() + 24 * 3600
    assert manifest.live.starts_at == event["starts_at"]  # type: ignore[attr-defined]
