"""The real storefront with the demo catalog (a `python -m storefront serve --demo` subprocess, once per session)
and the whole desktop window wired to it, over a real engine, a real keyring service of its own and a real
download folder — what the Store and Library tests drive.

The demo's generated media are cached across sessions (tests/support/demo.py); the first session on a machine
builds them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.engine import Engine, EngineSettings
from app.library import LibraryIndex, StoreBackend
from app.player.resume import ResumePositions
from app.settings import SettingsStore
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.vault import LicenseVault
from app.ui.assembly import AssembledWindow, CreatorParts, PlayerDependencies, StoreParts, assemble_window
from app.ui.desktop import Desktop, DesktopConfig
from app.ui.library.page import LibraryPage
from app.ui.playable_copies_host import PlayableCopiesHost
from app.ui.player.host import PlayerHost
from app.ui.store.section import StoreSection
from tests.storefront.store_support import StoreProcess
from tests.support.demo import demo_media_cache
from tests.support.net import loopback_address

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("demo-store")
    ready = data / "ready.json"
    log = (data / "store.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "storefront", "serve", "--demo", "--data-dir", str(data / "store"), "--host",
         "127.0.0.1", "--port", "0", "--ready-file", str(ready), "--cache-dir", str(demo_media_cache())],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 600  # the first session on a machine generates the demo media
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the demo store did not start:\n" + (data / "store.log").read_text()[-3000:])
            time.sleep(0.2)
        yield str(json.loads(ready.read_text())["url"])
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


@pytest.fixture(scope="session")
def creator_store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store of its own (empty, not the demo) that the creator tests publish into: the demo's catalog stays as the
    Store tests expect it."""
    data = tmp_path_factory.mktemp("creator-store") / "data"
    data.mkdir()
    server = StoreProcess(data).start()
    try:
        yield server.url
    finally:
        server.stop()


@dataclass
class StoreWindow:
    window: AssembledWindow
    engine: Engine
    vault: LicenseVault
    store_ref: str
    home: Path

    @property
    def desktop(self) -> Desktop:
        return self.window.shell

    @property
    def section(self) -> StoreSection:
        assert self.window.store is not None
        return self.window.store

    @property
    def library(self) -> LibraryPage:
        assert self.window.library_page is not None
        return self.window.library_page

    @property
    def copies(self) -> PlayableCopiesHost:
        assert self.window.copies is not None
        return self.window.copies

    @property
    def player(self) -> PlayerHost:
        assert self.window.player is not None
        return self.window.player

    @property
    def downloads(self) -> Path:
        return self.home / "downloads"


def open_store_window(
    qtbot: QtBot, home: Path, url: str, service: str, player: Callable[[Engine], PlayerDependencies] | None = None,
    vault: LicenseVault | None = None, creator: bool = False,
) -> StoreWindow:
    """The window as app.main assembles it, on a fresh engine, with the store section connected."""
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), home / "state")
    engine.start()
    vault = vault or LicenseVault(service=service)
    backend = StoreBackend(lambda: StoreAccount(StoreClient(url), vault, store_ref=url))
    parts = StoreParts(backend, LibraryIndex(home / "data" / "library.json"),
                       ResumePositions(home / "state" / "play-positions.json"), home / "cache" / "covers")
    settings_store = SettingsStore(home / "config")
    config = DesktopConfig(home / "config", home / "downloads", EngineSettings.for_loopback_tests("127.0.0.1"))
    creator_parts = CreatorParts(engine, lambda: url, backend.session_token, home / "publishing") if creator else None
    window = assemble_window(engine, settings_store, settings_store.load(), config, store=parts,
                             player=player(engine) if player else None, creator=creator_parts)
    qtbot.addWidget(window.shell.window)
    window.shell.start([])
    return StoreWindow(window, engine, vault, url, home)


def close_store_window(window: StoreWindow) -> None:
    window.desktop.close()
    window.engine.shutdown()


@pytest.fixture
def keyring_service() -> str:
    """A keyring service name of this test's own, so tests never see each other's licenses."""
    return f"Bundlecast-uitest-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def store_window(qtbot: QtBot, tmp_path: Path, demo_store_url: str, keyring_service: str) -> Iterator[StoreWindow]:
    window = open_store_window(qtbot, tmp_path, demo_store_url, keyring_service)
    yield window
    close_store_window(window)
    LicenseVault(service=keyring_service).forget_store(demo_store_url)  # leave the keyring as we found it
