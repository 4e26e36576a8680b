"""A book opens in the system's reader from the Library: the fan gets the demo's e-book (e-mail gate), selects it
in the Library and presses *Read* — Bundlecast writes the decrypted copy into Books and hands it to the desktop's
own opener (``xdg-open``, through Qt), which starts the reader registered for EPUB. The reader here is a
recording one registered in a private XDG data/config folder. Real storefront, engine, keyring, window."""

from __future__ import annotations

import stat
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.store.vault import LicenseVault
from tests.ui.store_driving import email_dialog, new_email, open_bundle, press, sign_up_in_dialog, wait_for_catalog
from tests.ui.store_fixtures import StoreWindow, close_store_window, open_store_window

BOOK = "A Field Guide to Small Stars"
EPUB = "application/epub+zip"


@pytest.fixture
def reader_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's reader for EPUB: a desktop entry of a script that writes down each file it is asked to open."""
    log = tmp_path / "reader-opened.txt"
    data, config = tmp_path / "xdg-data", tmp_path / "xdg-config"
    (data / "applications").mkdir(parents=True)
    config.mkdir()
    script = tmp_path / "reader.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{log}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    (data / "applications" / "test-reader.desktop").write_text(
        f"[Desktop Entry]\nType=Application\nName=Test reader\nExec={script} %f\nMimeType={EPUB};\n")
    (config / "mimeapps.list").write_text(f"[Default Applications]\n{EPUB}=test-reader.desktop\n")
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    for variable in ("XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID"):
        monkeypatch.delenv(variable, raising=False)  # a plain X session: xdg-open asks the MIME defaults
    return log


@pytest.fixture
def fan_window(qtbot: QtBot, tmp_path: Path, demo_store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[
        StoreWindow]:
    monkeypatch.setenv("BUNDLECAST_HOME", str(tmp_path))  # Music, Videos and Books under the test's folder
    service = f"Bundlecast-uitest-{uuid.uuid4().hex[:10]}"
    window = open_store_window(qtbot, tmp_path, demo_store_url, service)
    yield window
    close_store_window(window)
    LicenseVault(service=service).forget_store(demo_store_url)


def test_read_in_the_library_opens_the_book_in_the_systems_reader(
    qtbot: QtBot, fan_window: StoreWindow, reader_log: Path, tmp_path: Path
) -> None:
    window = fan_window
    wait_for_catalog(qtbot, window)
    open_bundle(qtbot, window, BOOK)
    press(window, "email")
    sign_up_in_dialog(qtbot, window, new_email())
    dialog = email_dialog(qtbot, window)
    dialog.consent.setChecked(True)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.step == 2, timeout=30_000)
    with qtbot.waitSignal(window.section.actions.bundle_added, timeout=60_000) as added:
        dialog.ok_button.click()
    tid = added.args[1]
    qtbot.waitUntil(lambda: window.engine.snapshot(tid).progress >= 1.0, timeout=120_000)

    library = window.library
    qtbot.waitUntil(lambda: library.select_title(BOOK), timeout=60_000)
    view = library.view
    assert not view.play_button.isVisibleTo(view)  # nothing to play: a book is read
    assert view.read_button.isVisibleTo(view)
    assert [progress for _title, progress in view.episode_rows()] == ["Read"]  # the book's row
    assert not reader_log.exists()
    view.read_button.click()
    qtbot.waitUntil(reader_log.exists, timeout=60_000)
    opened = [Path(line) for line in reader_log.read_text().splitlines()]
    assert opened == [tmp_path / "Books" / BOOK / "a-field-guide-to-small-stars.epub"]
    with zipfile.ZipFile(opened[0]) as epub:  # the decrypted copy: a real EPUB
        assert epub.read("mimetype") == EPUB.encode()
