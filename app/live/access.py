"""What a viewer trusts and what a ticket opens: the live bundle's signed manifest and the stream's content key.

``trusted_stream`` verifies the store's signature on a live bundle's manifest and returns its ``LiveSection`` with
the block verifier for the stream key it vouches for. A paid stream's blocks are AES-256-CTR under a content key
derived from the bundle key like a file's key (HKDF, path ``live/<stream id>``), so a ticket — an ordinary license of
the live bundle — opens it; ``content_key_from_ticket`` gets it from a verified license. Pure; any thread.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.bundle import BundleKind, License, LiveSection, Manifest, SignedManifest, derive_file_key, verify_manifest
from app.live.blocks import BlockVerifier
from app.live.errors import LiveError


def stream_path(stream_id_hex: str) -> str:
    """The key-derivation path of a stream's content key (the 'file' a ticket opens)."""
    return f"live/{stream_id_hex}"


def stream_content_key(bundle_key: bytes, stream_id_hex: str) -> bytes:
    """The broadcaster's content key for a paid stream, from the live bundle's key."""
    return derive_file_key(bundle_key, stream_path(stream_id_hex))


def trusted_stream(signed: SignedManifest, store_key: Ed25519PublicKey) -> tuple[Manifest, LiveSection, BlockVerifier]:
    """The live bundle's manifest, its live section and a verifier for its stream key — all signed by the store."""
    manifest = verify_manifest(signed, store_key)
    if manifest.kind is not BundleKind.LIVE or manifest.live is None:
        raise LiveError("This bundle is not a live broadcast.")
    return manifest, manifest.live, BlockVerifier.from_section(manifest.live)


def content_key_from_ticket(ticket: License, manifest: Manifest) -> bytes | None:
    """The stream key a ticket grants for this live bundle, or None when it does not open it."""
    if manifest.live is None or ticket.bundle_id != manifest.bundle_id:
        return None
    return ticket.file_key(stream_path(manifest.live.stream_id))
