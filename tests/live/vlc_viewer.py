"""A viewer that plays through the app's player: live swarm → play-out → stream server → headless VLC.

The viewer runs on an asyncio loop of its own thread and feeds every played block to a ``LiveTsSource`` registered on
the loopback ``StreamServer`` (token, 127.0.0.1); VLC opens that URL with a small network cache and hands each
decoded picture to a tap, which reads the clock burnt into the picture. Used by the VLC test and bench/live.py.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from app.bundle import SignedManifest
from app.live.access import trusted_stream
from app.live.clock_stamp import delay_ms, read_clock
from app.live.link import LinkProfile
from app.live.node import NodeConfig
from app.live.node_config import LIVE_DELAY_S
from app.live.viewer import PlayedBlock, Viewer
from app.player.live_source import LiveTsSource
from app.player.server import StreamServer
from app.player.video import DEFAULT_NETWORK_CACHING_MS, PlaybackEvent, VideoBackend
from tests.live.swarm import LiveBundle

TAP_WIDTH, TAP_HEIGHT = 320, 180
FED_KEPT = 256  # blocks whose feed time is kept (a minute of blocks)


@dataclass
class PictureClock:
    shown_at: float  # wall clock when VLC displayed the picture
    capture_mod_ms: int  # the capture clock read from the picture (ms mod 2**32)

    @property
    def delay_s(self) -> float:
        return delay_ms(self.capture_mod_ms, int(self.shown_at * 1000)) / 1000


@dataclass
class VlcLiveViewer:
    bundle: LiveBundle
    host: str
    peers: list[tuple[str, int]]
    port: int = 0
    delay_s: float = LIVE_DELAY_S
    upload_bps: float | None = None
    stream_bps: float = 700_000
    link: Any = LinkProfile
    network_caching_ms: int = DEFAULT_NETWORK_CACHING_MS  # what the app's player asks VLC for
    clocks: list[PictureClock] = field(default_factory=list)
    # VLC's own share of the delay: for each block's first picture, (shown at, seconds from fed to shown).
    vlc_shares: list[tuple[float, float]] = field(default_factory=list)
    _fed_at: dict[int, float] = field(default_factory=dict)  # block capture (ms mod 2**32) -> wall time fed to VLC
    unreadable: int = 0
    events: list[PlaybackEvent] = field(default_factory=list)
    viewer: Viewer | None = None
    tracker_url: str | None = None  # the store's announce URL: the viewer meets the swarm there, as the app's does

    def start(self) -> None:
        self._source = LiveTsSource()
        self._server = StreamServer()
        self._server.start()
        url = self._server.register("live", self._source)
        self._backend = VideoBackend(headless=True, network_caching_ms=self.network_caching_ms)
        self._player = self._backend.create_player(self.events.append)
        self._player.tap_pictures(TAP_WIDTH, TAP_HEIGHT, self._on_picture)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-viewer", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the live viewer did not start")
        self._player.open(url, live=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start_viewer())
        self._ready.set()
        self._loop.run_forever()

    async def _start_viewer(self) -> None:
        signed = SignedManifest.from_dict(json.loads(self.bundle.manifest_path.read_text()))
        _manifest, section, verifier = trusted_stream(signed, self.bundle.store_key.public_key)
        config = NodeConfig(
            stream_id=bytes.fromhex(section.stream_id),
            host=self.host,
            port=self.port,
            origin_url=section.origin_url,
            delay_s=self.delay_s,
            upload_bps=self.upload_bps,
            stream_bps=self.stream_bps,
            link=self.link,
        )
        self.viewer = Viewer(config, verifier, on_play=self._on_play)
        await self.viewer.start(self.peers, tracker_url=self.tracker_url, announce_interval_s=5.0)

    def _on_play(self, block: PlayedBlock) -> None:
        self._fed_at[block.capture_ms % (1 << 32)] = time.time()
        if len(self._fed_at) > FED_KEPT:
            del self._fed_at[next(iter(self._fed_at))]
        self._source.feed(
            block.data, keyframe=block.keyframe, skipped_ms=block.skipped_ms, lag_change_ms=block.lag_change_ms
        )

    def _on_picture(self, rgbx: bytes) -> None:
        # On a VLC thread: read the clock (cheap: 40 samples) and keep it.
        def luma(x: int, y: int) -> int:
            return rgbx[(y * TAP_WIDTH + x) * 4 + 1]  # RV32: B, G, R, X — green tracks luminance

        clock = read_clock(luma, TAP_WIDTH, TAP_HEIGHT)
        if clock is None:
            self.unreadable += 1
        else:
            shown = time.time()
            self.clocks.append(PictureClock(shown, clock))
            fed = self._fed_at.get(clock)
            if fed is not None:
                self.vlc_shares.append((shown, shown - fed))

    def stop(self) -> None:
        self._player.release()
        self._source.close()
        self._server.stop()
        if self.viewer is not None:
            asyncio.run_coroutine_threadsafe(self.viewer.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._backend.release()
