"""The catalog counts its matches only up to a bound, on PostgreSQL over real HTTP: a catalog of more than 1,000
bundles says "more than 1,000" (API ``total_exact: false``, the web page "More than 1,000 bundles", "Page 1 of 42 or
more") instead of counting every match on every request, a narrow search still gets its exact count, and a client
that pages while it holds fewer items than ``total`` (the desktop grid does) still reaches every bundle exactly
once. The PostgreSQL cluster is test_postgres's throwaway one (initdb in a temp dir, loopback port)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.bundle import BundleKind, Gate, GateType, Manifest, ManifestFile
from storefront.api.catalog import COUNT_LIMIT
from storefront.catalog import register_bundle
from storefront.config import StoreConfig
from storefront.services import build_services
from tests.storefront.store_support import SeededStore, StoreProcess, seed_store
from tests.storefront.test_postgres import postgres_url  # noqa: F401 (the module's throwaway cluster)

EXTRA = COUNT_LIMIT + 100  # past the bound, and past the page after the deepest one a bounded count covers
AMBER = 30  # "Amber" bundles among them: a search narrower than the bound


def _add_bundles(config: StoreConfig, count: int) -> None:
    """``count`` more paid bundles (catalog rows with signed manifests, no torrents): titles "Amber Tide N" for the
    first ``AMBER``, "Harbor Tide N" for the rest."""
    services = build_services(config)
    try:
        with services.db.write() as session:
            for i in range(count):
                title = f"{'Amber' if i < AMBER else 'Harbor'} Tide {i}"
                manifest = Manifest(
                    bundle_id=f"count-{i:05d}",
                    store_id=config.store_id,
                    title=title,
                    creator="Count Creator",
                    kind=BundleKind.GAME,
                    description=title,
                    gate=Gate(GateType.PAID, price_cents=100 + i),
                    files=(ManifestFile(path="part.bin", size=1000, media_type="text/plain", locked=False),),
                    info_hash_v1=secrets.token_hex(20),
                    info_hash_v2=secrets.token_hex(32),
                )
                register_bundle(
                    session, config, manifest, bundle_key=secrets.token_bytes(32), torrent_data=None, keys=services.keys
                )
    finally:
        services.close()


@pytest.fixture(scope="module")
def big_catalog(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> SeededStore:  # noqa: F811
    data_dir = tmp_path_factory.mktemp("pg-count") / "data"
    seeded = seed_store(data_dir, database_url=postgres_url, paid_and_free_only=True)
    _add_bundles(StoreConfig.from_env(seeded.data_dir, env={}, database_url=postgres_url), EXTRA)
    return seeded


@pytest.fixture(scope="module")
def store(big_catalog: SeededStore, postgres_url: str) -> Iterator[StoreProcess]:  # noqa: F811
    server = StoreProcess(big_catalog.data_dir, env={"DATABASE_URL": postgres_url}).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def web(store: StoreProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=store.url, timeout=30) as client:
        yield client


def _catalog(web: httpx.Client, **params: str | int) -> Any:
    answer = web.get("/api/v1/catalog", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_catalog_larger_than_the_bound_says_more_than(web: httpx.Client) -> None:
    first = _catalog(web)
    assert (first["total"], first["total_exact"], len(first["items"])) == (COUNT_LIMIT, False, 24)
    page = web.get("/catalog").text
    assert "More than 1,000 bundles." in page
    assert re.search(r"Page 1 of 42 or more\s*<a [^>]*page=2\">Next</a>", page)


def test_a_narrow_search_is_counted_exactly(web: httpx.Client) -> None:
    first = _catalog(web, q="amber")
    assert (first["total"], first["total_exact"], len(first["items"])) == (AMBER, True, 24)
    last = _catalog(web, q="amber", page=2)
    assert (last["total"], last["total_exact"], len(last["items"])) == (AMBER, True, AMBER - 24)
    page = web.get("/catalog", params={"q": "amber"}).text
    assert f"{AMBER} bundles for “amber”." in page and "Page 1 of 2\n" in page


def test_paging_while_fewer_than_total_reaches_every_bundle_once(web: httpx.Client) -> None:
    seen: list[str] = []
    page, body = 1, _catalog(web, per_page=100)
    while True:
        seen += [item["id"] for item in body["items"]]
        if len(seen) >= body["total"] and body["total_exact"]:
            break
        assert len(seen) < body["total"], body  # more is promised: the next page has it
        page += 1
        body = _catalog(web, per_page=100, page=page)
    assert len(seen) == len(set(seen)) == EXTRA + 2  # the 2 seeded bundles too
    assert body["total"] == EXTRA + 2


def test_the_deep_pages_of_the_web_catalog_lead_to_the_exact_last_one(web: httpx.Client) -> None:
    deep = web.get("/catalog", params={"page": 43}).text  # counted to (43 + 1) x 24 = 1,056 of 1,102
    assert "More than 1,056 bundles." in deep and "Page 43 of 45 or more" in deep
    last_page = -(-(EXTRA + 2) // 24)
    last = web.get("/catalog", params={"page": last_page}).text  # not full: every match is in sight
    assert f"{EXTRA + 2:,} bundles." in last and f"Page {last_page} of {last_page}\n" in last
    assert ">Next</a>" not in last
