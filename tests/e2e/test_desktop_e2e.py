"""End to end: the real app, as `app.main` builds it, under Xvfb — the embedded demo store as a child process,
the real engine, the real keyring, real VLC.

A fan signs up and buys the demo album with the test card; the license is in the keyring; the download finishes
in Transfers and the bundle turns ready in Library. A screenshot of each tab goes to artifacts/e2e/. Then the
app quits (resume data saved) and starts again in-process: the account, the license, the torrent (complete,
not fetched again) and the library are all still there. Finally the real `python -m app` starts on the same
profile as a subprocess, stays up, hands a second launch's arguments over, and quits in order on SIGTERM,
taking its embedded store down with it. *Watch pilot* plays in the window while it downloads; and the Library
shows the series' cover and episodes with their progress, and *Continue watching* resumes the pilot where it was
left after a restart (double-clicks, as a fan gives them).
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from pytestqt.qtbot import QtBot

from app.main import LaunchOptions, RunningApp, build_app
from app.paths import AppPaths
from app.store.vault import LicenseVault
from app.ui.application import create_application
from app.ui.store.dialogs import AccountDialog, PaymentDialog
from app.ui.store.section import StoreSection
from tests.support.demo import demo_media_cache
from tests.support.net import loopback_address
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "e2e"
ALBUM = "Harbor Lights"
EMAIL = "e2e-fan@example.com"
PASSWORD = "a long and careful password"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppPaths]:
    """One profile for the module: the subprocess test starts the real app on what the first test left."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BUNDLECAST_HOME", str(tmp_path_factory.mktemp("e2e") / "home"))
        paths = AppPaths.from_environment().ensure()
        # The embedded store builds the demo catalog into its data dir on first start; generating the media is
        # the slow part, so the store's cache folder points at the media cache every test session shares.
        (paths.cache / "store").symlink_to(demo_media_cache(), target_is_directory=True)
        yield paths
        LicenseVault().forget_store(f"embedded:{(paths.data / 'store').resolve()}")


