"""A new release of an album the fan bought, in the whole window against a real store of its own (Xvfb, real
engine, keyring, store over HTTP): the owner keeps playable copies; the creator adds a track; the new-release
bar fetches the grown bundle through the Library — so the bought track stays under its locked name on disk (not
downloaded again as ciphertext under its playable name), the Library's record moves to the grown torrent, and
the new track's playable copy lands in Music beside the others: copies kept in step as releases arrive."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.bundle import BundleKind, GateType
from app.library.locked_files import LOCKED_SUFFIX
from app.library.publishing import Publisher, PublishRequest
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.creator import CreatorClient
from app.store.models import Card
from app.store.vault import LicenseVault
from storefront.demo.build import ensure_media
from storefront.torrents import info_hashes
from tests.support.creator import MemoryKeys
from tests.support.demo import demo_media_cache
from tests.ui.store_driving import PASSWORD, new_email, press
from tests.ui.store_fixtures import close_store_window, open_store_window
from tests.ui.test_playable_copies import decodes

pytestmark = pytest.mark.timeout(240)

FREE, BOUGHT, NEW = "01 - Low Tide Signal.mp3", "02 - Ferry at Nine.mp3", "03 - Lanterns.mp3"


def _account(url: str) -> tuple[str, str]:
    email = new_email()
    with StoreClient(url) as client:
        client.create_account(email, PASSWORD)
        return email, client.sign_in(email, PASSWORD).token


def _seen(state: Path) -> dict[str, list[str]]:
    return json.loads(state.read_text(encoding="utf-8")) if state.is_file() else {}


def _tracks(folder: Path, *names: str) -> Path:
    source = ensure_media(demo_media_cache())[0] / "harbor-lights"
    folder.mkdir(parents=True)
    for name in names:
        shutil.copyfile(source / name, folder / name)
    return folder


def test_a_release_keeps_locked_names_and_its_playable_copy_follows(
    qtbot: QtBot, tmp_path: Path, creator_store_url: str, keyring_service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "fan"
    monkeypatch.setenv("BUNDLECAST_HOME", str(home))  # Music, Videos and Books under the test's folder
    url, title = creator_store_url, f"Harbor Nights {uuid.uuid4().hex[:6]}"
    _, creator_token = _account(url)
    creators = CreatorClient(url)
    creators.become_creator(creator_token, "The Quiet Orbitals")
    publisher = Publisher(tmp_path / "creator", keys=MemoryKeys(), client=creators, token=creator_token,
                          store_url=url)  # fmt: skip
    bundle_id = publisher.run(publisher.plan(PublishRequest(
        folder=_tracks(tmp_path / "album", FREE, BOUGHT), title=title, kind=BundleKind.MUSIC, gate=GateType.PAID,
        price_cents=500, locked=frozenset({BOUGHT}))))  # fmt: skip

    fan_email, _ = _account(url)
    vault = LicenseVault(service=keyring_service)
    account = StoreAccount(StoreClient(url), vault, store_ref=url)
    account.sign_in(fan_email, PASSWORD)
    account.buy(bundle_id, Card("4242424242424242", 12, 2040, "123"))
    window = open_store_window(qtbot, home, url, keyring_service)
    try:
        qtbot.waitUntil(lambda: window.window.release_bar is not None, timeout=30_000)
        bar = window.window.release_bar
        assert bar is not None
        with qtbot.waitSignal(window.section.actions.bundle_loaded, timeout=30_000):
            window.section.open_bundle(bundle_id)
        page = window.section.store_page.bundle_page
        with qtbot.waitSignal(window.copies.copies_written, timeout=30_000):
            page.copies_box.click()  # playable copies of this album, please
        page.remove_copies_box.click()  # and remove them with the bundle: a release must not count as a removal
        qtbot.waitUntil(lambda: window.copies.copies.choices.remove_with_bundle, timeout=10_000)
        press(window, "download")
        music, downloads = home / "Music" / title, window.downloads / title
        qtbot.waitUntil(lambda: music.is_dir() and sorted(p.name for p in music.iterdir()) == [FREE, BOUGHT],
                        timeout=120_000)
        state = home / "data" / "release-notices.json"
        window.desktop.show_page(window.section.store_page)
        window.desktop.show_page(window.library)  # the Library shown: the store is asked (first sight: quiet)
        qtbot.waitUntil(lambda: bundle_id in _seen(state), timeout=30_000)

        publisher.run(publisher.plan(PublishRequest(
            folder=_tracks(tmp_path / "release", NEW), title="", kind=BundleKind.MUSIC, gate=GateType.PAID,
            locked=frozenset(), release_of=bundle_id, release_id="bonus", release_title="Bonus track")))  # fmt: skip
        window.desktop.show_page(window.section.store_page)
        with qtbot.waitSignal(bar.released, timeout=30_000):
            window.desktop.show_page(window.library)
        with StoreClient(url) as client:
            grown, _v2 = info_hashes(client.download_torrent(bundle_id))
        qtbot.waitUntil((music / NEW).is_file, timeout=120_000)  # the new track's copy, once downloaded
        assert sorted(p.name for p in music.iterdir()) == [FREE, BOUGHT, NEW]
        assert all(decodes(music / name) for name in (FREE, BOUGHT, NEW))
        record = window.window.library.index.get(bundle_id) if window.window.library else None
        assert record is not None and record.torrent_id == grown  # Play and the copies follow the grown bundle
        # On disk the bought track kept its locked name: the grown torrent found it there (no second copy, no
        # ciphertext under its playable name).
        assert sorted(p.name for p in downloads.iterdir()) == sorted([FREE, BOUGHT + LOCKED_SUFFIX, NEW])
    finally:
        close_store_window(window)
        vault.forget_store(url)
