"""Fixtures of the store tests: one seeded data dir and one real server per module (expensive: reuse)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.storefront.store_support import SeededStore, StoreProcess, seed_store


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededStore:
    return seed_store(tmp_path_factory.mktemp("store") / "data")


@pytest.fixture(scope="module")
def store(seeded: SeededStore) -> Iterator[StoreProcess]:
    server = StoreProcess(seeded.data_dir).start()
    yield server
    server.stop()


@pytest.fixture
def api(store: StoreProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=store.api, timeout=30) as client:
        yield client


@pytest.fixture
def data_dir(seeded: SeededStore) -> Path:
    return seeded.data_dir
