"""Broadcast sources: raw pictures and sound, paced in real time, each picture stamped with its capture clock.

A source yields ``RawFrame`` s — one yuv420p picture and the 1/fps of mono 48 kHz sound that goes with it — at the
moment they are captured: ``TestPattern`` draws moving bars and a noisy strip (so the encoder has work at any bit
rate); ``MediaFileSource`` plays a media file out in real time (decoded and rescaled with PyAV, looping if asked).
Both burn the capture time into the picture (``app.live.clock_stamp``). Runs on the encoder's thread.
"""

from __future__ import annotations

import math
import os
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from app.live.clock_stamp import band_rows
from app.live.clock_text import clock_text, draw_text
from app.live.errors import SourceError

SAMPLE_RATE = 48_000


@dataclass(frozen=True, slots=True)
class RawFrame:
    capture_ms: int
    luma: bytes  # width * height bytes, no padding
    chroma_u: bytes  # (width/2) * (height/2)
    chroma_v: bytes
    sound: bytes  # float32 mono samples for this frame's 1/fps


@dataclass(frozen=True, slots=True)
class PictureFormat:
    width: int = 640
    height: int = 360
    fps: int = 25

    @property
    def samples_per_frame(self) -> int:
        return SAMPLE_RATE // self.fps


class Pacer:
    """Wall-clock pacing: frame ``n`` is captured at start + n/fps (never earlier)."""

    def __init__(self, fps: int) -> None:
        self._fps = fps
        self._start = time.monotonic()
        self._n = 0

    def wait_next(self) -> int:
        due = self._start + self._n / self._fps
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -1.0:  # fell more than a second behind (a stalled machine): re-anchor, do not burst
            self._start = time.monotonic() - self._n / self._fps
        self._n += 1
        return int(time.time() * 1000)


def stamp_clock(luma: bytearray, capture_ms: int, fmt: PictureFormat) -> None:
    rows, row = band_rows(capture_ms, fmt.width, fmt.height)
    luma[: rows * fmt.width] = row * rows


def _tone(samples: int, start: int) -> bytes:
    return struct.pack(
        f"<{samples}f", *(0.2 * math.sin(2 * math.pi * 440 * (start + i) / SAMPLE_RATE) for i in range(samples))
    )


class TestPattern:
    """Moving bars, a strip of noise and a 440 Hz tone; every picture carries its capture time (a band a machine
    reads, and ``HH:MM:SS.t`` a person reads)."""

    __test__ = False  # not a pytest class

    def __init__(self, fmt: PictureFormat, *, noise_rows: int = 48, readable_clock: bool = True) -> None:
        self._fmt = fmt
        self._readable_clock = readable_clock
        self._noise_rows = min(noise_rows, fmt.height - fmt.height // 2)  # a small picture: the strip still fits
        self._gradient = bytes((x * 2) % 220 + 16 for x in range(fmt.width * 2))
        self._two_seconds_of_tone = _tone(SAMPLE_RATE, 0) * 2  # sliced cyclically

    def frames(self) -> Iterator[RawFrame]:
        fmt = self._fmt
        pacer = Pacer(fmt.fps)
        chroma = bytes([128]) * ((fmt.width // 2) * (fmt.height // 2))
        n = 0
        while True:
            capture_ms = pacer.wait_next()
            shift = (n * 8) % fmt.width
            row = self._gradient[shift : shift + fmt.width]
            luma = bytearray(row * fmt.height)
            top = fmt.height // 2
            luma[top * fmt.width : (top + self._noise_rows) * fmt.width] = os.urandom(self._noise_rows * fmt.width)
            stamp_clock(luma, capture_ms, fmt)
            if self._readable_clock:
                band, _ = band_rows(capture_ms, fmt.width, fmt.height)
                scale = max(1, fmt.height // 90)
                draw_text(luma, fmt.width, clock_text(capture_ms), x=scale * 2, y=band + scale * 2, scale=scale)
            spf = fmt.samples_per_frame
            offset = (n * spf) % SAMPLE_RATE
            sound = self._two_seconds_of_tone[offset * 4 : (offset + spf) * 4]
            yield RawFrame(capture_ms, bytes(luma), chroma, chroma, sound)
            n += 1


class MediaFileSource:
    """A media file played out in real time at the broadcast's size and rate, its clock burnt in."""

    def __init__(self, path: Path, fmt: PictureFormat, *, loop: bool = False) -> None:
        if not path.is_file():
            raise SourceError(f"There is no media file at {path}.")
        self._path = path
        self._fmt = fmt
        self._loop = loop

    def frames(self) -> Iterator[RawFrame]:
        pacer = Pacer(self._fmt.fps)
        while True:
            yield from self._one_pass(pacer)
            if not self._loop:
                return

    def _one_pass(self, pacer: Pacer) -> Iterator[RawFrame]:
        fmt = self._fmt
        try:
            container: Any = av.open(str(self._path))
        except av.FFmpegError as error:
            raise SourceError(f"This file cannot be broadcast: {error}") from error
        with container:
            video = container.streams.video[0] if container.streams.video else None
            if video is None:
                raise SourceError("This file has no picture to broadcast.")
            audio = container.streams.audio[0] if container.streams.audio else None
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            sound = bytearray()
            streams = [s for s in (video, audio) if s is not None]
            for frame in container.decode(*streams):
                if isinstance(frame, av.AudioFrame):
                    for out in resampler.resample(frame):
                        sound += bytes(out.planes[0])[: out.samples * 4]
                    continue
                capture_ms = pacer.wait_next()
                picture = frame.reformat(width=fmt.width, height=fmt.height, format="yuv420p")
                luma = bytearray(plane_bytes(picture, 0, fmt.width, fmt.height))
                stamp_clock(luma, capture_ms, fmt)
                want = fmt.samples_per_frame * 4
                chunk = bytes(sound[:want]).ljust(want, b"\0")
                del sound[:want]
                if len(sound) > want * fmt.fps:  # never let sound pile up (a file with more audio than video)
                    del sound[: len(sound) - want * fmt.fps]
                u = plane_bytes(picture, 1, fmt.width // 2, fmt.height // 2)
                v = plane_bytes(picture, 2, fmt.width // 2, fmt.height // 2)
                yield RawFrame(capture_ms, bytes(luma), u, v, chunk)


def plane_bytes(frame: Any, index: int, width: int, height: int) -> bytes:
    plane = frame.planes[index]
    data = bytes(plane)
    stride = plane.line_size
    if stride == width:
        return data[: width * height]
    return b"".join(data[y * stride : y * stride + width] for y in range(height))
