"""Watching a live bundle in the app, without Qt: the live viewer on an asyncio loop of its own thread, feeding the
stream server's ``LiveTsSource`` that the app's VLC reads.

``load_live_plan`` (blocking: a worker) reads what the store signed — the live bundle's manifest, checked against
the pinned store key — the fan's ticket from the license vault (a license of the live bundle; None without one) and
the paygate offer for a paid stream without a ticket. ``LiveWatchSession`` then runs ``app.live.viewer.Viewer``:
it joins the stream's swarm, relays every verified block (also without a ticket: the stream still travels through
this fan — up to the Settings' upload cap, and not at all while ``set_sharing(False)``: a metered connection),
and, when it can read the stream, hands each played block's plaintext TS (memory only) to the source and
keeps it in the recording's layout under ``kept_root`` (``app.live.recording``; a paid stream only as the recording's
published ciphertext), so the recording, once released, is mostly here already. ``figures()`` is a cheap snapshot
for the player's once-a-second line: delay behind the source and the share of bytes from peers.

Why a thread and not a child process: the played plaintext of a paid stream must reach VLC through this process's
stream server without ever touching a disk or a pipe another process could read, the viewer's work is small
(about four signature checks and a few KB of copying a second, measured well under 1 % of a core in the live bench)
and a thread stops with the window without a process to reap. The UI thread never waits on it: ``start`` and
``stop`` block (up to 10 s) and are called from workers; ``figures`` only reads counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from app.bundle import BundleKind, ContentCipher, License, Manifest
from app.library.playlist import offer_for
from app.live.access import content_key_from_ticket
from app.live.blocks import BlockVerifier
from app.live.node import NodeConfig
from app.live.node_config import LIVE_DELAY_S
from app.live.recording import CipherFor, RecordingWriter, recording_nonce
from app.live.viewer import PlayedBlock, Viewer
from app.player.items import Offer
from app.player.live_source import LiveTsSource
from app.player.playback import Playback

Peer = tuple[str, int]
TICKET_HEADLINE = "This broadcast needs a ticket."
_START_TIMEOUT_S = 10.0
ANNOUNCE_EVERY_S = 5.0  # a viewer that joins meets the others within seconds; the tracker counts it live


class NotALiveBundle(Exception):  # noqa: N818 - a sentence for the fan, like the other user-facing errors
    def __init__(self, title: str) -> None:
        super().__init__(f"“{title}” is not a live broadcast.")


@dataclass(frozen=True, slots=True)
class LiveWatchPlan:
    """What watching needs: the store-signed live manifest, the fan's ticket (or the offer) and where to listen."""

    manifest: Manifest  # verified, kind live
    ticket: License | None
    offer: Offer | None  # a paid stream without a ticket: *Buy a ticket*
    listen_host: str = "127.0.0.1"
    peers: tuple[Peer, ...] = ()  # peers known up front (tests); the store's tracker names the others
    tracker_url: str | None = None  # the store's announce URL: this fan announces and meets the swarm there

    @property
    def bundle_id(self) -> str:
        return self.manifest.bundle_id

    @property
    def title(self) -> str:
        return self.manifest.title

    @property
    def can_play(self) -> bool:
        live = self.manifest.live
        return live is not None and (not live.encrypted or self.content_key is not None)

    @property
    def content_key(self) -> bytes | None:
        return None if self.ticket is None else content_key_from_ticket(self.ticket, self.manifest)


def load_live_plan(
    manifest: Manifest,
    licenses: Sequence[License],
    *,
    listen_host: str = "127.0.0.1",
    peers: Sequence[Peer] = (),
    tracker_url: str | None = None,
) -> LiveWatchPlan:
    """The plan for a verified live manifest and the fan's licenses of it (pure: the caller fetched them)."""
    if manifest.kind is not BundleKind.LIVE or manifest.live is None:
        raise NotALiveBundle(manifest.title)
    ticket = next((lic for lic in licenses if content_key_from_ticket(lic, manifest) is not None), None)
    offer = None
    if manifest.live.encrypted and ticket is None:
        base = offer_for(manifest)
        if base is not None:
            label = base.label.replace("Buy —", "Buy a ticket —", 1)
            offer = dataclasses.replace(base, headline=TICKET_HEADLINE, label=label)
    return LiveWatchPlan(manifest, ticket, offer, listen_host, tuple(peers), tracker_url)


