"""The broadcaster: the encoder on a thread of its own, signing each cut block and publishing it from the origin.

``Broadcaster.start`` opens the origin node (the live swarm's root, a few copies of each block per stripe) and the
origin's HTTP server (the viewers' last resort), then runs ``LiveEncoder`` on a worker thread; each block it cuts
is handed to the event loop, numbered, signed with the stream key (encrypted first for a paid stream) and pushed.
Sequence numbers start at a tenth-second count of the wall clock, so a broadcaster that restarts continues above
every number it used before (it makes at most four blocks a second). Runs on one asyncio loop plus the encoder's
thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable

from app.live.blocks import Block, BlockVerifier, StreamSigner
from app.live.encoder import EncoderSettings, FrameSource, LiveEncoder
from app.live.link import LinkProfile
from app.live.node import LiveNode, NodeConfig
from app.live.origin_http import OriginHttpServer
from app.live.ts_cutter import CutBlock


class Broadcaster:
    def __init__(
        self,
        signer: StreamSigner,
        verifier: BlockVerifier,
        config: NodeConfig,
        settings: EncoderSettings,
        *,
        http_link: Callable[[], LinkProfile] = LinkProfile,
        on_block: Callable[[Block, bytes], None] | None = None,  # each signed block and its plaintext TS
    ) -> None:
        self._signer = signer
        self.node = LiveNode(config, verifier)
        self.http = OriginHttpServer(
            self.node.store, config.stream_id.hex(), self.node.uplink, link=http_link, on_block_served=self._served
        )
        self._encoder = LiveEncoder(settings, self._from_encoder)
        self._on_block = on_block
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._next_seq = int(time.time() * 10)
        self.blocks_published = 0
        self.bytes_published = 0
        self.http_copies = 0
        self.publish_lag_s: deque[float] = deque(maxlen=400)  # capture -> published, the newest blocks (encoder lag)
        self.http_port = 0
        self.encoder_error: BaseException | None = None

    async def start(self, source: FrameSource, *, http_port: int = 0) -> None:
        self._loop = asyncio.get_running_loop()
        await self.node.start()
        self.http_port = await self.http.start(self.node.config.host, http_port)
        self._thread = threading.Thread(target=self._encode, args=(source,), name="live-encoder", daemon=True)
        self._thread.start()

    def _encode(self, source: FrameSource) -> None:
        try:
            self._encoder.run(source)
        except BaseException as error:  # reported to the owner: the broadcast stops
            self.encoder_error = error

    async def stop(self) -> None:
        self._encoder.stop()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
        await self.http.stop()
        await self.node.stop()

    def _from_encoder(self, cut: CutBlock) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._publish, cut)

    def _publish(self, cut: CutBlock) -> None:
        block = self._signer.make_block(self._next_seq, cut.capture_ms, cut.data, keyframe=cut.keyframe)
        self._next_seq += 1
        self.blocks_published += 1
        self.bytes_published += len(block.wire)
        self.publish_lag_s.append(time.time() - cut.capture_ms / 1000)
        self.node.publish(block)
        if self._on_block is not None:
            self._on_block(block, cut.data)

    def _served(self, _seq: int) -> None:
        self.http_copies += 1

    def copies_per_block(self) -> float:
        """Bytes the origin uploaded (pushes, pulls, HTTP and control) over the bytes of the blocks it made."""
        made = self.bytes_published
        return self.node.uplink.bytes_sent / made if made else 0.0
