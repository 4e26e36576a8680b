"""The live encoder: raw frames in, ~250 ms MPEG-TS blocks out (PyAV: libx264 zero-latency, AAC).

H.264 with ``tune=zerolatency`` (no frame delay), no B-frames, a keyframe at least every second (a whole number of
blocks, no scene-cut keyframes), VBV-capped at the target rate; AAC mono. The MPEG-TS muxer writes into memory with
PAT and PMT before every frame and a small mux delay; ``TsCutter`` cuts the bytes into blocks at frame starts.
``run`` drives one source on the calling thread (the broadcaster gives it a thread of its own) and hands every block
to ``on_block`` as soon as it is cut — once its last frame is written — and, if asked, what the open block gained
after each frame to ``on_bytes`` (the broadcaster sends those bytes before the block is whole); ``stop`` may be
called from any thread.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import av

from app.live.sources import SAMPLE_RATE, PictureFormat, RawFrame
from app.live.ts_cutter import BlockBytes, CutBlock, TsCutter

VIDEO_PID = 0x100  # FFmpeg's first elementary stream PID (the video stream is added first)


@dataclass(frozen=True, slots=True)
class EncoderSettings:
    picture: PictureFormat = field(default_factory=PictureFormat)
    video_kbps: int = 1400
    audio_kbps: int = 64
    block_ms: int = 250
    preset: str = "veryfast"

    @property
    def frames_per_block(self) -> int:
        return max(1, round(self.picture.fps * self.block_ms / 1000))

    @property
    def keyframe_interval(self) -> int:
        """Frames between keyframes: at most one second, and a whole number of blocks (25 fps: 24 = 4 x 6)."""
        per_block = self.frames_per_block
        return max(per_block, self.picture.fps // per_block * per_block)


class FrameSource(Protocol):
    def frames(self) -> Any: ...  # an iterator of RawFrame, paced in real time


class _MemorySink(io.RawIOBase):
    def __init__(self, on_bytes: Callable[[bytes], None]) -> None:
        self._on_bytes = on_bytes

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._on_bytes(chunk)
        return len(chunk)


class LiveEncoder:
    def __init__(
        self,
        settings: EncoderSettings,
        on_block: Callable[[CutBlock], None],
        on_bytes: Callable[[BlockBytes], None] | None = None,
    ) -> None:
        self._settings = settings
        self._on_block = on_block
        self._on_bytes = on_bytes
        self._cutter = TsCutter(VIDEO_PID, frames_per_block=settings.frames_per_block)
        self._stopped = threading.Event()
        self.frames_encoded = 0

    def stop(self) -> None:
        self._stopped.set()

    def _take_bytes(self, data: bytes) -> None:
        for block in self._cutter.feed(data):
            self._on_block(block)

    def _frame_written(self) -> None:
        if self._on_bytes is not None and (fresh := self._cutter.take_new_bytes()) is not None:
            self._on_bytes(fresh)
        if (full := self._cutter.close_if_full()) is not None:
            self._on_block(full)

    def run(self, source: FrameSource) -> None:
        """Encode ``source`` until it ends or ``stop`` is called; the last partial block is delivered too."""
        s = self._settings
        fmt = s.picture
        container: Any = av.open(
            _MemorySink(self._take_bytes),
            mode="w",
            format="mpegts",
            buffer_size=188 * 16,
            options={"flush_packets": "1", "max_delay": "50000", "mpegts_flags": "pat_pmt_at_frames"},
        )
        video: Any = container.add_stream("libx264", rate=fmt.fps)
        video.width, video.height, video.pix_fmt = fmt.width, fmt.height, "yuv420p"
        video.bit_rate = s.video_kbps * 1000
        vbv = s.video_kbps
        video.options = {
            "preset": s.preset,
            "tune": "zerolatency",
            "bf": "0",
            "g": str(s.keyframe_interval),
            "x264-params": f"keyint={s.keyframe_interval}:min-keyint={s.keyframe_interval}:scenecut=0"
            f":vbv-maxrate={vbv}:vbv-bufsize={vbv // 2}",
        }
        audio: Any = container.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "mono"
        audio.bit_rate = s.audio_kbps * 1000
        fifo = av.AudioFifo()
        audio_pts = 0
        try:
            for index, raw in enumerate(source.frames()):
                if self._stopped.is_set():
                    break
                # Sound first, so the interleaver can write the picture at once (it waits for every stream).
                fifo.write(_sound_frame(raw))
                while fifo.samples >= 1024:
                    chunk = fifo.read(1024)
                    if chunk is None:
                        break
                    chunk.pts = audio_pts
                    audio_pts += 1024
                    for packet in audio.encode(chunk):
                        container.mux(packet)
                self._cutter.frame_captured(raw.capture_ms)
                for packet in video.encode(_picture(raw, fmt, index)):
                    container.mux(packet)
                self._frame_written()
                self.frames_encoded += 1
            for packet in video.encode(None):
                container.mux(packet)
        finally:
            container.close()
            last = self._cutter.finish()
            if last is not None:
                self._on_block(last)


def _picture(raw: RawFrame, fmt: PictureFormat, index: int) -> Any:
    frame = av.VideoFrame(fmt.width, fmt.height, "yuv420p")
    half = fmt.width // 2
    for plane, data, width in ((0, raw.luma, fmt.width), (1, raw.chroma_u, half), (2, raw.chroma_v, half)):
        target = frame.planes[plane]
        if target.line_size == width:
            target.update(data)
        else:
            rows = len(data) // width
            padded = b"".join(data[y * width : (y + 1) * width].ljust(target.line_size, b"\0") for y in range(rows))
            target.update(padded)
    frame.pts = index
    return frame


def _sound_frame(raw: RawFrame) -> Any:
    samples = len(raw.sound) // 4
    frame = av.AudioFrame(format="flt", layout="mono", samples=samples)
    frame.planes[0].update(raw.sound.ljust(frame.planes[0].buffer_size, b"\0"))
    frame.sample_rate = SAMPLE_RATE
    frame.pts = None
    return frame
