"""A creator's broadcast, from a trusted live manifest and the stream's private key to blocks on the swarm.

``OnAir`` is what ``bundlecast live broadcast`` and the app's *Go live* dialog run (through the CLI, in a process of
its own): it opens the source the creator named (``app.live.source_spec``), checks the private key matches the
public key the store signed into the manifest, serves the origin at the manifest's ``origin_url`` (its HTTP port;
the overlay listens on the port above unless told otherwise), announces the origin to the store's tracker
(``app.live.discovery``) so viewers find it, and reports ``OnAirFigures`` once a second until the stop event is set
or the source fails. Knows nothing of the store: the caller signs in, fetches and verifies the
manifest and sets the on-air state. Runs on one asyncio loop plus the encoder's thread.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.bundle import LiveSection
from app.live.blocks import BlockVerifier, StreamSigner
from app.live.broadcaster import Broadcaster
from app.live.discovery import TrackerDiscovery
from app.live.encoder import EncoderSettings
from app.live.errors import LiveError, SourceError
from app.live.node import NodeConfig
from app.live.node_config import LIVE_DELAY_S
from app.live.source_spec import SourceSpec, open_source
from app.live.sources import PictureFormat


@dataclass(frozen=True, slots=True)
class OnAirSettings:
    picture: PictureFormat = field(default_factory=PictureFormat)
    video_kbps: int = 1400
    upload_kbps: float = 0  # 0: no cap
    delay_s: float = LIVE_DELAY_S
    listen_host: str | None = None  # default: the origin URL's address, or every interface for a host name
    overlay_port: int | None = None  # default: the origin's HTTP port + 1
    tracker_url: str | None = None  # the store's announce URL: viewers find the origin there (and it them)
    announce_interval_s: float = 15.0


@dataclass(frozen=True, slots=True)
class OnAirFigures:
    viewers: int  # peers connected to the origin's overlay (the swarm's first hops)
    upload_bps: float  # over the last report's interval
    uploaded: int
    blocks: int
    delay_s: float  # how far behind the source viewers play
    http_copies: int  # blocks fetched from the origin's HTTP (the viewers' last resort)
    final: bool = False
    tracker_announces: int = 0  # answered announces of the origin to the store's tracker
    tracker_error: str | None = None  # why the last announce failed (None: it did not)


@dataclass(frozen=True, slots=True)
class OnAirAddress:
    host: str
    overlay_port: int
    http_port: int


def origin_endpoint(origin_url: str) -> tuple[str, int]:
    """The host and port the origin's HTTP server answers at."""
    parts = urlsplit(origin_url)
    if parts.hostname is None:
        raise LiveError(f"The origin address {origin_url} names no host.")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def _listen_host(host: str) -> str:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "0.0.0.0"  # noqa: S104 - a public origin named by a host name answers on every interface
    return host


def _raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_text(private: Ed25519PrivateKey) -> str:
    """The stream's public key as a live section carries it: base64 of the 32 raw bytes."""
    return base64.b64encode(_raw_public(private)).decode("ascii")


