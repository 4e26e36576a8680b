"""The broadcaster: the encoder on a thread of its own, signing each cut block and publishing it from the origin.

``Broadcaster.start`` opens the origin node (the live swarm's root, a few copies of each block per stripe) and the
origin's HTTP server (the viewers' last resort), then runs ``LiveEncoder`` on a worker thread; each block it cuts
is handed to the event loop, numbered, signed with the stream key (encrypted first for a paid stream) and pushed.
A block's bytes leave as the encoder writes them, frame by frame (``LiveNode.publish_open``); once it is cut, its
last bytes and the signature follow — the swarm relays a block while it is being made, and the whole block is in
the origin's store for pulls and HTTP from then on.
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

from app.live.blocks import Block, BlockVerifier, OpenBlock, StreamSigner
from app.live.encoder import EncoderSettings, FrameSource, LiveEncoder
from app.live.link import LinkProfile
from app.live.node import LiveNode, NodeConfig
from app.live.origin_http import OriginHttpServer
from app.live.ts_cutter import BlockBytes, CutBlock


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
        self._encoder = LiveEncoder(settings, self._from_encoder, self._bytes_from_encoder)
        self._open: OpenBlock | None = None  # the block being made
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

    def _bytes_from_encoder(self, fresh: BlockBytes) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._send_open, fresh)

    def _send_open(self, fresh: BlockBytes) -> None:
        """Bytes of the block being made: sign nothing yet, send them on (open parts)."""
        if fresh.offset == 0:
            self._abandon_open()
            self._open = self._signer.open_block(self._next_seq, fresh.capture_ms, keyframe=fresh.keyframe)
        block = self._open
        if block is None or block.plain_bytes != fresh.offset:
            return  # not the start of a block we are making: its bytes go with the whole block
        start = 0 if fresh.offset == 0 else block.size()  # the header goes with the first bytes
        block.add(fresh.data)
        self.node.publish_open(block.seq, start, block.wire_from(start))

    def _abandon_open(self) -> None:
        """Never reuse the number of a block whose bytes left but that was not closed (the encoder's contract says
        it cannot happen): the swarm holds its start, and other bytes under that number would look forged."""
        if self._open is not None:
            self._open = None
            self._next_seq += 1

    def _publish(self, cut: CutBlock) -> None:
        opened = self._open
        if opened is not None and opened.capture_ms == cut.capture_ms and opened.plain_bytes <= len(cut.data):
            self._open = None
            opened.add(cut.data[opened.plain_bytes :])
            block = opened.close()
        else:
            self._abandon_open()
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