class EveryLogLine(logging.Handler):
    """Every record of the app's process at DEBUG, formatted with its traceback: what a log file could hold."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture(scope="module")
def every_log_line() -> Iterator[EveryLogLine]:
    root = logging.getLogger()
    handler, level = EveryLogLine(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def start(qtbot: QtBot, paths: AppPaths) -> RunningApp:
    create_application()
    running = build_app(paths, LaunchOptions(loopback_test_address=loopback_address()))
    assert running is not None
    running.desktop.window.resize(1200, 780)
    qtbot.waitExposed(running.desktop.window)
    return running


def section(running: RunningApp) -> StoreSection:
    assert running.window.store is not None
    return running.window.store


def screenshot(qtbot: QtBot, running: RunningApp, page: object, name: str, *, from_screen: bool = False) -> None:
    """The window as drawn by Qt, or as the screen shows it (``from_screen``: with what VLC drew into it)."""
    from PySide6.QtGui import QGuiApplication

    window = running.desktop.window
    window.show_page(page)  # type: ignore[arg-type]
    qtbot.wait(300)
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = QGuiApplication.primaryScreen().grabWindow(int(window.winId())) if from_screen else window.grab()
    assert image.save(str(SHOTS / f"{name}.png"))


def buy_album(qtbot: QtBot, running: RunningApp) -> str:
    store = section(running)
    qtbot.waitUntil(lambda: store.grid.grid.count() >= 5, timeout=300_000)  # the store child builds the demo
    qtbot.waitUntil(lambda: len(store.covers._pixmaps) >= 5, timeout=60_000)
    screenshot(qtbot, running, store.store_page, "store-catalog")
    grid = store.grid.grid
    item = next(grid.item(i) for i in range(grid.count()) if grid.item(i).text().startswith(ALBUM + "\n"))
    with qtbot.waitSignal(store.actions.bundle_loaded, timeout=30_000):
        grid.itemClicked.emit(item)
    store.store_page.bundle_page.buttons["buy"].click()
    qtbot.waitUntil(lambda: isinstance(store.actions.active_dialog, AccountDialog), timeout=10_000)
    account = store.actions.active_dialog
    assert isinstance(account, AccountDialog)
    account.email.setText(EMAIL)
    account.password.setText(PASSWORD)
    account.new_account.setChecked(True)
    account.ok_button.click()
    qtbot.waitUntil(lambda: isinstance(store.actions.active_dialog, PaymentDialog), timeout=60_000)
    payment = store.actions.active_dialog
    assert isinstance(payment, PaymentDialog)
    assert payment.number.text() == "4242424242424242"  # the demo's succeeding test card
    with qtbot.waitSignal(store.actions.bundle_added, timeout=60_000) as added:
        payment.ok_button.click()
    return str(added.args[1])


def store_ref_of(paths: AppPaths) -> str:
    return f"embedded:{(paths.data / 'store').resolve()}"


def license_tokens_in_keyring(paths: AppPaths) -> list[str]:
    """Read the keyring directly (not through the app): the index entry and each license entry."""
    store_ref = store_ref_of(paths)
    index = keyring.get_password("Bundlecast", f"{store_ref} licenses")
    assert index, "no license index in the keyring"
    ids = json.loads(index)["ids"]
    return [keyring.get_password("Bundlecast", f"{store_ref} license {i}") or "" for i in ids]


def _decodes(path: Path) -> bool:
    import av

    try:
        with av.open(str(path)) as container:
            stream = (container.streams.audio or container.streams.video)[0]
            return any(True for _ in container.decode(stream))
    except (av.error.FFmpegError, IndexError, UnicodeDecodeError):
        return False


def _bytes_of(path: Path) -> bytes:
    """A file's bytes, or none if it went away since it was listed (the engine renames resume temp files)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def test_buy_download_quit_and_come_back(qtbot: QtBot, home: AppPaths, every_log_line: EveryLogLine) -> None:
    running = start(qtbot, home)
    try:
        store = section(running)
        tid = buy_album(qtbot, running)
        tokens = license_tokens_in_keyring(home)
        assert len(tokens) == 1 and tokens[0].startswith("bcl1.")
        account = json.loads(keyring.get_password("Bundlecast", f"{store_ref_of(home)} account") or "{}")
        assert account.get("email") == EMAIL
        logged = every_log_line.text()
        assert "bundlecast.store" in logged or "app." in logged  # the handler does see the app's records
        for secret in (PASSWORD, tokens[0], account["token"]):  # never in any log line, at any level
            assert secret not in logged
        assert logged.count('"POST /api/v1/sessions ') == 1  # signing up signs in once (one session, one hash)
        # The license (a secret: it carries the keys) is in the keyring only — in no file of the app's own
        # (the embedded store's data dir is the store's side and is left out).
        store_side = (home.data / "store", home.cache / "store")
        app_files = [p for root in (home.config, home.state, home.data, home.cache) for p in root.rglob("*")
                     if p.is_file() and not any(side in p.parents for side in store_side)]
        assert app_files
        assert not any(tokens[0].encode() in _bytes_of(p) for p in app_files)

        transfers = running.desktop.transfers
        qtbot.waitUntil(lambda: transfers.model.row_of(tid) is not None, timeout=30_000)
        row = lambda: transfers.model.snapshot_at(transfers.model.row_of(tid))  # noqa: E731
        qtbot.waitUntil(lambda: row().progress >= 1.0, timeout=180_000)
        assert row().name == ALBUM
        library = running.window.library_page
        assert library is not None
        qtbot.waitUntil(lambda: library.state_of(ALBUM).startswith("Ready"), timeout=60_000)
        assert store.store_page.account_label.text() == f"Signed in as {EMAIL}"
        # No ciphertext under a name a player opens, anywhere a fan looks: the bought tracks sit as
        # "<name>.mp3.bundlecast-locked"; every file under a media name decodes.
        media = [p for root in (home.downloads, home.config.parent) for p in root.rglob("*")
                 if p.suffix.lower() in (".mp3", ".mp4", ".epub") and home.data not in p.parents
                 and home.cache not in p.parents]
        assert media and all(_decodes(p) for p in media), media
        assert len(list((home.downloads / ALBUM).glob("*.mp3.bundlecast-locked"))) == 3

        transfers.select_torrent(tid)
        library.select_title(ALBUM)
        assert running.window.player is not None
        player_page = running.window.player.page
        for page, name in ((store.store_page, "store"), (library, "library"), (player_page, "player"),
                           (transfers, "transfers"), (running.desktop.settings_page, "settings")):
            screenshot(qtbot, running, page, name)
        downloaded_before = row().total_downloaded
    finally:
        running.desktop.request_quit()
        running.shutdown()

    # --- start again: everything is still there, nothing is fetched again ---
    again = start(qtbot, home)
    try:
        store = section(again)
        transfers = again.desktop.transfers
        qtbot.waitUntil(lambda: transfers.model.row_of(tid) is not None, timeout=30_000)
        snap = transfers.model.snapshot_at(transfers.model.row_of(tid))  # type: ignore[arg-type]
        qtbot.waitUntil(lambda: again.engine.snapshot(tid).progress >= 1.0, timeout=60_000)
        assert again.engine.snapshot(tid).total_downloaded <= downloaded_before
        assert snap.name == ALBUM
        qtbot.waitUntil(lambda: store.store_page.account_label.text() == f"Signed in as {EMAIL}", timeout=120_000)
        library = again.window.library_page
        assert library is not None
        qtbot.waitUntil(lambda: library.state_of(ALBUM).startswith("Ready"), timeout=60_000)
        screenshot(qtbot, again, library, "library-after-restart")
    finally:
        again.desktop.request_quit()
        again.shutdown()