@dataclass(frozen=True, slots=True)
class LiveFigures:
    """One moment of a live session, for the player's line."""

    can_play: bool
    playing: bool  # at least one block went to the player
    delay_s: float | None  # behind the source (play-out target plus stalls); None before play starts
    peer_share: float  # 0…1 of the block bytes that came from peers
    played: int
    skipped: int
    relayed: int  # blocks this fan received (and passes on), readable or not
    stalled_s: float = 0.0  # how long play has waited for the next block (the broadcaster paused, went away, ended)
    sharing: bool = True  # False: this fan passes nothing on (a metered connection)


class LiveWatchSession:
    """One live broadcast watched: the viewer's loop thread, the stream server's source, the figures."""

    def __init__(
        self,
        plan: LiveWatchPlan,
        playback: Playback,
        *,
        delay_s: float = LIVE_DELAY_S,
        upload_bps: float | None = None,  # the Settings' cap (``AppSettings.live_upload_bps``); None: no cap
        sharing: bool = True,  # False: relay nothing from the start (a metered connection)
        kept_root: Path | None = None,
    ) -> None:
        assert plan.manifest.live is not None
        self.plan = plan
        self._playback = playback
        self._delay_s = delay_s
        self._upload_bps = upload_bps
        self._sharing = sharing
        self.recording = _kept_recording(plan, kept_root)
        self._source = LiveTsSource()
        self.live_id = f"live-{plan.manifest.live.stream_id}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.viewer: Viewer | None = None
        self.url: str | None = None

    def start(self) -> str | None:
        """Join the swarm; the URL VLC opens, or None when this fan cannot read the stream (it relays). Blocks."""
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._start_viewer())
            except BaseException as error:  # handed to the caller below
                failure.append(error)
                started.set()
                return
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="live-watch", daemon=True)
        self._thread.start()
        if not started.wait(_START_TIMEOUT_S):
            raise TimeoutError("The live broadcast did not start in time.")
        if failure:
            raise failure[0]
        if self.plan.can_play:
            self.url = self._playback.live_url(self.live_id, self._source)
        return self.url

    async def _start_viewer(self) -> None:
        live = self.plan.manifest.live
        assert live is not None
        config = NodeConfig(
            stream_id=bytes.fromhex(live.stream_id),
            host=self.plan.listen_host,
            origin_url=live.origin_url,
            delay_s=self._delay_s,
            upload_bps=self._upload_bps,
        )
        self.viewer = Viewer(
            config,
            BlockVerifier.from_section(live),
            encrypted=live.encrypted,
            content_key=self.plan.content_key,
            on_play=self._played,
        )
        self.viewer.node.set_sharing(self._sharing)
        await self.viewer.start(
            list(self.plan.peers), tracker_url=self.plan.tracker_url, announce_interval_s=ANNOUNCE_EVERY_S
        )

    def set_sharing(self, on: bool) -> None:
        """Pass the broadcast on to other viewers, or nothing at all (a metered connection), from now on, in this
        session. Any thread; never waits."""
        self._sharing = on
        self._on_viewer_loop(self._apply_sharing)

    def _apply_sharing(self) -> None:  # on the viewer's loop
        if self.viewer is not None:
            self.viewer.node.set_sharing(self._sharing)

    def set_upload_cap(self, upload_bps: float | None) -> None:
        """The Settings' live upload cap changed: it holds from now on, in this session (None: no cap). Any thread;
        never waits."""
        self._upload_bps = upload_bps
        self._on_viewer_loop(self._apply_upload_cap)

    def _apply_upload_cap(self) -> None:  # on the viewer's loop
        if self.viewer is not None:
            self.viewer.node.set_upload_cap(self._upload_bps)

    def _on_viewer_loop(self, apply: Callable[[], None]) -> None:
        """Hand ``apply`` to the viewer's loop (``call_soon_threadsafe``): a change reaches the node there."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing left to tell
                loop.call_soon_threadsafe(apply)

    def _played(self, block: PlayedBlock) -> None:  # on the viewer's loop
        self._source.feed(
            block.data, keyframe=block.keyframe, skipped_ms=block.skipped_ms, lag_change_ms=block.lag_change_ms
        )
        if self.recording is not None:
            self.recording.keep(block.seq, block.data)

    def figures(self) -> LiveFigures:
        viewer = self.viewer
        if viewer is None:
            return LiveFigures(self.plan.can_play, False, None, 0.0, 0, 0, 0, sharing=self._sharing)
        stats = viewer.playout.stats if viewer.playout is not None else None
        counters = viewer.node.counters
        return LiveFigures(
            can_play=viewer.can_play,
            playing=stats is not None and stats.played > 0,
            delay_s=viewer.delay_behind_source_s(),
            peer_share=viewer.peer_share(),
            played=stats.played if stats is not None else 0,
            skipped=stats.gaps if stats is not None else 0,
            relayed=counters.blocks_from_peers + counters.blocks_from_origin,
            stalled_s=viewer.playout.stalled_now(time.time()) if viewer.playout is not None else 0.0,
            sharing=viewer.node.sharing,
        )

    def stop(self) -> None:
        """Leave the swarm (the viewer says goodbye to the tracker) and end the player's stream. Blocks (≤ 10 s)."""
        self._source.close()
        if self.url is not None:
            self._playback.release_live(self.live_id)
        loop, viewer = self._loop, self.viewer
        if loop is None:
            return
        if viewer is not None and not loop.is_closed():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(viewer.stop(), loop).result(_START_TIMEOUT_S)
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(_START_TIMEOUT_S)
        if not loop.is_running():
            loop.close()
        if self.recording is not None:
            self.recording.close()


