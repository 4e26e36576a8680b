"""The signed manifest: round trip, and refusal of any altered byte."""

from __future__ import annotations

import pytest

from app.bundle import (
    BundleError,
    BundleKind,
    Gate,
    GateType,
    MalformedError,
    Manifest,
    ManifestFile,
    Release,
    SignedManifest,
    StoreKey,
    sign_manifest,
    verify_manifest,
)


def _manifest() -> Manifest:
    return Manifest(
        bundle_id="starfall",
        store_id="demo",
        title="Starfall — Season One",
        creator="Lighthouse Pictures",
        kind=BundleKind.SERIES,
        description="A crew of salvagers finds a signal.",
        gate=Gate(GateType.CAMPAIGN, price_cents=995),
        files=(
            ManifestFile(
                "Starfall/00 Pilot.mp4", 50_000_000, "video/mp4", locked=False, duration_s=180.0, bitrate=2_000_000
            ),
            ManifestFile(
                "Starfall/01 Drift.mp4",
                9_000_000,
                "video/mp4",
                locked=True,
                nonce="ab" * 16,
                duration_s=30.0,
                bitrate=2_000_000,
                release="s1",
            ),
        ),
        info_hash_v1="a" * 40,
        info_hash_v2="b" * 64,
        cover="cover.png",
        releases=(Release("s1", "Season one", 1_700_000_000),),
        created_at=1_700_000_000,
    )


def test_round_trip_through_the_signature() -> None:
    key = StoreKey.generate()
    signed = sign_manifest(_manifest(), key)
    again = SignedManifest.from_dict(signed.to_dict())
    assert verify_manifest(again, key.public_key) == _manifest()


def test_any_altered_byte_of_the_payload_fails() -> None:
    key = StoreKey.generate()
    signed = sign_manifest(_manifest(), key)
    payload = signed.payload.encode("utf-8")
    for i in range(len(payload)):
        altered = bytearray(payload)
        altered[i] ^= 0x01
        try:
            text = altered.decode("utf-8")
        except UnicodeDecodeError:
            continue  # not representable as the wire's text; the transport would refuse it first
        with pytest.raises(BundleError):
            verify_manifest(SignedManifest(text, signed.signature), key.public_key)


def test_any_altered_signature_character_fails() -> None:
    key = StoreKey.generate()
    signed = sign_manifest(_manifest(), key)
    for i, ch in enumerate(signed.signature):
        forged = signed.signature[:i] + ("A" if ch != "A" else "B") + signed.signature[i + 1 :]
        with pytest.raises(BundleError):
            verify_manifest(SignedManifest(signed.payload, forged), key.public_key)


def test_locked_files_need_a_nonce_and_paths_stay_inside() -> None:
    with pytest.raises(MalformedError):
        ManifestFile("a.mp4", 1, "video/mp4", locked=True)
    with pytest.raises(MalformedError):
        ManifestFile("../escape.mp4", 1, "video/mp4", locked=False)
    with pytest.raises(MalformedError):
        ManifestFile("/etc/passwd", 1, "text/plain", locked=False)


def test_gates_validate_their_prices() -> None:
    with pytest.raises(MalformedError):
        Gate(GateType.PAID)
    with pytest.raises(MalformedError):
        Gate(GateType.PWYW)
    assert Gate(GateType.PWYW, min_cents=0).min_cents == 0
