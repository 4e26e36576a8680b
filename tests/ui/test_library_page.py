"""The Library tab against the real storefront, engine and keyring: a bought album downloads and turns ready,
its decrypted copy is exported (the locked tracks become playable audio, the download folder keeps only
ciphertext), Rebuild library re-adds every owned bundle and re-checks the disk, and Remove deletes the files (an export
is then refused)."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from pytestqt.qtbot import QtBot

from app.store.client import StoreClient
from app.store.models import Card
from tests.ui.store_driving import (
    PASSWORD,
    new_email,
    open_bundle,
    payment_dialog,
    press,
    sign_up_in_dialog,
    wait_for_catalog,
)
from tests.ui.store_fixtures import StoreWindow

ALBUM = "Harbor Lights"


def _decodes_as_audio(path: Path) -> bool:
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            return any(True for _ in container.decode(stream))
    except (av.error.FFmpegError, IndexError, UnicodeDecodeError):
        return False


def _buy_album(qtbot: QtBot, window: StoreWindow) -> str:
    wait_for_catalog(qtbot, window)
    open_bundle(qtbot, window, ALBUM)
    press(window, "buy")
    sign_up_in_dialog(qtbot, window, new_email())
    dialog = payment_dialog(qtbot, window)
    with qtbot.waitSignal(window.section.actions.bundle_added, timeout=60_000) as added:
        dialog.ok_button.click()
    return str(added.args[1])


@pytest.fixture
def bought(qtbot: QtBot, store_window: StoreWindow) -> tuple[StoreWindow, str]:
    tid = _buy_album(qtbot, store_window)
    library = store_window.section.library
    qtbot.waitUntil(lambda: library.state_of(ALBUM).startswith("Ready"), timeout=120_000)
    return store_window, tid


def test_bought_album_is_ready_and_exports_a_playable_copy(qtbot: QtBot, bought: tuple[StoreWindow, str],
                                                           tmp_path: Path) -> None:
    window, _tid = bought
    library = window.section.library
    assert library.titles() == [ALBUM]
    assert ("Purchase complete", f"“{ALBUM}” is yours. It is downloading now.") in window.desktop.tray.messages
    assert ("Download finished", f"“{ALBUM}” is complete and seeding.") in window.desktop.tray.messages
    downloaded = window.downloads / ALBUM
    locked = downloaded / "02 - Ferry at Nine.mp3.bundlecast-locked"  # never under a name a player opens
    assert locked.stat().st_size > 0
    assert not _decodes_as_audio(locked)  # what travels and sits on disk is ciphertext

    target = tmp_path / "export"
    library._choose_folder = lambda: str(target)
    assert library.select_title(ALBUM)
    with qtbot.waitSignal(library.export_finished, timeout=60_000):
        library.export_button.click()
    exported = target / ALBUM
    assert sorted(p.name for p in exported.iterdir()) == sorted(p.name.removesuffix(".bundlecast-locked")
                                                               for p in downloaded.iterdir())
    assert _decodes_as_audio(exported / "02 - Ferry at Nine.mp3")
    assert _decodes_as_audio(exported / "01 - Low Tide Signal.mp3")
    assert library.banner.text.startswith("Exported ")


def test_remove_then_rebuild_library_restores_the_bundle(qtbot: QtBot, bought: tuple[StoreWindow, str]) -> None:
    window, tid = bought
    library = window.section.library
    engine = window.engine
    # Rebuild with the files still on disk: re-added and re-checked, ready again.
    engine.remove(tid, delete_data=False)
    qtbot.waitUntil(lambda: library.state_of(ALBUM) == "Not downloaded", timeout=30_000)
    library.rebuild_button.click()
    qtbot.waitUntil(lambda: engine.has_torrent(tid), timeout=60_000)
    qtbot.waitUntil(lambda: library.state_of(ALBUM).startswith("Ready"), timeout=120_000)

    # Remove from this computer: the files go, the license stays.
    library._confirm_remove = lambda title: True
    library.select_title(ALBUM)
    library.remove_button.click()
    qtbot.waitUntil(lambda: not engine.has_torrent(tid), timeout=30_000)
    qtbot.waitUntil(lambda: not (window.downloads / ALBUM / "02 - Ferry at Nine.mp3").exists(), timeout=30_000)
    qtbot.waitUntil(lambda: library.state_of(ALBUM) == "Not downloaded", timeout=30_000)  # the engine's event
    assert ALBUM in library.titles()

    # Nothing on disk any more: an export is refused with a sentence, and no folder is asked for.
    library._choose_folder = lambda: pytest.fail("no folder should be asked for")
    library.export_button.click()
    assert library.banner.text == f"Download “{ALBUM}” completely first, then export it."


def test_a_license_issued_elsewhere_reaches_the_library_on_refresh(
    qtbot: QtBot, store_window: StoreWindow, demo_store_url: str
) -> None:
    # What a backer meets when a campaign reaches its goal (the store issues the season licenses later), shown
    # with the demo's paid album bought on another computer: same account, not through this app.
    wait_for_catalog(qtbot, store_window)
    open_bundle(qtbot, store_window, "Pocket Orrery")
    store_window.section.store_page.sign_in_button.click()
    email = new_email()
    sign_up_in_dialog(qtbot, store_window, email)
    press(store_window, "get")  # signed in: a free bundle is kept in the account (a license)
    library = store_window.section.library
    qtbot.waitUntil(lambda: "Pocket Orrery" in library.titles(), timeout=60_000)
    assert ALBUM not in library.titles()
    with StoreClient(demo_store_url) as elsewhere:
        token = elsewhere.sign_in(email, PASSWORD).token
        elsewhere.purchase(token, "harbor-lights", Card("4242424242424242", 12, 2030, "123"))
    library.refresh_button.click()
    qtbot.waitUntil(lambda: ALBUM in library.titles(), timeout=60_000)
    assert store_window.vault.licenses_for_bundle(store_window.store_ref, "harbor-lights")  # kept in the keyring
