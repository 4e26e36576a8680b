"""Cuts a growing MPEG-TS byte stream into blocks of whole video frames, with PAT and PMT before the first.

The muxer writes PAT and PMT before every video frame (``mpegts_flags=pat_pmt_at_frames``), so a block can be
demuxed on its own from there (a demuxer skips the few sound packets that may come before them), and one that begins
at a keyframe (random-access indicator set) can be decoded on its own: that is where a viewer starts or resumes.
``feed`` takes whatever bytes the muxer wrote and returns the blocks completed by them: a block closes at the next
frame start that is a keyframe, or once it holds ``frames_per_block`` frames (the encoder makes the keyframe
interval a multiple of it, so no block is a sliver). The encoder closes a full block as soon as its last frame is
written (``close_if_full``) rather than at the next frame's start, a frame time sooner; what the muxer writes in
between (sound) opens the next block. While a block is being filled, ``take_new_bytes`` hands out what it gained
since the last call, so its bytes can travel before it closes (they are always the start of the block ``feed`` or
``close_if_full`` returns later).
Each video frame's capture time is handed in (``frame_captured``) in mux order.
Pure; used on the encoder's thread.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

TS_PACKET = 188
SYNC = 0x47
PAT_PID = 0


@dataclass(frozen=True, slots=True)
class CutBlock:
    """A run of TS packets from one frame start to the next cut: its capture time and whether it starts a GOP."""

    capture_ms: int
    keyframe: bool
    data: bytes


@dataclass(frozen=True, slots=True)
class BlockBytes:
    """Bytes the open block gained: its capture time and keyframe flag, where they go in it, and the bytes."""

    capture_ms: int
    keyframe: bool
    offset: int
    data: bytes


class TsCutter:
    def __init__(self, video_pid: int, *, frames_per_block: int = 6) -> None:
        self._video_pid = video_pid
        self._frames_per_block = frames_per_block
        self._frames_in_block = 0
        self._pending = bytearray()  # bytes not yet split into whole TS packets
        self._block = bytearray()
        self._block_capture: int | None = None
        self._block_keyframe = False
        self._headers = bytearray()  # PAT/PMT packets seen since the last video packet
        self._captures: deque[int] = deque()
        self._handed_out = 0  # bytes of the open block already given by take_new_bytes

    def frame_captured(self, capture_ms: int) -> None:
        """The capture time of the next video frame the muxer will write."""
        self._captures.append(capture_ms)

    def feed(self, data: bytes) -> list[CutBlock]:
        self._pending += data
        whole = len(self._pending) - len(self._pending) % TS_PACKET
        out: list[CutBlock] = []
        for start in range(0, whole, TS_PACKET):
            packet = bytes(self._pending[start : start + TS_PACKET])
            block = self._take_packet(packet)
            if block is not None:
                out.append(block)
        del self._pending[:whole]
        return out

    def _take_packet(self, packet: bytes) -> CutBlock | None:
        if packet[0] != SYNC:
            raise ValueError("the muxer wrote a TS packet without its sync byte")
        pid = ((packet[1] & 0x1F) << 8) | packet[2]
        unit_start = bool(packet[1] & 0x40)
        if pid != self._video_pid or not unit_start:
            if pid == PAT_PID or (self._headers and pid != self._video_pid):
                # PAT and PMT (and anything between them and the frame) travel with the frame that follows.
                self._headers += packet
            else:
                self._flush_headers_into_block()
                self._block += packet
            return None
        capture = self._captures.popleft() if self._captures else (self._block_capture or 0)
        keyframe = _random_access(packet)
        done: CutBlock | None = None
        if self._block_capture is not None and (keyframe or self._frames_in_block >= self._frames_per_block):
            done = self._close()
        if self._block_capture is None:
            self._block_capture = capture
            self._block_keyframe = keyframe
            self._frames_in_block = 0
        self._frames_in_block += 1
        self._flush_headers_into_block()
        self._block += packet
        return done

    def close_if_full(self) -> CutBlock | None:
        """The open block, if it holds ``frames_per_block`` frames (call once a frame is written whole)."""
        if self._block_capture is None or self._frames_in_block < self._frames_per_block:
            return None
        return self._close()

    def take_new_bytes(self) -> BlockBytes | None:
        """What the open block gained since the last call (None if no block is open or nothing came)."""
        if self._block_capture is None or len(self._block) <= self._handed_out:
            return None
        offset = self._handed_out
        self._handed_out = len(self._block)
        return BlockBytes(self._block_capture, self._block_keyframe, offset, bytes(self._block[offset:]))

    def _close(self) -> CutBlock:
        assert self._block_capture is not None
        done = CutBlock(self._block_capture, self._block_keyframe, bytes(self._block))
        self._block.clear()
        self._block_capture = None
        self._handed_out = 0
        return done

    def _flush_headers_into_block(self) -> None:
        if self._headers:
            self._block += self._headers
            self._headers.clear()

    def finish(self) -> CutBlock | None:
        """The last, partial block at the end of a broadcast."""
        self._flush_headers_into_block()
        if self._block_capture is None or not self._block:
            return None
        return self._close()


def _random_access(packet: bytes) -> bool:
    """True when the packet's adaptation field sets the random-access indicator (a keyframe starts here)."""
    has_adaptation = bool(packet[3] & 0x20)
    return has_adaptation and packet[4] > 0 and bool(packet[5] & 0x40)
