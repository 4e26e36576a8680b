"""The fan's new-release bar in the whole window against a real store of its own over HTTP (Xvfb): a creator publishes
a series; the fan's window (signed in) gets it; showing the Library checks the store — the first sight is recorded
quietly and the bar stays hidden; the creator adds Episode 2; showing the Library again puts "Episode 2 of … is
out — downloading" over the tabs and the grown bundle (the store's torrent) is added to the fan's engine, as the
auto-download setting (on by default) asks, and the Library's record follows the grown torrent. With the setting
turned off in the Settings page the release is told and nothing is downloaded."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.bundle import BundleKind, GateType
from app.library.index import LibraryRecord
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


def _published_and_seen(qtbot: QtBot, tmp_path: Path, url: str, keyring_service: str) -> Scene:
    """A creator's free series, a signed-in fan's window that got it and whose release bar has seen it once."""
    title = f"Lumen Drift {uuid.uuid4().hex[:6]}"
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
    qtbot.waitUntil(lambda: window.window.release_bar is not None, timeout=30_000)  # made once connected
    with qtbot.waitSignal(window.section.actions.bundle_loaded, timeout=30_000):
        window.section.open_bundle(bundle_id)
    press(window, "get")
    qtbot.waitUntil(lambda: title in window.library.titles(), timeout=60_000)
    index = window.window.library.index
    qtbot.waitUntil(lambda: index.get(bundle_id) is not None, timeout=60_000)  # added to the engine and the index
    state = tmp_path / "fan" / "data" / "release-notices.json"
    window.desktop.show_page(window.section.store_page)
    window.desktop.show_page(window.library)  # the Library shown: the store is asked
    qtbot.waitUntil(lambda: bundle_id in _seen(state), timeout=30_000)
    return Scene(window, vault, publisher, bundle_id, title, state)


@dataclasses.dataclass
class Scene:
    window: Any
    vault: LicenseVault
    publisher: Publisher
    bundle_id: str
    title: str
    state: Path

    def release_episode_2(self, tmp_path: Path) -> None:
        release = episodes(tmp_path / "ep2", {"e2.bin": 100_000})
        self.publisher.run(self.publisher.plan(PublishRequest(
            folder=release, title="", kind=BundleKind.SERIES, gate=GateType.FREE, locked=frozenset(),
            release_of=self.bundle_id, release_id="ep2", release_title="Episode 2")))  # fmt: skip

    def record(self) -> LibraryRecord:
        library = self.window.window.library
        assert library is not None
        found = library.index.get(self.bundle_id)
        assert found is not None
        return found


def test_the_window_tells_of_a_new_release_fetches_it_and_the_library_follows_the_grown_torrent(
    qtbot: QtBot, tmp_path: Path, creator_store_url: str, keyring_service: str
) -> None:
    scene = _published_and_seen(qtbot, tmp_path, creator_store_url, keyring_service)
    window, bundle_id, title = scene.window, scene.bundle_id, scene.title
    try:
        bar = window.window.release_bar
        assert bar.isHidden() and _seen(scene.state)[bundle_id] == []  # first sight: recorded quietly
        first_torrent = scene.record().torrent_id
        assert window.engine.has_torrent(first_torrent)

        scene.release_episode_2(tmp_path)
        window.desktop.show_page(window.section.store_page)
        with qtbot.waitSignal(bar.released, timeout=30_000) as told:
            window.desktop.show_page(window.library)
        assert told.args[0].text == f"Episode 2 of {title} is out"
        assert bar.isVisible() and bar.text.text() == f"Episode 2 of {title} is out — downloading"
        with StoreClient(creator_store_url) as client:
            grown, _v2 = info_hashes(client.download_torrent(bundle_id))
        qtbot.waitUntil(lambda: window.engine.has_torrent(grown), timeout=30_000)  # auto-download started
        assert _seen(scene.state)[bundle_id] == ["ep2"]  # told once
        # The Library follows the grown torrent: its record names it and the manifest with Episode 2, the old
        # torrent is gone from the engine, and the fan's files stay where they were (the grown one holds them).
        qtbot.waitUntil(lambda: scene.record().torrent_id == grown, timeout=30_000)
        record = scene.record()
        assert "e2.bin" in record.manifest_payload
        assert not window.engine.has_torrent(first_torrent)
        qtbot.waitUntil(lambda: window.engine.snapshot(grown).progress >= 1.0, timeout=60_000)
        assert (record.content_root / "e2.bin").stat().st_size == 100_000
        assert (record.content_root / "pilot.bin").stat().st_size == 40_000
    finally:
        close_store_window(window)
        scene.vault.forget_store(creator_store_url)


def test_with_auto_download_turned_off_in_settings_a_new_release_is_told_but_not_downloaded(
    qtbot: QtBot, tmp_path: Path, creator_store_url: str, keyring_service: str
) -> None:
    scene = _published_and_seen(qtbot, tmp_path, creator_store_url, keyring_service)
    window, bundle_id, title = scene.window, scene.bundle_id, scene.title
    try:
        settings_page = window.desktop.settings_page
        assert settings_page.auto_download_releases.isChecked()  # on by default
        settings_page.auto_download_releases.setChecked(False)
        press_save = settings_page.save_button
        with qtbot.waitSignal(settings_page.settings_saved, timeout=10_000):
            press_save.click()
        first_torrent = scene.record().torrent_id

        scene.release_episode_2(tmp_path)
        bar = window.window.release_bar
        window.desktop.show_page(window.section.store_page)
        with qtbot.waitSignal(bar.released, timeout=30_000):
            window.desktop.show_page(window.library)
        assert bar.isVisible() and bar.text.text() == f"Episode 2 of {title} is out"  # told, no "downloading"
        qtbot.waitUntil(lambda: not window.desktop.runner.busy, timeout=30_000)  # every started task done
        with StoreClient(creator_store_url) as client:
            grown, _v2 = info_hashes(client.download_torrent(bundle_id))
        assert not window.engine.has_torrent(grown)  # not downloaded
        assert scene.record().torrent_id == first_torrent and window.engine.has_torrent(first_torrent)
        assert not (scene.record().content_root / "e2.bin").exists()
    finally:
        close_store_window(window)
        scene.vault.forget_store(creator_store_url)
