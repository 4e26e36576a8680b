"""Owned files a fan can use, through the real parts (demo storefront over HTTP, engine, keyring, VLC):
after buying the album no ciphertext sits under a playable name anywhere a fan looks; the owner turns on
playable copies and VLC plays one straight from the Music folder; turned off, the copies are gone."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from pytestqt.qtbot import QtBot

from app.library.locked_files import LOCKED_SUFFIX
from app.player.video import PlaybackEvent, PlaybackFailed, TimeChanged, VideoBackend
from app.store.vault import LicenseVault
from tests.ui.store_driving import (
    email_dialog,
    new_email,
    open_bundle,
    payment_dialog,
    press,
    sign_up_in_dialog,
    wait_for_catalog,
)
from tests.ui.store_fixtures import StoreWindow, close_store_window, open_store_window

ALBUM = "Harbor Lights"
MEDIA_SUFFIXES = {".mp3", ".mp4", ".m4a", ".ogg", ".flac", ".epub", ".pdf", ".mkv", ".webm"}


def decodes(path: Path) -> bool:
    try:
        with av.open(str(path)) as container:
            stream = (container.streams.audio or container.streams.video)[0]
            return any(True for _ in container.decode(stream))
    except (av.error.FFmpegError, IndexError, UnicodeDecodeError):
        return False


@pytest.fixture
def fan_window(qtbot: QtBot, tmp_path: Path, demo_store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[
        StoreWindow]:
    monkeypatch.setenv("BUNDLECAST_HOME", str(tmp_path))  # Music, Videos and Books under the test's folder
    service = f"Bundlecast-uitest-{uuid.uuid4().hex[:10]}"
    window = open_store_window(qtbot, tmp_path, demo_store_url, service)
    yield window
    close_store_window(window)
    LicenseVault(service=service).forget_store(demo_store_url)


def media_files_a_fan_sees(home: Path) -> list[Path]:
    """Every file under a media name in the places a fan opens: downloads, Music, Videos, Books."""
    roots = [home / name for name in ("downloads", "Music", "Videos", "Books")]
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.suffix.lower() in MEDIA_SUFFIXES]


def every_file_a_fan_sees(home: Path) -> list[str]:
    """Every file (hidden ones too) under downloads, Music, Videos and Books, relative to the home."""
    roots = [home / name for name in ("downloads", "Music", "Videos", "Books")]
    return sorted(str(p.relative_to(home)) for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def test_bought_files_are_never_ciphertext_under_a_playable_name_and_copies_play(
    qtbot: QtBot, fan_window: StoreWindow, tmp_path: Path
) -> None:
    window = fan_window
    wait_for_catalog(qtbot, window)
    open_bundle(qtbot, window, ALBUM)
    press(window, "buy")
    sign_up_in_dialog(qtbot, window, new_email())
    dialog = payment_dialog(qtbot, window)
    with qtbot.waitSignal(window.section.actions.bundle_added, timeout=60_000):
        dialog.ok_button.click()
    library = window.library
    qtbot.waitUntil(lambda: library.state_of(ALBUM).startswith("Ready"), timeout=120_000)

    # The locked tracks are on disk under a name no player opens; every file under a media name decodes.
    detail = window.section.store_page.bundle_page.detail
    assert detail is not None
    locked_paths = sorted(f.path for f in detail.files if f.locked)
    free_tracks = sorted(f.path for f in detail.files if not f.locked and f.media_type.startswith("audio/"))
    all_tracks = sorted(f.path for f in detail.files if f.media_type.startswith("audio/"))
    assert len(locked_paths) == 3 and len(free_tracks) == 1
    locked = sorted((window.downloads / ALBUM).glob(f"*{LOCKED_SUFFIX}"))
    assert [p.name for p in locked] == [path + LOCKED_SUFFIX for path in locked_paths]
    assert not any(decodes(p) for p in locked)  # they are the ciphertext the swarm carries
    seen = media_files_a_fan_sees(tmp_path)
    assert [p.name for p in seen] == free_tracks  # the free track, plaintext
    assert all(decodes(p) for p in seen)
    assert not (tmp_path / "Music").exists()  # no copy until the owner asks
    # What the fan finds after buying, file by file: the bundle's folder in Downloads (managed by Bundlecast,
    # docs/CONTRACTS.md "Owned files on disk") with its free files as they are and the bought ones under the
    # locked name; nothing in Music, Videos or Books; no file of the engine's own beside them.
    assert every_file_a_fan_sees(tmp_path) == sorted(
        [f"downloads/{ALBUM}/{f.path}" for f in detail.files if not f.locked]
        + [f"downloads/{ALBUM}/{path}{LOCKED_SUFFIX}" for path in locked_paths])

    # Playable copies on, from the bundle's page: the whole album lands in Music, decrypted.
    page = window.section.store_page.bundle_page
    open_bundle(qtbot, window, ALBUM)
    assert not page.copies_box.isHidden() and not page.copies_box.isChecked()
    copies = window.copies
    with qtbot.waitSignal(copies.copies_written, timeout=60_000):
        page.copies_box.click()
    music = tmp_path / "Music" / ALBUM
    tracks = sorted(p.name for p in music.iterdir())
    assert tracks == all_tracks
    assert all(decodes(music / name) for name in tracks)
    assert not [p for p in music.iterdir() if p.name.startswith(".")]  # no temporary file left behind
    assert all(decodes(p) for p in media_files_a_fan_sees(tmp_path))

    # VLC opens a copy from the Music folder directly (no Bundlecast stream in between) and plays it.
    events: list[PlaybackEvent] = []
    lock = threading.Lock()

    def on_event(event: PlaybackEvent) -> None:
        with lock:
            events.append(event)

    backend = VideoBackend(headless=True)
    player = backend.create_player(on_event)
    try:
        player.open((music / locked_paths[0]).as_uri())
        qtbot.waitUntil(lambda: any(isinstance(e, TimeChanged) and e.time_ms > 300 for e in list(events)),
                        timeout=15_000)
        assert not any(isinstance(e, PlaybackFailed) for e in events)
    finally:
        player.release()
        backend.release()

    # The choice is kept; a new window sees it ticked.
    open_bundle(qtbot, window, ALBUM)
    assert page.copies_box.isChecked()

    # Off: the copies (and the album's folder in Music) are gone; the bundle itself stays.
    with qtbot.waitSignal(copies.copies_written, timeout=60_000):
        page.copies_box.click()
    assert not music.exists()
    assert len(locked) == len(list((window.downloads / ALBUM).glob(f"*{LOCKED_SUFFIX}")))

    # On again, with "remove them when I remove the bundle": removing the bundle takes its copies along.
    with qtbot.waitSignal(copies.copies_written, timeout=60_000):
        page.copies_box.click()
    assert sorted(p.name for p in music.iterdir()) == all_tracks
    page.remove_copies_box.click()
    qtbot.waitUntil(lambda: copies.copies.choices.remove_with_bundle, timeout=10_000)
    tid = next(iter(copies.seen))
    with qtbot.waitSignal(copies.copies_written, timeout=60_000):
        window.engine.remove(tid, delete_data=True)
    assert not music.exists()


def test_read_opens_the_book_decrypted_in_the_systems_reader(qtbot: QtBot, fan_window: StoreWindow,
                                                             tmp_path: Path) -> None:
    import zipfile

    window = fan_window
    wait_for_catalog(qtbot, window)
    open_bundle(qtbot, window, "A Field Guide to Small Stars")
    press(window, "email")
    email = new_email()
    sign_up_in_dialog(qtbot, window, email)
    dialog = email_dialog(qtbot, window)
    dialog.consent.setChecked(True)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.step == 2, timeout=30_000)
    with qtbot.waitSignal(window.section.actions.bundle_added, timeout=60_000) as added:
        dialog.ok_button.click()
    tid = added.args[1]
    qtbot.waitUntil(lambda: window.engine.snapshot(tid).progress >= 1.0, timeout=120_000)
    book_dir = window.downloads / "A Field Guide to Small Stars"
    assert [p.name for p in book_dir.iterdir()] == ["a-field-guide-to-small-stars.epub.bundlecast-locked"]
    opened: list[str] = []
    copies = window.copies
    copies._open_url = lambda url: opened.append(url.toLocalFile()) or True  # the system's reader, recorded
    page = window.section.store_page.bundle_page
    qtbot.waitUntil(lambda: not page.buttons["read"].isHidden(), timeout=30_000)
    failures: list[str] = []
    copies.failed.connect(failures.append)
    page.buttons["read"].click()
    qtbot.waitUntil(lambda: bool(opened or failures), timeout=60_000)
    assert not failures
    assert len(opened) == 1
    book = Path(opened[0])
    assert book.parent == tmp_path / "Books" / "A Field Guide to Small Stars" and book.suffix == ".epub"
    with zipfile.ZipFile(book) as epub:  # decrypted: a real EPUB
        assert epub.read("mimetype") == b"application/epub+zip"
