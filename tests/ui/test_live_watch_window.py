"""Watching a live broadcast in the app: a broadcaster process (``app.live.headless broadcast``), and the app's Live
page with real VLC drawing into a real Qt window on Xvfb, fed through the loopback stream server.

The picture is read back from the screen: the clock the broadcaster burnt into every picture must advance, and the
line under it must say LIVE and how far behind the source it is. A paid broadcast without a ticket shows the offer,
plays nothing, and still relays the stream's blocks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from app.engine import Engine
from app.library import BundleAdder, LibraryIndex, StoreBackend
from app.live.clock_stamp import read_clock
from app.player.playback import Playback
from app.player.server import StreamServer
from app.player.video import VideoBackend
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.vault import LicenseVault
from app.ui.assembly import PlayerDependencies
from app.ui.player.live_host import RELAYING_SENTENCE, LiveWatchHost
from app.ui.player.live_session import store_live_loader
from app.ui.player.live_view import WAITING_TEXT, LiveView
from app.ui.tasks import ThreadPoolTaskRunner
from tests.live.store_live import go_live
from tests.storefront.store_support import StoreProcess, serve_empty_store
from tests.support.net import loopback_address
from tests.ui.store_driving import new_email, payment_dialog, press, sign_up_in_dialog
from tests.ui.store_fixtures import close_store_window, open_store_window

pytestmark = pytest.mark.timeout(150, method="thread")
LIGHT = ["--kbps", "600", "--width", "320", "--height", "180", "--announce-interval", "1"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreProcess]:
    yield from serve_empty_store(tmp_path_factory, "live-watch-store")


@pytest.fixture(scope="module")
def backend() -> Iterator[VideoBackend]:
    backend = VideoBackend(args=["--aout=dummy"])
    yield backend
    backend.release()


def _clock_on_screen(view: LiveView) -> int | None:
    """The clock in the picture VLC shows (16:9, letterboxed into the video frame), read from a screen grab."""
    frame = view.video
    width, height = frame.width(), frame.height()
    shown_w, shown_h = (height * 16 // 9, height) if width * 9 > height * 16 else (width, width * 9 // 16)
    origin = frame.mapToGlobal(frame.rect().topLeft())
    x0, y0 = origin.x() + (width - shown_w) // 2, origin.y() + (height - shown_h) // 2
    image: QImage = QGuiApplication.primaryScreen().grabWindow(0, x0, y0, shown_w, shown_h).toImage()
    clock = read_clock(lambda x, y: image.pixelColor(x, y).green(), shown_w, shown_h)
    return None if clock == 0 else clock  # a black picture (before the first one) reads as 0 with a good checksum


def _host(qtbot: QtBot, server: StreamServer, video: VideoBackend, store: StoreProcess, home: Path,
          service: str) -> LiveWatchHost:  # fmt: skip
    """The app's Live tab with its real parts: the store backend and the license vault, the adder's manifest check."""
    view = LiveView()
    view.resize(720, 520)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    vault = LicenseVault(service=service)
    backend = StoreBackend(lambda: StoreAccount(StoreClient(store.url), vault, store_ref=store.url))
    adder = BundleAdder(backend, None, LibraryIndex(home / "library.json"), lambda: home)  # type: ignore[arg-type]
    load = store_live_loader(backend, adder.verified_manifest, listen_host=loopback_address())
    playback = Playback(engine=None, server=server)  # type: ignore[arg-type]  # live needs no torrent engine
    return LiveWatchHost(view, playback, video, ThreadPoolTaskRunner(), load, kept_root=home / "live-kept")


def test_the_app_plays_a_live_broadcast_with_live_and_its_delay_and_the_burnt_in_clock_advances(
    qtbot: QtBot, tmp_path: Path, server: StreamServer, backend: VideoBackend, store: StoreProcess
) -> None:
    on_air = go_live(store, tmp_path, "Rooftop session", {"gate": "free"}, *LIGHT)
    broadcaster = on_air.broadcaster
    host: LiveWatchHost | None = None
    shut = False
    service = f"Bundlecast-livewatch-{uuid.uuid4().hex[:10]}"
    try:
        host = _host(qtbot, server, backend, store, tmp_path / "app", service)
        view = host.view
        host.watch(on_air.bundle_id)
        qtbot.waitUntil(lambda: host.session is not None, timeout=20_000)
        qtbot.waitUntil(lambda: view.delay_label.text().endswith("s behind"), timeout=30_000)
        assert view.live_badge.isVisible() and view.live_badge.text() == "LIVE"
        assert view.title_label.text() == "Rooftop session — live"
        # The app met the broadcaster through the store's tracker (no address was given to it).
        assert host.session is not None and host.session.plan.peers == ()
        viewer = host.session.viewer
        assert viewer is not None and viewer.discovery is not None and viewer.discovery.stats.announces >= 1
        delay = float(view.delay_label.text().split()[0])
        assert 0.5 < delay < 30
        # The picture in the window is the broadcaster's, and its clock moves on.
        readings: list[int] = []

        def clock_reads(at_least: int) -> bool:
            clock = _clock_on_screen(view)
            if clock is not None and clock >= at_least:
                readings.append(clock)
                return True
            return False

        qtbot.waitUntil(lambda: clock_reads(1), timeout=20_000)
        qtbot.waitUntil(lambda: clock_reads(readings[0] + 1500), timeout=20_000)
        made = [b["capture_ms"] % (1 << 32) for b in broadcaster.of("block")]
        # Pictures the broadcaster made (not before its first block, not after its newest), the later one 1.5 s on.
        assert min(made) <= readings[0] < readings[1] <= max(made) + 1000
        # The line keeps updating: the share of bytes from peers is said once bytes arrived (here all from the origin).
        assert view.peers_label.text().endswith("% from other viewers")
        figures = host.session.figures() if host.session else None
        assert figures is not None and figures.played >= 6 and figures.can_play
        # The broadcaster goes away: the line says the app is waiting, not a delay that no longer holds.
        broadcaster.stop()
        qtbot.waitUntil(lambda: view.delay_label.text() == WAITING_TEXT, timeout=15_000)
        host.shutdown()
        shut = True
        # What it played is kept in the recording's layout, for the recording's release (tests/live/…recording).
        kept = sorted((tmp_path / "app" / "live-kept" / on_air.bundle_id / "recording").glob("segment-*.ts"))
        assert kept and all(path.stat().st_size > 0 for path in kept)
    finally:
        if host is not None and not shut:
            host.shutdown()
        broadcaster.stop()
        LicenseVault(service=service).forget_store(store.url)


def test_a_paid_broadcast_without_a_ticket_shows_the_offer_plays_nothing_and_still_relays(
    qtbot: QtBot, tmp_path: Path, server: StreamServer, backend: VideoBackend, store: StoreProcess
) -> None:
    on_air = go_live(store, tmp_path, "Paid rooftop", {"gate": "price", "price_cents": 500}, *LIGHT)
    broadcaster = on_air.broadcaster
    host: LiveWatchHost | None = None
    service = f"Bundlecast-livewatch-{uuid.uuid4().hex[:10]}"
    try:
        host = _host(qtbot, server, backend, store, tmp_path / "app", service)
        view = host.view
        host.watch(on_air.bundle_id)
        qtbot.waitUntil(lambda: host.session is not None, timeout=20_000)
        assert view.showing_offer
        assert view.offer_panel.headline.text() == "This broadcast needs a ticket."
        assert view.offer_panel.button.text() == "Buy a ticket — $5.00"
        assert view.offer_panel.reason.text() == RELAYING_SENTENCE
        session = host.session
        assert session is not None and session.url is None
        qtbot.waitUntil(lambda: session.figures().relayed >= 8, timeout=30_000)
        figures = session.figures()
        assert figures.played == 0 and not figures.can_play
        assert server.bytes_sent(session.live_id) == 0
        with qtbot.waitSignal(host.offer_requested, timeout=2_000) as asked:
            view.offer_panel.button.click()
        assert asked.args == [on_air.bundle_id]
        assert not (tmp_path / "app" / "live-kept").exists()  # nothing of a stream it cannot read is kept
    finally:
        if host is not None:
            host.shutdown()
        broadcaster.stop()
        LicenseVault(service=service).forget_store(store.url)


def test_a_ticket_bought_in_the_store_tab_plays_the_paid_broadcast_in_the_live_tab(
    qtbot: QtBot, tmp_path: Path, server: StreamServer, backend: VideoBackend, store: StoreProcess
) -> None:
    """The whole window as app.main assembles it: Store tab → Buy a ticket (test card) → Watch → the Live tab plays
    the paid broadcast, decrypted with the ticket from the keyring."""
    on_air = go_live(store, tmp_path, "Night ferry live", {"gate": "price", "price_cents": 500}, *LIGHT)
    service = f"Bundlecast-livewatch-{uuid.uuid4().hex[:10]}"

    def player(engine: Engine) -> PlayerDependencies:
        return PlayerDependencies(Playback(engine, server), backend, live_listen_host=loopback_address())

    window = open_store_window(qtbot, tmp_path / "app", store.url, service, player)
    try:
        window.desktop.window.resize(1100, 760)
        row = window.section.live_row
        qtbot.waitUntil(lambda: any("Night ferry live" in line for line in row.lines()), timeout=60_000)
        lists = (row.live_list, row.upcoming_list)
        item = next(w.item(i) for w in lists for i in range(w.count()) if "Night ferry" in w.item(i).text())
        with qtbot.waitSignal(window.section.actions.bundle_loaded, timeout=30_000):
            item.listWidget().itemClicked.emit(item)
        page = window.section.store_page.bundle_page
        press(window, "buy")
        sign_up_in_dialog(qtbot, window, new_email())
        dialog = payment_dialog(qtbot, window)
        dialog.number.setText("4242424242424242")
        dialog.cvc.setText("123")
        with qtbot.waitSignal(window.section.actions.purchase_completed, timeout=60_000):
            dialog.ok_button.click()
        qtbot.waitUntil(lambda: page.visible_actions() == ["Watch"], timeout=30_000)
        press(window, "watch")
        live = window.window.live
        assert live is not None
        qtbot.waitUntil(lambda: window.desktop.window.tabs.currentWidget() is live.view, timeout=10_000)
        qtbot.waitUntil(lambda: live.view.delay_label.text().endswith("s behind"), timeout=40_000)
        assert live.view.title_label.text() == "Night ferry live — live" and not live.view.showing_offer
        session = live.session
        assert session is not None and session.plan.ticket is not None and session.plan.manifest.live is not None
        assert session.plan.manifest.live.encrypted and session.figures().played > 0
        qtbot.waitUntil(lambda: _clock_on_screen(live.view) is not None, timeout=20_000)  # the picture, decrypted
    finally:
        close_store_window(window)
        on_air.broadcaster.stop()
        LicenseVault(service=service).forget_store(store.url)
