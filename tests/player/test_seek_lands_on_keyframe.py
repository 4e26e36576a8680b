"""A seek shows a picture from the keyframe at or before the target at once, through the real parts (the
stream server and headless VLC decoding): the player seeks fast (``:input-fast-seek``) instead of decoding
from that keyframe up to the exact moment, which after a seek into a part still downloading meant waiting
for a second piece of the torrent (bench/stream.py, FIELD-NOTES-FOUND "Seek after a not-yet-downloaded
position").

The test clip has a keyframe every 2 s (tests/player/media.py); the seek aims between two of them.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

import pytest

from app.player.server import StreamServer
from app.player.sources import FileSource
from app.player.video import PlaybackEvent, TimeChanged, VideoBackend
from tests.player.media import cached_test_video

KEYFRAME_EVERY_MS = 2000
TARGET_MS = 9000  # between the keyframes at 8 s and 10 s


class _Events:
    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[PlaybackEvent] = queue.SimpleQueue()

    def put(self, event: PlaybackEvent) -> None:
        self.queue.put(event)

    def wait_for(self, predicate: Callable[[PlaybackEvent], bool], timeout: float = 30) -> PlaybackEvent:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if predicate(event):
                return event
        raise AssertionError("the player never reported the awaited event")


@pytest.mark.timeout(90)
def test_a_seek_between_keyframes_lands_on_the_keyframe_before_it(server: StreamServer) -> None:
    clip = cached_test_video("pilot", seconds=20, seed=1)
    url = server.register("clip", FileSource(clip, "video/mp4"))
    backend = VideoBackend(headless=True)
    events = _Events()
    player = backend.create_player(events.put)
    try:
        player.open(url)
        events.wait_for(lambda e: isinstance(e, TimeChanged) and e.time_ms > 0)
        player.seek_ms(TARGET_MS)
        # VLC echoes the requested time at once; then its clock runs from the picture it shows. Seeking fast,
        # that is the keyframe before the target (7.95 s here); decoding up to the target, the clock never
        # reads below 9 s again (measured: 9.30 s first).
        landed = events.wait_for(
            lambda e: isinstance(e, TimeChanged) and TARGET_MS - KEYFRAME_EVERY_MS - 500 <= e.time_ms < TARGET_MS,
            timeout=15,
        )
        assert isinstance(landed, TimeChanged)
    finally:
        player.release()
        backend.release()
