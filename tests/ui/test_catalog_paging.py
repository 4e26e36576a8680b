"""The Store grid pages through a catalog larger than one request: a real storefront (child process, real HTTP)
holding 67 bundles shows the first 60, and scrolling to the end of the grid fetches the rest in the background —
every bundle exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytestqt.qtbot import QtBot

from app.library.backend import CATALOG_PAGE_SIZE, StoreBackend
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.vault import LicenseVault
from app.ui.covers import CoverCache
from app.ui.store.catalog_page import CatalogGrid
from app.ui.tasks import ThreadPoolTaskRunner
from tests.storefront.store_support import StoreProcess, seed_store

EXTRA_BUNDLES = 60  # plus the 7 of seed_store: more than one page


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("big-store") / "store"
    seed_store(data, extra_paid=EXTRA_BUNDLES)
    process = StoreProcess(data).start()
    try:
        yield process.url
    finally:
        process.stop()


def _all_titles(url: str) -> list[str]:
    titles: list[str] = []
    with httpx.Client(base_url=url) as client:
        for page in (1, 2):
            body = client.get("/api/v1/catalog", params={"page": page, "per_page": 100}).json()
            titles += [item["title"] for item in body["items"]]
    return titles


def test_scrolling_to_the_end_of_the_grid_loads_the_rest_of_the_catalog(
    qtbot: QtBot, tmp_path: Path, big_store: str, keyring_service: str
) -> None:
    expected = _all_titles(big_store)
    assert len(expected) > CATALOG_PAGE_SIZE
    backend = StoreBackend(lambda: StoreAccount(StoreClient(big_store), LicenseVault(service=keyring_service)))
    tasks = ThreadPoolTaskRunner()
    grid = CatalogGrid(backend.catalog, CoverCache(backend.fetch_cover, tasks, tmp_path / "covers"), tasks)
    qtbot.addWidget(grid)
    grid.resize(900, 600)  # a few rows visible: the first page needs scrolling
    grid.show()

    grid.reload()
    qtbot.waitUntil(lambda: grid.grid.count() == CATALOG_PAGE_SIZE, timeout=30_000)
    assert grid.has_more
    assert grid.count_label.text() == f"{len(expected)} bundles"
    qtbot.wait(300)  # nothing more arrives while the fan has not scrolled
    assert grid.grid.count() == CATALOG_PAGE_SIZE

    grid.grid.scrollToBottom()
    qtbot.waitUntil(lambda: grid.grid.count() == len(expected), timeout=30_000)
    assert sorted(grid.card_titles()) == sorted(expected)  # each bundle once, none missing
    assert not grid.has_more
    tasks.wait_for_done()
