"""The real app (as `app.main` builds it, under Xvfb) on a profile whose built-in store cannot start: the Store tab says
why in a sentence with *Try again* within seconds — never a silent wait — the failure is logged, and *Try again*
brings the store up once the cause is gone.

Two causes a fan's machine really has: the store's cache folder is a link to a folder that does not exist (what
hung the suite on a fresh machine: `mkdir` on a dangling link raised `FileExistsError` on a worker), and a store
folder nobody may write to (root ignores file modes, so as root the folder is made immutable with `chattr +i`).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.main import LaunchOptions, RunningApp, build_app
from app.paths import AppPaths
from app.store.vault import LicenseVault
from app.ui.application import create_application
from app.ui.store.page import StorePage
from tests.support.demo import demo_media_cache
from tests.support.net import loopback_address

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
SHOWN_WITHIN_MS = 20_000  # "within seconds": the failure is found before any child process is started


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppPaths]:
    monkeypatch.setenv("BUNDLECAST_HOME", str(tmp_path / "home"))
    paths = AppPaths.from_environment().ensure()
    yield paths
    LicenseVault().forget_store(f"embedded:{(paths.data / 'store').resolve()}")


def start(qtbot: QtBot, paths: AppPaths) -> RunningApp:
    create_application()
    running = build_app(paths, LaunchOptions(loopback_test_address=loopback_address()))
    assert running is not None
    qtbot.waitExposed(running.desktop.window)
    return running


def store_page(running: RunningApp) -> StorePage:
    assert running.window.store is not None
    return running.window.store.store_page


def wait_for_the_failure_sentence(qtbot: QtBot, page: StorePage) -> str:
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.unavailable, timeout=SHOWN_WITHIN_MS)
    assert page.unavailable.isVisible() and page.unavailable.try_again_button.isVisible()
    assert page.unavailable.try_again_button.text() == "Try again"
    assert page.store_name.text() == "Store unavailable"
    return page.unavailable.sentence.text()


def try_again_and_see_the_catalog(qtbot: QtBot, page: StorePage) -> None:
    page.unavailable.try_again_button.click()
    # The demo media are cached by then on most runs (a second or two to publish); the first run builds them.
    qtbot.waitUntil(lambda: page.grid.grid.count() >= 5, timeout=300_000)
    assert page.stack.currentWidget() is page.grid
    assert "demo" in page.store_name.text()


def test_a_dangling_cache_link_is_a_sentence_and_try_again_works_once_the_folder_exists(
    qtbot: QtBot, profile: AppPaths, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "media-cache-not-made-yet"
    (profile.cache / "store").symlink_to(missing, target_is_directory=True)
    caplog.set_level(logging.ERROR, logger="app.store.embedded")
    running = start(qtbot, profile)
    try:
        page = store_page(running)
        sentence = wait_for_the_failure_sentence(qtbot, page)
        assert sentence == (f"The built-in store's folder {profile.cache / 'store'} is a link to a folder that "
                            "doesn't exist. Create that folder or remove the link, then try again.")
        assert "FileExistsError" in caplog.text  # logged with its detail for whoever reads the log
        assert "Errno" not in sentence and "Error" not in sentence  # a sentence, not an exception's text
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert running.desktop.window.grab().save(str(SHOTS / "store-unavailable.png"))

        missing.symlink_to(demo_media_cache(), target_is_directory=True)  # the folder is there now
        try_again_and_see_the_catalog(qtbot, page)
    finally:
        running.desktop.request_quit()
        running.shutdown()


def make_unwritable(folder: Path) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o500)
        return
    chattr = shutil.which("chattr")
    made = chattr and subprocess.run([chattr, "+i", str(folder)], capture_output=True, check=False).returncode == 0
    if not made:
        pytest.skip(f"running as root on a file system without chattr +i ({folder}): no way to deny root a write")


def make_writable(folder: Path) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o700)
    else:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_an_unwritable_store_folder_is_a_sentence_and_try_again_works_once_it_is_writable(
    qtbot: QtBot, profile: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    (profile.cache / "store").symlink_to(demo_media_cache(), target_is_directory=True)
    store_folder = profile.data / "store"
    store_folder.mkdir(mode=0o700)
    make_unwritable(store_folder)
    caplog.set_level(logging.ERROR, logger="app.store.embedded")
    running = None
    try:
        running = start(qtbot, profile)
        page = store_page(running)
        sentence = wait_for_the_failure_sentence(qtbot, page)
        assert sentence == (f"Bundlecast isn't allowed to write in the built-in store's folder {store_folder}. "
                            "Make that folder writable for you, then try again.")
        assert "PermissionError" in caplog.text

        make_writable(store_folder)
        try_again_and_see_the_catalog(qtbot, page)
    finally:
        make_writable(store_folder)
        if running is not None:
            running.desktop.request_quit()
            running.shutdown()
