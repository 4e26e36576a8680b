"""The apps of the creator tests as child processes: the creator's headless publisher and the headless fan app,
each with its own data dir and loopback address, and a fresh store (its own process) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storefront.store_support import StoreProcess
from tests.support.processes import LineProcess

PASSWORD = "creator-password-1"


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[StoreProcess]:
    data = tmp_path / "store"
    data.mkdir()
    server = StoreProcess(data).start()
    yield server
    server.stop()


def creator_app(store: StoreProcess, email: str, home: Path, address: str, *extra: str) -> LineProcess:
    return LineProcess(
        [
            "-m", "app.library.publishing",
            "--store", store.url,
            "--email", email,
            "--work-dir", str(home / "publishing"),
            "--state-dir", str(home / "engine"),
            "--test-network", address,
            *extra,
        ],
        env={"BUNDLECAST_CREATOR_PASSWORD": PASSWORD},
        log=home.parent / f"{home.name}.log",
    )  # fmt: skip


def fan_app(home: Path, address: str, torrent: Path, *extra: str) -> LineProcess:
    return LineProcess(
        [
            "-m", "app", "--headless",
            "--state-dir", str(home / "state"),
            "--download-dir", str(home / "downloads"),
            "--test-network", address,
            "--status-interval", "1",
            "--format", "lines",  # the terse key=value lines wait_for parses (i12-transfers made sentences the default)
            *extra,
            "add", str(torrent),
        ],
        log=home.parent / f"{home.name}.log",
    )  # fmt: skip