def kept_folder(kept_root: Path, bundle_id: str) -> Path:
    """Where the app keeps what it played of a live bundle, in the recording's layout (``app.library.kept_recording``
    moves it into place when the recording is added)."""
    return kept_root / bundle_id


def _kept_recording(plan: LiveWatchPlan, kept_root: Path | None) -> RecordingWriter | None:
    """What this fan plays, kept in the recording's layout: a free stream as it is, a paid one only as the
    recording's published ciphertext (the ticket's file key, the nonce fixed in advance); without a ticket nothing."""
    live = plan.manifest.live
    if kept_root is None or live is None or not plan.can_play:
        return None
    cipher_for: CipherFor | None = None
    if live.encrypted:
        ticket = plan.ticket
        assert ticket is not None  # can_play
        stream_id = live.stream_id

        def cipher(path: str) -> ContentCipher | None:
            key = ticket.file_key(path)
            return None if key is None else ContentCipher(key, recording_nonce(stream_id, path))

        cipher_for = cipher
    return RecordingWriter(kept_folder(kept_root, plan.bundle_id), trust_start=False, cipher_for=cipher_for)


class LiveStore(Protocol):
    """The parts of the store backend watching needs (``app.library.StoreBackend``); every call blocks."""

    def bundle(self, bundle_id: str) -> Any: ...  # BundleDetail: .manifest (.payload, .signature), .tracker_url

    def licenses_for_bundle(self, bundle_id: str) -> list[License]: ...


def store_live_loader(
    store: LiveStore,
    verified_manifest: Callable[[str, str], Manifest],
    *,
    listen_host: str = "127.0.0.1",
    find_peers: Callable[[Manifest], Sequence[Peer]] = lambda _manifest: (),
) -> Callable[[str], LiveWatchPlan]:
    """``load(bundle_id)`` for ``LiveWatchHost``: the store's signed manifest (verified with the pinned key), the
    vault's licenses of the bundle, and the store's tracker where the swarm's peers meet."""

    def load(bundle_id: str) -> LiveWatchPlan:
        detail = store.bundle(bundle_id)
        manifest = verified_manifest(detail.manifest.payload, detail.manifest.signature)
        if manifest.bundle_id != bundle_id:
            raise NotALiveBundle(manifest.title)
        return load_live_plan(
            manifest,
            store.licenses_for_bundle(bundle_id),
            listen_host=listen_host,
            peers=find_peers(manifest),
            tracker_url=detail.tracker_url,
        )

    return load
