"""The fan's new-release bar in the whole window against a real store of its own over HTTP (Xvfb): a creator publishes
a series; the fan's window (signed in) gets it; showing the Library checks the store — the first sight is recorded
quietly and the bar stays hidden; the creator adds Episode 2; showing the Library again puts "Episode 2 of … is
out — downloading" over the tabs and the grown bundle (the store's torrent) is added to the fan's engine, as the
auto-download setting (on by default) asks."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.bundle import BundleKind, GateType
from app.library.publishing import Publisher, PublishRequest
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.creator import CreatorClient
from app.store.vault import LicenseVault
from storefront.torrents import info_hashes
from tests.support.creator import MemoryKeys, episodes
from tests.ui.store_driving import PASSWORD, new_email, press
from tests.ui.store_fixtures import close_store_window, open_store_window

pytestmark = pytest.mark.timeout(180)


def _account(url: str) -> tuple[str, str]:
    email = new_email()
    with StoreClient(url) as client:
        client.create_account(email, PASSWORD)
        return email, client.sign_in(email, PASSWORD).token


def _seen(state: Path) -> dict[str, list[str]]:
    return json.loads(state.read_text(encoding="utf-8")) if state.is_file() else {}


def test_the_window_tells_of_a_new_release_and_fetches_it(
    qtbot: QtBot, tmp_path: Path, creator_store_url: str, keyring_service: str
) -> None:
    url, title = creator_store_url, f"Lumen Drift {uuid.uuid4().hex[:6]}"
    _, creator_token = _account(url)
    creators = CreatorClient(url)
    creators.become_creator(creator_token, "Mara")
    publisher = Publisher(tmp_path / "creator", keys=MemoryKeys(), client=creators, token=creator_token,
                          store_url=url)  # fmt: skip
    season = episodes(tmp_path / "season", {"pilot.bin": 40_000, "e1.bin": 200_000})
    bundle_id = publisher.run(publisher.plan(PublishRequest(
        folder=season, title=title, kind=BundleKind.SERIES, gate=GateType.FREE, locked=frozenset())))  # fmt: skip

    fan_email, _ = _account(url)
    vault = LicenseVault(service=keyring_service)
    StoreAccount(StoreClient(url), vault, store_ref=url).sign_in(fan_email, PASSWORD)
    window = open_store_window(qtbot, tmp_path / "fan", url, keyring_service)
    try:
        qtbot.waitUntil(lambda: window.window.release_bar is not None, timeout=30_000)  # made once connected
        bar = window.window.release_bar
        assert bar is not None
        with qtbot.waitSignal(window.section.actions.bundle_loaded, timeout=30_000):
            window.section.open_bundle(bundle_id)
        press(window, "get")
        qtbot.waitUntil(lambda: title in window.library.titles(), timeout=60_000)
        state = tmp_path / "fan" / "data" / "release-notices.json"
        window.desktop.show_page(window.section.store_page)
        window.desktop.show_page(window.library)  # the Library shown: the store is asked
        qtbot.waitUntil(lambda: bundle_id in _seen(state), timeout=30_000)
        assert bar.isHidden() and _seen(state)[bundle_id] == []  # first sight: recorded quietly

        release = episodes(tmp_path / "ep2", {"e2.bin": 100_000})
        publisher.run(publisher.plan(PublishRequest(
            folder=release, title="", kind=BundleKind.SERIES, gate=GateType.FREE, locked=frozenset(),
            release_of=bundle_id, release_id="ep2", release_title="Episode 2")))  # fmt: skip
        window.desktop.show_page(window.section.store_page)
        with qtbot.waitSignal(bar.released, timeout=30_000) as told:
            window.desktop.show_page(window.library)
        assert told.args[0].text == f"Episode 2 of {title} is out"
        assert bar.isVisible() and bar.text.text() == f"Episode 2 of {title} is out — downloading"
        with StoreClient(url) as client:
            grown, _v2 = info_hashes(client.download_torrent(bundle_id))
        qtbot.waitUntil(lambda: window.engine.has_torrent(grown), timeout=30_000)  # auto-download started
        assert _seen(state)[bundle_id] == ["ep2"]  # told once
    finally:
        close_store_window(window)
        vault.forget_store(url)
