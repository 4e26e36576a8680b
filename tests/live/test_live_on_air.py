"""``OnAir``, the creator's broadcast behind ``bundlecast live broadcast``: from a store-signed live manifest and the
stream's private key to blocks a real viewer process plays, with the figures the creator sees; a key that is not
the one the manifest vouches for is refused before anything is sent. (The store's part is played by a local store
key here; tests/integration/test_live_broadcast_cli.py runs the same through a real store.)
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.bundle import LiveSection, SignedManifest, load_public_key
from app.live.access import trusted_stream
from app.live.errors import LiveError
from app.live.node_config import LIVE_DELAY_S
from app.live.on_air import OnAir, OnAirAddress, OnAirFigures, OnAirSettings
from app.live.source_spec import parse_source
from app.live.sources import PictureFormat
from tests.live.relay_rig import until
from tests.live.swarm import LiveProcess, make_live_bundle, start_viewer
from tests.support.net import loopback_address

pytestmark = pytest.mark.timeout(90)


def _section(manifest_path: Path, store_key_b64: str) -> LiveSection:
    signed = SignedManifest.from_dict(json.loads(manifest_path.read_text()))
    return trusted_stream(signed, load_public_key(store_key_b64))[1]


def test_on_air_serves_a_viewer_and_reports_what_the_creator_sees(tmp_path: Path) -> None:
    bundle = make_live_bundle(tmp_path, loopback_address())
    section = _section(bundle.manifest_path, bundle.store_key.public_key_b64)
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(bundle.signing_key_path.read_text()))
    settings = OnAirSettings(picture=PictureFormat(320, 180, 25), video_kbps=300, overlay_port=bundle.origin_port)
    on_air = OnAir(section, private, parse_source("pattern"), settings=settings)
    figures: list[OnAirFigures] = []
    addresses: list[OnAirAddress] = []
    viewers: list[LiveProcess] = []

    async def ready(address: OnAirAddress) -> None:
        addresses.append(address)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(on_air.run(stop, figures.append, on_ready=ready))
        await until(lambda: bool(addresses), "the origin to listen", 20)
        address = addresses[0]
        assert (address.host, address.http_port) == (bundle.origin_host, bundle.http_port)
        viewer = start_viewer(bundle, loopback_address(), [(address.host, address.overlay_port)], "--kbps", "300")
        viewers.append(viewer)
        await until(lambda: len(viewer.of("play")) >= 8, "the viewer to play 2 s", 40)
        await until(lambda: bool(figures) and figures[-1].viewers == 1, "the figures to count the viewer", 10)
        stop.set()
        await asyncio.wait_for(task, 15)

    try:
        asyncio.run(scenario())
    finally:
        for viewer in viewers:
            viewer.stop()
    assert figures[-1].final and figures[-1].blocks >= 8
    assert figures[-1].uploaded > 0 and any(f.upload_bps > 0 for f in figures)
    assert figures[-1].delay_s == pytest.approx(LIVE_DELAY_S)


def test_a_key_the_manifest_does_not_vouch_for_is_refused(tmp_path: Path) -> None:
    bundle = make_live_bundle(tmp_path, loopback_address())
    section = _section(bundle.manifest_path, bundle.store_key.public_key_b64)
    with pytest.raises(LiveError, match="This computer's key for the broadcast is not the one the store announced"):
        OnAir(section, Ed25519PrivateKey.generate(), parse_source("pattern"))