class OnAir:
    def __init__(
        self,
        section: LiveSection,
        private_key: Ed25519PrivateKey,
        source: SourceSpec,
        *,
        content_key: bytes | None = None,
        settings: OnAirSettings | None = None,
    ) -> None:
        self._settings = settings or OnAirSettings()
        if base64.b64decode(section.stream_public_key) != _raw_public(private_key):
            raise LiveError("This computer's key for the broadcast is not the one the store announced.")
        if section.encrypted and content_key is None:
            raise LiveError("A ticketed broadcast needs its stream key.")
        self._section = section
        self._private = private_key
        self._source = open_source(source, self._settings.picture)
        self._content_key = content_key if section.encrypted else None
        self._broadcaster: Broadcaster | None = None
        self._discovery: TrackerDiscovery | None = None
        self._tracker_refused: str | None = None
        self.address: OnAirAddress | None = None

    async def run(
        self,
        stop: asyncio.Event,
        on_figures: Callable[[OnAirFigures], None],
        *,
        on_ready: Callable[[OnAirAddress], Awaitable[None]] | None = None,
    ) -> None:
        """Broadcast until ``stop`` is set (or the source fails: ``SourceError``), reporting once a second.

        ``on_ready`` is awaited once the origin listens and the encoder runs (the caller tells the store it is on
        air); an error it raises stops the broadcast."""
        s = self._settings
        origin_host, http_port = origin_endpoint(self._section.origin_url)
        host = s.listen_host or _listen_host(origin_host)
        stream_id = bytes.fromhex(self._section.stream_id)
        signer = StreamSigner(self._private, stream_id, self._content_key)
        config = NodeConfig(
            stream_id=stream_id,
            host=host,
            port=s.overlay_port if s.overlay_port is not None else http_port + 1,
            is_origin=True,
            upload_bps=s.upload_kbps * 1000 if s.upload_kbps else None,
            stream_bps=s.video_kbps * 1000 + 100_000,
            delay_s=s.delay_s,
        )
        verifier = BlockVerifier.from_section(self._section)
        broadcaster = Broadcaster(signer, verifier, config, EncoderSettings(picture=s.picture, video_kbps=s.video_kbps))
        self._broadcaster = broadcaster
        try:
            await broadcaster.start(self._source, http_port=http_port)
        except OSError as error:
            await broadcaster.stop()  # whatever did start (the overlay) closes again
            raise LiveError(f"The broadcast cannot listen at {host}:{http_port} ({error.strerror}).") from error
        self.address = OnAirAddress(host, broadcaster.node.port, broadcaster.http_port)
        try:
            if on_ready is not None:
                await on_ready(self.address)
            self._discover(stream_id, host, broadcaster)
            await self._report_until(stop, on_figures)
        finally:
            if self._discovery is not None:
                await self._discovery.stop()  # the tracker hears "stopped": new viewers no longer dial the origin
            await broadcaster.stop()
        failure = broadcaster.encoder_error
        if failure is not None:
            if isinstance(failure, SourceError):
                raise failure
            raise SourceError(f"The broadcast stopped: {failure}") from failure

    def _discover(self, stream_id: bytes, host: str, broadcaster: Broadcaster) -> None:
        s = self._settings
        if not s.tracker_url:
            return
        try:
            self._discovery = TrackerDiscovery(
                s.tracker_url, stream_id, host=host, port=broadcaster.node.port,
                on_peers=broadcaster.node.add_peers, interval_s=s.announce_interval_s,
            )  # fmt: skip
        except ValueError as error:  # not an http(s) URL: the broadcast goes on, viewers use the origin's address
            self._tracker_refused = str(error)
            return
        self._discovery.start()

    async def _report_until(self, stop: asyncio.Event, on_figures: Callable[[OnAirFigures], None]) -> None:
        last_sent, last_at = 0, time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            now = time.monotonic()
            figures = self.figures(last_sent, now - last_at, final=stop.is_set() or self._encoder_failed())
            last_sent, last_at = figures.uploaded, now
            on_figures(figures)
            if figures.final:
                return

    def _encoder_failed(self) -> bool:
        b = self._broadcaster
        return b is not None and b.encoder_error is not None

    def figures(self, last_sent: int = 0, interval_s: float = 0.0, *, final: bool = False) -> OnAirFigures:
        b = self._broadcaster
        assert b is not None
        sent = b.node.uplink.bytes_sent
        rate = (sent - last_sent) * 8 / interval_s if interval_s > 0 else 0.0
        return OnAirFigures(
            viewers=len(b.node.neighbours),
            upload_bps=rate,
            uploaded=sent,
            blocks=b.blocks_published,
            delay_s=self._settings.delay_s,
            http_copies=b.http_copies,
            final=final,
            tracker_announces=self._discovery.stats.announces if self._discovery else 0,
            tracker_error=self._discovery.stats.last_error if self._discovery else self._tracker_refused,
        )
