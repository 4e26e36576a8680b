"""A broadcast's recording on disk, in a layout every viewer can compute alone: one MPEG-TS file per segment of
``segment_blocks`` sequence numbers.

Block ``seq`` belongs to segment ``seq // segment_blocks`` (default 240 blocks: about a minute), and segment ``k`` is
the file ``recording/segment-<k>.ts`` holding the TS of that segment's blocks in sequence order — the broadcaster
writes every block it sends (``RecordingWriter(trust_start=True)``), so its files are the recording that is published
as an ordinary bundle when the broadcast ends (a hybrid torrent aligns every file to a piece boundary). A viewer keeps
what it plays in the same layout (``RecordingWriter(trust_start=False)``): it writes a segment only from the segment's
first sequence number (or, for the first segment it meets, from its first block — right when it was there from the
start) and stops a segment at its first gap, so each file it holds is a prefix of the published one and every piece
inside that prefix verifies when the recording's torrent is added over it. A paid stream is kept only by a ticket
holder and only as the ciphertext the recording is published with (``cipher_for``: the file key the ticket derives
for the file's path, the nonce ``recording_nonce`` fixes in advance) — never as plaintext. Files are written
with ordinary buffered appends and flushed per block; on the caller's thread (the broadcaster's or viewer's loop).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.bundle import ContentCipher, derived_nonce

SEGMENT_BLOCKS = 240  # 60 s of 250 ms blocks
RECORDING_FOLDER = "recording"


def segment_name(index: int) -> str:
    return f"segment-{index:08d}.ts"


def segment_path(index: int) -> str:
    """The recording file of segment ``index``, relative to the bundle's top folder."""
    return f"{RECORDING_FOLDER}/{segment_name(index)}"


def recording_nonce(stream_id_hex: str, path: str) -> bytes:
    """The nonce a paid stream's recording file is published with (fixed in advance: viewers write its ciphertext)."""
    return derived_nonce(f"live-recording/{stream_id_hex}", path)


CipherFor = Callable[[str], ContentCipher | None]  # a recording file's path -> its published cipher (paid streams)


@dataclass(slots=True)
class _Segment:
    index: int
    handle: BinaryIO
    last_seq: int
    cipher: ContentCipher | None
    size: int = 0


class RecordingWriter:
    """Appends played or sent blocks to their segment files under ``folder`` (the bundle's top folder)."""

    def __init__(
        self,
        folder: Path,
        *,
        segment_blocks: int = SEGMENT_BLOCKS,
        trust_start: bool,
        cipher_for: CipherFor | None = None,
    ) -> None:
        if segment_blocks < 1:
            raise ValueError("a segment holds at least one block")
        self.folder = folder
        self.segment_blocks = segment_blocks
        self._trust_start = trust_start
        self._cipher_for = cipher_for
        self._first_seen = True
        self._open: _Segment | None = None
        self._closed_segments: set[int] = set()
        self.blocks_kept = 0
        self.bytes_kept = 0

    def keep(self, seq: int, data: bytes) -> bool:
        """Write block ``seq`` (plaintext TS) where the recording has it; False when it cannot be placed."""
        index = seq // self.segment_blocks
        segment = self._open
        if segment is not None and segment.index != index:
            self._close()
            segment = None
        if segment is not None and seq != segment.last_seq + 1:  # a gap: what follows would be misplaced
            self._close()
            return False
        if segment is None:
            if index in self._closed_segments:
                return False
            at_start = seq == index * self.segment_blocks
            if not (at_start or self._trust_start or self._first_seen):
                self._first_seen = False
                self._closed_segments.add(index)
                return False
            segment = self._begin(index, seq)
        self._first_seen = False
        if segment.cipher is not None:  # a paid stream: only the published ciphertext touches the disk
            data = segment.cipher.encrypt_at(segment.size, data)
        segment.handle.write(data)
        segment.handle.flush()
        segment.last_seq = seq
        segment.size += len(data)
        self.blocks_kept += 1
        self.bytes_kept += len(data)
        return True

    def _begin(self, index: int, seq: int) -> _Segment:
        path = self.folder / segment_path(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        cipher = self._cipher_for(segment_path(index)) if self._cipher_for is not None else None
        self._open = _Segment(index, path.open("wb"), seq - 1, cipher)
        return self._open

    def _close(self) -> None:
        if self._open is not None:
            self._open.handle.close()
            self._closed_segments.add(self._open.index)
            self._open = None

    def close(self) -> None:
        self._close()

    def files(self) -> list[Path]:
        """The segment files written so far, in order."""
        return sorted((self.folder / RECORDING_FOLDER).glob("segment-*.ts"))
