"""Unit tests of the live parts' pure logic: block format, screening, play-out, the picture clock, the manifest."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.bundle import (
    BundleKind,
    Gate,
    GateType,
    LiveSection,
    MalformedError,
    Manifest,
    StoreKey,
    sign_manifest,
    verify_manifest,
)
from app.live.block_store import Admission, BlockStore
from app.live.blocks import MAX_PAYLOAD, Block, BlockVerifier, StreamSigner, decrypt_payload, parse_block
from app.live.clock_stamp import band_rows, read_clock
from app.live.errors import ForgedBlockError, MalformedBlockError
from app.live.playout import Offer, PlayoutBuffer

NOW = 1_800_000_000.0


def _stream(content_key: bytes | None = None) -> tuple[StreamSigner, BlockVerifier]:
    signer = StreamSigner.generate(os.urandom(16), content_key)
    return signer, BlockVerifier(signer.stream_id, Ed25519PublicKey.from_public_bytes(signer.public_key_raw))


def _block(signer: StreamSigner, seq: int, *, at: float = NOW, keyframe: bool = False) -> Block:
    return signer.make_block(seq, int(at * 1000), f"ts-{seq}".encode() * 10, keyframe=keyframe)


def test_a_signed_block_parses_and_verifies_and_any_changed_byte_fails() -> None:
    signer, verifier = _stream()
    block = _block(signer, 7, keyframe=True)
    assert verifier.parse_and_verify(block.wire).payload == block.payload
    for position in (5, 30, 40, len(block.wire) - 70, len(block.wire) - 1):
        altered = bytearray(block.wire)
        altered[position] ^= 0x01
        with pytest.raises((ForgedBlockError, MalformedBlockError)):
            verifier.parse_and_verify(bytes(altered))


def test_parsing_refuses_malformed_blocks_and_a_cut_or_lengthened_one_fails_its_signature() -> None:
    signer, verifier = _stream()
    wire = _block(signer, 1).wire
    for bad in (b"XXXX" + wire[4:], b"", wire[:50], wire[:4] + b"\x01" + wire[5:], wire + bytes(MAX_PAYLOAD)):
        with pytest.raises(MalformedBlockError):
            parse_block(bad)
    # The header holds no length (a block travels before its size is known): the signature covers where it ends.
    for cut_or_lengthened in (wire[:-1], wire + b"x", wire[:-65] + wire[-64:]):
        with pytest.raises(ForgedBlockError):
            verifier.parse_and_verify(cut_or_lengthened)
    with pytest.raises(MalformedBlockError):
        signer.make_block(1, 0, bytes(MAX_PAYLOAD + 1), keyframe=False)


def test_a_paid_block_is_ciphertext_that_only_the_stream_key_opens() -> None:
    key = os.urandom(32)
    signer, verifier = _stream(key)
    block = verifier.parse_and_verify(_block(signer, 3).wire)
    assert block.encrypted and b"ts-3" not in block.payload
    assert decrypt_payload(block, key) == b"ts-3" * 10
    assert decrypt_payload(block, os.urandom(32)) != b"ts-3" * 10


def test_the_store_screens_duplicates_forgeries_and_replays() -> None:
    signer, verifier = _stream()
    impostor = StreamSigner.generate(signer.stream_id)
    store = BlockStore(verifier, capacity=8)
    assert store.admit(_block(signer, 10).wire, now=NOW)[0] is Admission.NEW
    assert store.admit(_block(signer, 10).wire, now=NOW)[0] is Admission.DUPLICATE
    assert store.admit(_block(impostor, 10).wire, now=NOW)[0] is Admission.FORGED  # same number, other bytes
    assert store.admit(_block(impostor, 11).wire, now=NOW)[0] is Admission.FORGED
    assert store.admit(_block(signer, 12, at=NOW - 60).wire, now=NOW)[0] is Admission.OUT_OF_WINDOW
    assert store.admit(_block(signer, 13, at=NOW + 60).wire, now=NOW)[0] is Admission.OUT_OF_WINDOW
    other_signer, _ = _stream()
    assert store.admit(_block(other_signer, 14).wire, now=NOW)[0] is Admission.FORGED
    for seq in range(20, 40):
        store.admit(_block(signer, seq).wire, now=NOW)
    assert store.admit(_block(signer, 15).wire, now=NOW)[0] is Admission.OUT_OF_WINDOW  # older than the window
    assert len([s for s in range(0, 50) if s in store]) == 8  # memory stays bounded


def test_play_out_holds_the_delay_and_rejects_replays() -> None:
    signer, _ = _stream()
    played: list[int] = []
    gaps: list[tuple[int, int]] = []
    buffer = PlayoutBuffer(delay_s=2.0, on_play=lambda b: played.append(b.seq), on_gap=lambda a, z: gaps.append((a, z)))
    for seq in range(4):
        buffer.offer(_block(signer, seq, at=NOW + seq * 0.25, keyframe=seq == 0), NOW)
    buffer.tick(NOW + 1.0)
    buffer.tick(NOW + 1.0)
    assert played == []  # not due before capture + 2 s
    buffer.tick(NOW + 2.3)
    assert played == [0, 1]
    assert buffer.offer(_block(signer, 1, at=NOW + 0.25), NOW + 2.3) is Offer.REPLAYED
    buffer.tick(NOW + 3.0)
    assert played == [0, 1, 2, 3] and not gaps


def test_play_out_stalls_for_a_missing_block_then_skips_to_a_keyframe_and_reports_the_gap() -> None:
    signer, _ = _stream()
    played: list[int] = []
    gaps: list[tuple[int, int]] = []
    buffer = PlayoutBuffer(delay_s=1.0, on_play=lambda b: played.append(b.seq), on_gap=lambda a, z: gaps.append((a, z)))
    buffer.offer(_block(signer, 0, at=NOW, keyframe=True), NOW)
    buffer.tick(NOW + 1.0)
    assert played == [0]
    for seq in (3, 4):  # 1 and 2 never come
        buffer.offer(_block(signer, seq, at=NOW + seq * 0.25, keyframe=seq == 4), NOW + 1.1)
    buffer.tick(NOW + 1.3)
    assert played == [0] and buffer.stalled_now(NOW + 1.3) > 0
    buffer.tick(NOW + 2.2)  # waited past max_wait: skip to the keyframe
    assert gaps == [(1, 3)]
    assert played == [0, 4]
    assert buffer.stats.stall_s > 0 or buffer.stats.gaps == 3


def test_the_clock_in_the_picture_reads_back_and_a_damaged_band_does_not() -> None:
    width, height = 320, 180
    rows, row = band_rows(1_765_000_123_456, width, height)
    picture = row * rows

    def luma(x: int, y: int) -> int:
        return picture[y * width + x]

    assert read_clock(luma, width, height) == 1_765_000_123_456 % (1 << 32)
    assert read_clock(lambda x, y: 255 - luma(x, y), width, height) is None


def test_a_live_manifest_round_trips_and_older_manifests_keep_their_bytes() -> None:
    key = StoreKey.generate()
    section = LiveSection(stream_id="ab" * 16, stream_public_key="x", origin_url="http://127.0.0.1:9")
    base = dict(
        bundle_id="b",
        store_id="s",
        title="t",
        creator="c",
        description="",
        gate=Gate(GateType.FREE),
        files=(),
        info_hash_v1=None,
        info_hash_v2=None,
    )
    live = Manifest(kind=BundleKind.LIVE, live=section, **base)  # type: ignore[arg-type]
    assert verify_manifest(sign_manifest(live, key), key.public_key).live == section
    film = Manifest(kind=BundleKind.FILM, **base)  # type: ignore[arg-type]
    assert "live" not in film.to_dict()
    with pytest.raises(MalformedError):
        LiveSection(stream_id="nothex", stream_public_key="x", origin_url="http://h")
