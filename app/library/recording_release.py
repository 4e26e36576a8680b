"""What the creator publishes when a broadcast ends: its recording as the live bundle's first release.

The recording is published as a release of the live bundle itself, not as a bundle of its own: it keeps the bundle
id, the bundle key the store made for the event, its gate and price, so every ticket already sold — a license of the
live bundle, whose grant covers the whole bundle — opens the recording's files (per-file keys derive from the bundle
key) without the store issuing a single new license, and a fan who buys later gets both. ``recording_request`` turns
the live bundle's signed manifest and the folder the broadcaster recorded into (``app.live.recording``) into the
``PublishRequest`` the ordinary publishing job runs (encrypt if gated, hybrid torrent, seed, creator API). Pure.
"""

from __future__ import annotations

from pathlib import Path

from app.bundle import GateType, Manifest, derived_nonce
from app.library.publishing import PublishRequest

RECORDING_RELEASE_ID = "recording"


def recording_request(live: Manifest, folder: Path) -> PublishRequest:
    """The release that publishes ``folder`` (the bundle's top folder as recorded) under the live bundle."""
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    gated = live.gate.type is not GateType.FREE
    stream = live.live.stream_id if live.live is not None else live.bundle_id
    # The nonces app.live.recording.recording_nonce fixes: a ticket holder's kept ciphertext is the published one.
    nonces = tuple((path, derived_nonce(f"live-recording/{stream}", path).hex()) for path in files) if gated else ()
    return PublishRequest(
        folder=folder,
        title=live.title,
        kind=live.kind,
        gate=live.gate.type,
        locked=frozenset(files) if gated else frozenset(),
        price_cents=live.gate.price_cents,
        release_of=live.bundle_id,
        release_id=RECORDING_RELEASE_ID,
        release_title=f"Recording of {live.title}",
        first_release=True,
        nonces=nonces,
    )
