"""Fixtures of the UI tests: real engines on their own loopback addresses.

The Store/Library fixtures (a real storefront subprocess with the demo catalog) live in tests/ui/store_fixtures.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.engine import Engine, EngineSettings
from tests.support.net import loopback_address

# Re-exported so every UI test sees them (pytest_plugins is allowed only in the top-level conftest).
from tests.ui.store_fixtures import creator_store_url, demo_store_url, keyring_service, store_window  # noqa: F401


def start_engine(state_dir: Path, address: str | None = None) -> Engine:
    engine = Engine(EngineSettings.for_loopback_tests(address or loopback_address()), state_dir)
    engine.start()
    return engine


@dataclass(frozen=True)
class Peer:
    engine: Engine
    address: str


@pytest.fixture(scope="module")
def seeder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    address = loopback_address()
    engine = start_engine(tmp_path_factory.mktemp("seeder-state"), address)
    yield Peer(engine, address)
    engine.shutdown()


@pytest.fixture(scope="module")
def ui_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = start_engine(tmp_path_factory.mktemp("ui-state"))
    yield engine
    engine.shutdown()
