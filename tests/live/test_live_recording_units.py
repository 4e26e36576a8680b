"""The recording's layout, without processes: which file a block goes to, where a viewer starts and stops a segment,
and that a paid recording is written only as the ciphertext it is published with."""

from __future__ import annotations

import os
from pathlib import Path

from app.bundle import ContentCipher
from app.live.recording import RecordingWriter, recording_nonce, segment_path


def _blocks(first: int, last: int) -> dict[int, bytes]:
    return {seq: os.urandom(188 * (1 + seq % 3)) for seq in range(first, last + 1)}


def _file(folder: Path, index: int) -> bytes:
    return (folder / segment_path(index)).read_bytes()


def test_the_broadcaster_writes_every_block_into_its_segment_in_order(tmp_path: Path) -> None:
    blocks = _blocks(13, 40)  # segments of 8: 1 (13-15), 2, 3, 4, 5 (40)
    writer = RecordingWriter(tmp_path, segment_blocks=8, trust_start=True)
    assert all(writer.keep(seq, data) for seq, data in blocks.items())
    writer.close()
    assert [p.name for p in writer.files()] == [f"segment-{i:08d}.ts" for i in (1, 2, 3, 4, 5)]
    assert _file(tmp_path, 1) == b"".join(blocks[s] for s in (13, 14, 15))
    assert _file(tmp_path, 3) == b"".join(blocks[s] for s in range(24, 32))


def test_a_viewer_starts_segments_at_their_first_block_and_stops_one_at_a_gap(tmp_path: Path) -> None:
    blocks = _blocks(13, 47)
    viewer = RecordingWriter(tmp_path, segment_blocks=8, trust_start=False)
    for seq in [s for s in blocks if s >= 19 and s not in (28, 29)]:  # joined at 19; 28-29 never arrived
        viewer.keep(seq, blocks[seq])
    viewer.close()
    assert _file(tmp_path, 2) == b"".join(blocks[s] for s in range(19, 24))  # its first segment: from its first block
    assert _file(tmp_path, 3) == b"".join(blocks[s] for s in range(24, 28))  # a prefix: stopped at the gap
    assert _file(tmp_path, 4) == b"".join(blocks[s] for s in range(32, 40))  # whole
    later = RecordingWriter(tmp_path / "late", segment_blocks=8, trust_start=False)
    later.keep(19, blocks[19])  # a first block mid-segment is a guess; the next mid-segment start is not
    later.keep(27, blocks[27])
    later.keep(32, blocks[32])
    later.close()
    assert [p.name for p in later.files()] == ["segment-00000002.ts", "segment-00000004.ts"]


def test_a_paid_recording_is_kept_only_as_its_published_ciphertext(tmp_path: Path) -> None:
    blocks = _blocks(16, 31)
    key = os.urandom(32)
    stream = "ab" * 16

    def cipher_for(path: str) -> ContentCipher:
        return ContentCipher(key, recording_nonce(stream, path))

    writer = RecordingWriter(tmp_path, segment_blocks=8, trust_start=False, cipher_for=cipher_for)
    for seq, data in blocks.items():
        writer.keep(seq, data)
    writer.close()
    plain = b"".join(blocks[s] for s in range(16, 24))
    kept = _file(tmp_path, 2)
    assert kept != plain and plain[:188] not in kept
    published = ContentCipher(key, recording_nonce(stream, segment_path(2))).encrypt_at(0, plain)
    assert kept == published  # what publishing writes from the plaintext with the same nonce
    assert recording_nonce(stream, segment_path(2)) != recording_nonce(stream, segment_path(3))