def test_the_real_app_starts_hands_over_and_quits_in_order(home: AppPaths) -> None:
    env = {**os.environ, "BUNDLECAST_HOME": str(home.config.parent), "PYTHONUNBUFFERED": "1"}
    address = loopback_address()
    log = (home.data / "app.log").open("wb")
    app = subprocess.Popen([sys.executable, "-m", "app", "--loopback-test", address], cwd=ROOT, env=env,
                           stdout=log, stderr=subprocess.STDOUT)
    try:
        def store_ready() -> bool:
            assert app.poll() is None, (home.data / "app.log").read_text()
            return (home.data / "store" / "storefront.ready.json").exists()

        wait_until(store_ready, 300, "the embedded store to be ready", 0.2)
        magnet = "magnet:?xt=urn:btih:" + "ef" * 20 + "&dn=handed-over"
        second = subprocess.run([sys.executable, "-m", "app", magnet], cwd=ROOT, env=env, timeout=60, check=False,
                                capture_output=True)
        assert second.returncode == 0
        resume = home.state / "resume"
        # The running app added it and saved it.
        wait_until(lambda: any("ef" * 20 in p.name for p in resume.iterdir()), 60,
                   lambda: f"the handed-over magnet's resume file among {sorted(p.name for p in resume.iterdir())}",
                   0.2)
        store_url = json.loads((home.data / "store" / "storefront.ready.json").read_text())["url"]
        assert store_url.startswith("http://127.0.0.1:")
        app.send_signal(signal.SIGTERM)
        assert app.wait(60) == 0, (home.data / "app.log").read_text()
        assert (home.config / "window.ini").exists()  # the orderly quit ran (geometry saved)
        host, port = store_url.removeprefix("http://").rstrip("/").split(":")
        with pytest.raises(OSError):  # the embedded store, a child process, ended with the app
            socket.create_connection((host, int(port)), timeout=5).close()
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
        log.close()


SERIES = "Lumen Drift: Season One"


def video_pixels_vary(window_id: int) -> bool:
    """Whether the X window VLC draws into shows a picture: grabbed from the screen (Qt's own grab() cannot see
    pixels VLC drew), it must hold more than one colour — a black or blank surface is what a fan must never get."""
    from PySide6.QtGui import QGuiApplication

    image = QGuiApplication.primaryScreen().grabWindow(window_id).toImage()
    width, height = image.width(), image.height()
    samples = {image.pixel(x * width // 16, y * height // 9) for x in range(1, 16) for y in range(1, 9)}
    return len(samples) > 8


def test_watch_pilot_plays_in_the_window_while_it_downloads(
    qtbot: QtBot, home: AppPaths, every_log_line: EveryLogLine
) -> None:
    # The moment the product exists for, through the app as main.py builds it: the store's bundle page, the
    # bundle adder (pilot only), the engine fetching from the store's web seed, the stream server, VLC drawing
    # into the window.
    running = start(qtbot, home)
    try:
        store = section(running)
        qtbot.waitUntil(lambda: store.grid.grid.count() >= 5, timeout=300_000)
        grid = store.grid.grid
        item = next(grid.item(i) for i in range(grid.count()) if grid.item(i).text().startswith(SERIES + "\n"))
        with qtbot.waitSignal(store.actions.bundle_loaded, timeout=30_000):
            grid.itemClicked.emit(item)
        pilot_button = store.store_page.bundle_page.buttons["pilot"]
        assert pilot_button.isVisibleTo(store.store_page) and pilot_button.text() == "Watch pilot"
        pilot_button.click()
        assert running.window.player is not None
        player = running.window.player.page
        qtbot.waitUntil(lambda: running.desktop.window.tabs.currentWidget() is player, timeout=30_000)
        qtbot.waitUntil(lambda: player.time_ms > 1500, timeout=120_000)  # playing, and the clock runs
        current = player.current_item
        assert current is not None and current.file.path == "pilot.mp4"
        assert player.title_label.text() == f"{SERIES} — Pilot"
        assert not player.showing_offer
        qtbot.waitUntil(lambda: video_pixels_vary(int(player.video.winId())), timeout=30_000)
        transfers = running.desktop.transfers
        series_rows = [transfers.model.snapshot_at(r) for r in range(transfers.model.rowCount())]
        series = next(s for s in series_rows if s.name.startswith("Lumen Drift"))
        assert series.wanted_size < series.total_size  # the pilot alone is fetched: the episodes are locked
        screenshot(qtbot, running, player, "player-pilot", from_screen=True)
        # The stream server's URLs carry its session token (/<token>/<file>): no log line may hold one.
        assert "stream server" in every_log_line.text()
        assert not re.search(r"127\.0\.0\.1:\d+/[A-Za-z0-9_-]{40,}/", every_log_line.text())
    finally:
        running.desktop.request_quit()
        running.shutdown()


def _double_click(qtbot: QtBot, view: object, rect: object) -> None:
    """A real double-click (press, release, press, double-click event) at the middle of ``rect`` in ``view``."""
    from PySide6.QtCore import Qt

    viewport, point = view.viewport(), rect.center()  # type: ignore[attr-defined]
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=point)
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=point)


