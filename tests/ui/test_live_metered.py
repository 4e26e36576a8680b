"""The Live tab on a metered connection: Qt's metered signal (faked at the Qt level, as in test_transfer_automation)
reaches a running watch session through the transfer automation, as ``app.ui.assembly`` wires it — the app's viewer
stops relaying and the line under the picture says "Not sharing (metered connection)" while it keeps playing; when
the connection is no longer metered it relays again, in the same session. With the Settings' "Don't upload on metered
connections" off, a metered connection changes nothing. The Settings' live upload cap reaches the viewer's node, and
a new cap saved while watching reaches it too, in the same session.

Real parts: a broadcaster process (``app.live.headless broadcast``) on its own 127.x address, the app's viewer on
its loop thread, the loopback stream server and VLC playing into a Qt window on Xvfb.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from app.bundle import SignedManifest, load_public_key
from app.live.access import trusted_stream
from app.player.playback import Playback
from app.player.server import StreamServer
from app.player.video import VideoBackend
from app.settings import AppSettings
from app.ui.assembly import wire_live_sharing_to
from app.ui.player.live_host import LiveWatchHost
from app.ui.player.live_session import LiveWatchPlan, load_live_plan
from app.ui.player.live_view import NOT_SHARING_TEXT, LiveView
from app.ui.tasks import ThreadPoolTaskRunner
from app.ui.transfer_automation import TransferAutomation
from tests.live.swarm import make_live_bundle, start_broadcaster
from tests.support.net import loopback_address
from tests.ui.test_transfer_automation import FakeNetworkInformation

pytestmark = pytest.mark.timeout(120, method="thread")
LIGHT = ["--kbps", "600", "--width", "320", "--height", "180"]


class UploadSwitchOnly:
    """The torrent engine's side of the automation, which this test does not look at: it records the switch."""

    def __init__(self) -> None:
        self.allowed: list[bool] = []

    def set_uploads_allowed(self, allowed: bool) -> None:
        self.allowed.append(allowed)


@pytest.fixture
def owner(qtbot: QtBot) -> Iterator[QObject]:
    parent = QObject()  # deleted on the main thread when the test ends (see test_transfer_automation's owner)
    yield parent
    shiboken6.delete(parent)


@pytest.fixture
def video() -> Iterator[VideoBackend]:
    backend = VideoBackend(args=["--aout=dummy"])
    yield backend
    backend.release()


def test_a_metered_connection_stops_the_live_viewer_relaying_and_its_end_resumes_it_in_the_same_session(
    qtbot: QtBot, tmp_path: Path, owner: QObject, server: StreamServer, video: VideoBackend
) -> None:
    bundle = make_live_bundle(tmp_path, loopback_address())
    broadcaster = start_broadcaster(bundle, *LIGHT)
    host: LiveWatchHost | None = None
    try:
        broadcaster.ready()
        signed = SignedManifest.from_dict(json.loads(bundle.manifest_path.read_text()))
        manifest, _section, _verifier = trusted_stream(signed, load_public_key(bundle.store_key.public_key_b64))
        origin = (bundle.origin_host, bundle.origin_port)

        def load(_bundle_id: str) -> LiveWatchPlan:
            return load_live_plan(manifest, [], listen_host=loopback_address(), peers=[origin])

        settings = [AppSettings(no_upload_on_metered=True, live_upload_kbps=2000)]
        network = FakeNetworkInformation()
        network.setParent(owner)
        tasks = ThreadPoolTaskRunner(parent=owner)
        engine = UploadSwitchOnly()
        automation = TransferAutomation(
            engine,
            tasks,
            lambda: settings[0],
            None,
            network=network,
            parent=owner,  # type: ignore[arg-type]
        )
        view = LiveView()
        qtbot.addWidget(view)
        view.resize(640, 420)
        view.show()
        playback = Playback(engine=None, server=server)  # type: ignore[arg-type]  # live needs no torrent engine
        host = LiveWatchHost(view, playback, video, tasks, load, upload_bps=settings[0].live_upload_bps)
        wire_live_sharing_to(host, automation)
        host.watch(manifest.bundle_id)
        qtbot.waitUntil(lambda: host is not None and host.session is not None, timeout=20_000)
        session = host.session
        assert session is not None and session.viewer is not None
        node = session.viewer.node
        assert node.config.upload_bps == 2_000_000  # the Settings' cap
        qtbot.waitUntil(lambda: view.delay_label.text().endswith("s behind"), timeout=30_000)
        assert node.sharing and view.sharing_label.text() == ""

        network.set_metered(True)
        qtbot.waitUntil(lambda: not node.sharing, timeout=5_000)  # reached the viewer's loop
        assert view.sharing_label.text() == NOT_SHARING_TEXT and not session.figures().sharing
        played = session.figures().played
        qtbot.waitUntil(lambda: session.figures().played >= played + 4, timeout=15_000)  # it still plays
        assert view.sharing_label.text() == NOT_SHARING_TEXT  # the once-a-second line keeps saying so
        qtbot.waitUntil(lambda: engine.allowed == [False], timeout=5_000)  # the torrents stopped too

        network.set_metered(False)
        qtbot.waitUntil(lambda: node.sharing, timeout=5_000)
        assert host.session is session and view.sharing_label.text() == ""  # same session: nobody rejoined

        settings[0] = settings[0].replace(no_upload_on_metered=False)
        network.set_metered(True)
        assert automation.uploads_allowed and host.sharing  # the fan lets it upload on metered connections
        qtbot.waitUntil(lambda: session.figures().played >= played + 8, timeout=15_000)
        assert node.sharing and view.sharing_label.text() == ""

        settings[0] = settings[0].replace(live_upload_kbps=800)  # the fan lowers the cap while watching
        automation.settings_changed(settings[0])  # as the Settings page's save does
        qtbot.waitUntil(lambda: node.uplink.rate_bps == 800_000, timeout=5_000)
        assert node.config.upload_bps == 800_000 and host.session is session  # same session: nobody rejoined
        played = session.figures().played
        qtbot.waitUntil(lambda: session.figures().played >= played + 4, timeout=15_000)  # it still plays
    finally:
        if host is not None:
            host.shutdown()
        broadcaster.stop()
