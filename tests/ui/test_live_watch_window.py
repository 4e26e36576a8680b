"""Watching a live broadcast in the app: a broadcaster process (``app.live.headless broadcast``), and the app's Live
page with real VLC drawing into a real Qt window on Xvfb, fed through the loopback stream server.

The picture is read back from the screen: the clock the broadcaster burnt into every picture must advance, and the
line under it must say LIVE and how far behind the source it is. A paid broadcast without a ticket shows the offer,
plays nothing, and still relays the stream's blocks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from app.bundle import SignedManifest, verify_license, verify_manifest
from app.live.clock_stamp import read_clock
from app.player.playback import Playback
from app.player.server import StreamServer
from app.player.video import VideoBackend
from app.ui.player.live_host import RELAYING_SENTENCE, LiveWatchHost
from app.ui.player.live_session import LiveWatchPlan, load_live_plan
from app.ui.player.live_view import LiveView
from app.ui.tasks import ThreadPoolTaskRunner
from tests.live.swarm import LiveBundle, LiveProcess, make_live_bundle, start_broadcaster
from tests.support.net import loopback_address

pytestmark = pytest.mark.timeout(120, method="thread")


@pytest.fixture(scope="module")
def backend() -> Iterator[VideoBackend]:
    backend = VideoBackend(args=["--aout=dummy"])
    yield backend
    backend.release()


@pytest.fixture
def server() -> Iterator[StreamServer]:
    server = StreamServer()
    server.start()
    yield server
    server.stop()


def _loader(bundle: LiveBundle, ticket: Path | None, host: str):  # type: ignore[no-untyped-def]
    """What the app's loader does with the store's answers: verify the manifest and the ticket, make the plan."""

    def load(bundle_id: str) -> LiveWatchPlan:
        signed = SignedManifest.from_dict(json.loads(bundle.manifest_path.read_text()))
        manifest = verify_manifest(signed, bundle.store_key.public_key)
        assert manifest.bundle_id == bundle_id
        licenses = [verify_license(ticket.read_text(), bundle.store_key.public_key)] if ticket else []
        return load_live_plan(manifest, licenses, listen_host=host, peers=[(bundle.origin_host, bundle.origin_port)])

    return load


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


def _host(qtbot: QtBot, server: StreamServer, backend: VideoBackend, load) -> LiveWatchHost:  # type: ignore[no-untyped-def]
    view = LiveView()
    view.resize(720, 520)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    tasks = ThreadPoolTaskRunner()
    playback = Playback(engine=None, server=server)  # type: ignore[arg-type]  # live needs no torrent engine
    return LiveWatchHost(view, playback, backend, tasks, load)


def test_the_app_plays_a_live_broadcast_with_live_and_its_delay_and_the_burnt_in_clock_advances(
    qtbot: QtBot, tmp_path: Path, server: StreamServer, backend: VideoBackend
) -> None:
    bundle = make_live_bundle(tmp_path, loopback_address())
    broadcaster = start_broadcaster(bundle, "--kbps", "600", "--width", "320", "--height", "180")
    host: LiveWatchHost | None = None
    try:
        broadcaster.ready()
        host = _host(qtbot, server, backend, _loader(bundle, None, loopback_address()))
        view = host.view
        host.watch("live-1")
        qtbot.waitUntil(lambda: host.session is not None, timeout=20_000)
        qtbot.waitUntil(lambda: view.delay_label.text().endswith("s behind"), timeout=30_000)
        assert view.live_badge.isVisible() and view.live_badge.text() == "LIVE"
        assert view.title_label.text() == "A live test broadcast — live"
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
    finally:
        if host is not None:
            host.shutdown()
        broadcaster.stop()


def test_a_paid_broadcast_without_a_ticket_shows_the_offer_plays_nothing_and_still_relays(
    qtbot: QtBot, tmp_path: Path, server: StreamServer, backend: VideoBackend
) -> None:
    bundle = make_live_bundle(tmp_path, loopback_address(), encrypted=True)
    broadcaster: LiveProcess = start_broadcaster(bundle, "--kbps", "400", "--width", "320", "--height", "180")
    host: LiveWatchHost | None = None
    try:
        broadcaster.ready()
        host = _host(qtbot, server, backend, _loader(bundle, None, loopback_address()))
        view = host.view
        host.watch("live-1")
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
        assert asked.args == ["live-1"]
    finally:
        if host is not None:
            host.shutdown()
        broadcaster.stop()