def test_the_library_shows_covers_and_progress_and_continue_watching_resumes_after_a_restart(
    qtbot: QtBot, home: AppPaths
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPixmap

    # Watch the pilot, jump to its middle, quit: the position is written when the app closes.
    running = start(qtbot, home)
    try:
        store = section(running)
        qtbot.waitUntil(lambda: store.grid.grid.count() >= 5, timeout=300_000)
        grid = store.grid.grid
        item = next(grid.item(i) for i in range(grid.count()) if grid.item(i).text().startswith(SERIES + "\n"))
        with qtbot.waitSignal(store.actions.bundle_loaded, timeout=30_000):
            grid.itemClicked.emit(item)
        store.store_page.bundle_page.buttons["pilot"].click()
        assert running.window.player is not None
        player = running.window.player.page
        qtbot.waitUntil(lambda: player.time_ms > 1500, timeout=120_000)
        player.seek(0.5)
        qtbot.waitUntil(lambda: player.time_ms > 55_000, timeout=60_000)
        left_at_ms = player.time_ms
    finally:
        running.desktop.request_quit()
        running.shutdown()

    again = start(qtbot, home)
    try:
        library = again.window.library_page
        assert library is not None and again.window.player is not None
        again.desktop.show_page(library)
        qtbot.waitUntil(lambda: (b := library.bundle_titled(SERIES)) is not None and b.continue_episode is not None,
                        timeout=120_000)
        # The index is asked for afresh each time: the shelf's filter model may re-sort or refilter while the cover
        # loads, and a kept QModelIndex then points at freed memory (a segfault seen once in a full run).
        qtbot.waitUntil(lambda: isinstance(cover := library.grid_index_of(SERIES).data(Qt.ItemDataRole.DecorationRole),
                                           QPixmap) and not cover.isNull(), timeout=60_000)  # its cover
        assert library.select_title(SERIES)
        rows = library.view.episode_rows()
        titles = [title for title, _progress in rows]
        assert titles[0].startswith("Pilot") and titles[1].startswith("Episode 1") and titles[8].startswith(
            "Episode 8")  # titles, not paths, in release order
        pilot_progress = rows[0][1]
        assert pilot_progress.startswith(("0:5", "1:0")) and pilot_progress.endswith("%)")  # where it was left
        assert rows[1][1] == "Locked"  # the season is not this fan's (yet)
        assert library.view.continue_button.text() == f"▶ Continue “{titles[0]}” from {pilot_progress.split()[0]}"
        strip = library.continue_strip
        assert strip.count() >= 1 and strip.item(0).text().startswith(SERIES)
        screenshot(qtbot, again, library, "library-continue-watching")

        # Continue watching: a double-click resumes the pilot where it was left, not from the start.
        player = again.window.player.page
        again.desktop.show_page(library)
        qtbot.waitExposed(strip)
        _double_click(qtbot, strip, strip.visualItemRect(strip.item(0)))
        status = again.desktop.window.status_label
        qtbot.waitUntil(lambda: again.desktop.window.tabs.currentWidget() is player, timeout=30_000)
        qtbot.waitUntil(lambda: player.time_ms > 0, timeout=60_000)
        assert "nothing to play" not in status.text()
        current = player.current_item
        assert current is not None and current.file.path == "pilot.mp4"
        assert abs(player.time_ms - left_at_ms) < 15_000, (player.time_ms, left_at_ms)

        # A double-click on the cover in the grid plays too.
        player.toggle_pause()
        again.desktop.show_page(library)
        qtbot.waitExposed(library.grid)
        with qtbot.waitSignal(library.play_requested, timeout=10_000) as asked:
            _double_click(qtbot, library.grid, library.grid.visualRect(library.grid_index_of(SERIES)))
        assert asked.args[0] == "lumen-drift"
        qtbot.waitUntil(lambda: again.desktop.window.tabs.currentWidget() is player, timeout=30_000)
    finally:
        again.desktop.request_quit()
        again.shutdown()
