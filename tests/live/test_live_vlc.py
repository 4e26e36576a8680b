"""A live viewer through the app's player: the swarm's blocks reach headless VLC over the loopback stream server,
and the clock burnt into each decoded picture advances."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.live.swarm import make_live_bundle, start_broadcaster, wait_for
from tests.live.vlc_viewer import VlcLiveViewer
from tests.support.net import loopback_address

pytestmark = pytest.mark.timeout(90)


def test_vlc_shows_the_live_pictures_with_an_advancing_burnt_in_clock(tmp_path: Path) -> None:
    bundle = make_live_bundle(tmp_path, loopback_address())
    broadcaster = start_broadcaster(bundle, "--kbps", "600", "--width", "320", "--height", "180")
    viewer = VlcLiveViewer(bundle, loopback_address(), [(bundle.origin_host, bundle.origin_port)])
    try:
        broadcaster.ready()
        viewer.start()
        wait_for(lambda: len(viewer.clocks) >= 75, 40, "VLC to show 3 s of pictures")
        clocks = [c.capture_mod_ms for c in viewer.clocks]
        made = {b["capture_ms"] % (1 << 32) for b in broadcaster.of("block")}
        # The pictures are the broadcaster's: the clock in them advances, frame by frame, over seconds of play.
        assert clocks == sorted(clocks)
        assert clocks[-1] - clocks[0] >= 2000
        assert len(set(clocks)) >= 50
        # Each block's first picture carries that block's capture time.
        assert len(made & set(clocks)) >= 8
        # Nothing from the future: every picture was shown after it was captured.
        assert all(0 <= c.delay_s < 60 for c in viewer.clocks)
        assert viewer.unreadable <= len(viewer.clocks) // 10
    finally:
        viewer.stop()
        broadcaster.stop()
