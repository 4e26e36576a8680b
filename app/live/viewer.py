"""A viewer: a live-swarm node, its repair loop and its play-out buffer, handing played TS to a sink.

``Viewer`` joins the swarm of the live bundle whose signed ``LiveSection`` it is given (the store vouched for the
stream key there), relays every verified block, and — when it can read the stream (free, or a ticket's key for a
paid one) — plays blocks out in order at the stream's delay to ``on_play`` (plaintext in memory only) and reports
skipped ones to ``on_gap``. A viewer without the key relays ciphertext and plays nothing. Runs on one asyncio loop;
``on_play`` and ``on_gap`` are called on it and must not block.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.live.blocks import Block, BlockVerifier, decrypt_payload
from app.live.discovery import TrackerDiscovery
from app.live.node import LiveNode, NodeConfig
from app.live.playout import PlayoutBuffer
from app.live.repair import RepairLoop
from app.live.wakeup import Wakeup


@dataclass(frozen=True, slots=True)
class PlayedBlock:
    seq: int
    capture_ms: int
    keyframe: bool
    data: bytes  # plaintext MPEG-TS
    played_at: float  # wall clock
    skipped_ms: int = 0  # stream time play-out skipped just before this block (a gap)
    # How much later (negative: sooner) this block plays than the one before it, beyond their capture times' spacing:
    # the lag play-out added by a stall, or gave back by a skip, just before it. The player moves this block's clock
    # and every later one's by all of it, so VLC's clock keeps pace with play-out (app.player.live_source).
    lag_change_ms: int = 0


class Viewer:
    def __init__(
        self,
        config: NodeConfig,
        verifier: BlockVerifier,
        *,
        encrypted: bool = False,
        content_key: bytes | None = None,
        on_play: Callable[[PlayedBlock], None] | None = None,
        on_gap: Callable[[int, int], None] | None = None,
    ) -> None:
        self.node = LiveNode(config, verifier, on_block=self._on_block)
        self._content_key = content_key
        self._on_play = on_play
        self._on_gap = on_gap
        self.can_play = not encrypted or content_key is not None
        self.playout: PlayoutBuffer | None = None
        if self.can_play:
            self.playout = PlayoutBuffer(
                delay_s=config.delay_s, on_play=self._play, on_gap=self._gap, block_s=config.block_ms / 1000
            )
        self.repair = RepairLoop(self.node, self._wanted_from, delay_now=self._delay_now)
        self._tick_task: asyncio.Task[None] | None = None
        self._arrived = Wakeup()
        self.joined_at = 0.0
        self.discovery: TrackerDiscovery | None = None
        self._last_played: tuple[int, int] | None = None  # (capture ms, length ms) of the block played last
        self._lag_at_last_play: float | None = None  # play-out's lag (s) when it played the last block
        self._after_gap = False

    async def start(
        self, peers: list[tuple[str, int]], *, tracker_url: str | None = None, announce_interval_s: float = 15.0
    ) -> None:
        """Join the swarm through ``peers`` and, given the store's announce URL, the peers its tracker names."""
        self.joined_at = time.time()
        await self.node.start()
        self.node.add_peers(peers)
        if tracker_url:
            self.discovery = TrackerDiscovery(
                tracker_url,
                self.node.config.stream_id,
                host=self.node.config.host,
                port=self.node.port,
                on_peers=self.node.add_peers,
                interval_s=announce_interval_s,
            )
            self.discovery.start()
        self.repair.start()
        if self.playout is not None:
            self._tick_task = asyncio.create_task(self._tick_loop())

    async def stop(self) -> None:
        if self.discovery is not None:
            await self.discovery.stop()
        if self._tick_task is not None:
            self._tick_task.cancel()
            with contextlib.suppress(BaseException):
                await self._tick_task
        await self.repair.stop()
        await self.node.stop()
        if self.playout is not None:
            self.playout.clear()  # the cyclic GC frees the rest later; the blocks go now

    def _delay_now(self) -> float:
        playout = self.playout
        return self.node.config.delay_s if playout is None else playout.delay_s + playout.lag_s

    def _wanted_from(self) -> int | None:
        return None if self.playout is None else self.playout.wanted_from()

    def _on_block(self, block: Block, via: str) -> None:
        if self.playout is not None:
            self.playout.offer(block, time.time(), via)
            self._arrived.set()

    async def _tick_loop(self) -> None:
        # Sleep until the next block falls due, or a block arrives (it may end a stall): no busy polling.
        assert self.playout is not None
        while True:
            now = time.time()
            self.playout.tick(now)
            self._arrived.clear()
            await self._arrived.wait(self.playout.next_wake(time.time()) + 0.002)

    def _play(self, block: Block) -> None:
        skipped_ms = 0
        if self._last_played is not None:
            last_capture, last_length = self._last_played
            if self._after_gap:  # the skipped time: beyond where the last played block ended
                skipped_ms = max(0, block.capture_ms - last_capture - last_length)
            else:
                last_length = block.capture_ms - last_capture
            self._last_played = (block.capture_ms, last_length)
        else:
            self._last_played = (block.capture_ms, self.node.config.block_ms)
        self._after_gap = False
        lag = self.playout.lag_s if self.playout is not None else 0.0
        lag_change_ms = 0 if self._lag_at_last_play is None else round((lag - self._lag_at_last_play) * 1000)
        self._lag_at_last_play = lag
        if self._on_play is None:
            return
        data = decrypt_payload(block, self._content_key) if block.encrypted and self._content_key else block.payload
        played = PlayedBlock(block.seq, block.capture_ms, block.keyframe, data, time.time(), skipped_ms, lag_change_ms)
        self._on_play(played)

    def _gap(self, first: int, last: int) -> None:
        self._after_gap = True
        if self._on_gap is not None:
            self._on_gap(first, last)

    def delay_behind_source_s(self) -> float | None:
        """The delay play-out holds now (target plus stall lag), for the player's indicator."""
        if self.playout is None or self.playout.stats.started_at is None:
            return None
        return self.playout.delay_s + self.playout.lag_s

    def peer_share(self) -> float:
        """The share of this viewer's block bytes that came from peers rather than the origin."""
        c = self.node.counters
        total = c.block_bytes_from_peers + c.block_bytes_from_origin
        return c.block_bytes_from_peers / total if total else 0.0
