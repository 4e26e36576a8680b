"""Live capture sources: an X11 screen, a V4L2 camera with an ALSA microphone — any FFmpeg input device, via PyAV.

``CaptureSource`` opens one picture input (``x11grab``, ``video4linux2``, or ``lavfi`` in tests) and optionally one
sound input (``alsa``, or ``lavfi``); it rescales each picture to the broadcast's size, paces it in real time, burns
the capture clock in and pairs it with the sound captured since the last picture. The sound input is read on a
thread of its own into a bounded buffer (at most a second: a stalled encoder never grows it), so a microphone that
delivers in its own rhythm never holds up the pictures; missing sound is silence. A device that is not there is a
``SourceError`` with a sentence saying which one and what to do. Pictures are read on the encoder's thread.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from app.live.errors import SourceError
from app.live.sources import SAMPLE_RATE, Pacer, PictureFormat, RawFrame, plane_bytes, stamp_clock


@dataclass(frozen=True, slots=True)
class DeviceInput:
    """One FFmpeg input: ``av.open(url, format=fmt, options=options)``; ``name`` is what a user calls it."""

    url: str
    fmt: str
    name: str
    options: dict[str, str] = field(default_factory=dict)


def screen_input(display: str | None, fps: int) -> DeviceInput:
    """The whole X11 screen of ``display`` (``:0``, ``:1.0``; default ``$DISPLAY``)."""
    chosen = display or os.environ.get("DISPLAY", "")
    if not chosen:
        raise SourceError("There is no screen to capture: no X display is set. Name one, as in screen:0.")
    if not chosen.startswith(":") and ":" not in chosen:
        chosen = ":" + chosen
    return DeviceInput(chosen, "x11grab", f"the screen {chosen}", {"framerate": str(fps), "draw_mouse": "1"})


def camera_input(device: str, fps: int) -> DeviceInput:
    """A V4L2 camera such as ``/dev/video0``; it is asked for the broadcast's frame rate."""
    if not Path(device).exists():
        raise SourceError(
            f"There is no camera at {device}. Plug one in, or name another one, as in camera:/dev/video1."
        )
    return DeviceInput(device, "video4linux2", f"the camera {device}", {"framerate": str(fps)})


def microphone_input(device: str) -> DeviceInput:
    """An ALSA capture device such as ``hw:0`` or ``default``."""
    return DeviceInput(device, "alsa", f"the microphone {device}", {"sample_rate": str(SAMPLE_RATE), "channels": "1"})


def _open(spec: DeviceInput) -> Any:
    try:
        return av.open(spec.url, format=spec.fmt, options=dict(spec.options))
    except (av.FFmpegError, OSError) as error:
        raise SourceError(f"{_capital(spec.name)} cannot be opened ({_reason(error)}).") from error


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _reason(error: BaseException) -> str:
    text = getattr(error, "strerror", None) or str(error)
    return str(text).rstrip(".").lower() or "no reason given"


class _SoundBuffer:
    """Float32 mono samples from the sound thread, at most ``limit`` bytes (the oldest are dropped)."""

    def __init__(self, limit: int) -> None:
        self._data = bytearray()
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, chunk: bytes) -> None:
        with self._lock:
            self._data += chunk
            if len(self._data) > self._limit:
                del self._data[: len(self._data) - self._limit]

    def take(self, size: int) -> bytes:
        with self._lock:
            chunk = bytes(self._data[:size])
            del self._data[:size]
        return chunk.ljust(size, b"\0")


class CaptureSource:
    """Pictures from a capture device (and sound from another), paced in real time with the clock burnt in."""

    def __init__(self, picture: DeviceInput, fmt: PictureFormat, *, sound: DeviceInput | None = None) -> None:
        self._picture = picture
        self._sound = sound
        self._fmt = fmt
        self.sound_error: SourceError | None = None  # the microphone failed mid-broadcast: silence from then on

    def frames(self) -> Iterator[RawFrame]:
        fmt = self._fmt
        video_container = _open(self._picture)
        sound_container = _open(self._sound) if self._sound is not None else None
        buffer = _SoundBuffer(SAMPLE_RATE * 4)
        stop = threading.Event()
        thread = None
        if sound_container is not None:
            thread = threading.Thread(
                target=self._read_sound, args=(sound_container, buffer, stop), name="live-microphone", daemon=True
            )
            thread.start()
        pacer = Pacer(fmt.fps)
        try:
            with video_container:
                stream = video_container.streams.video[0]
                for frame in video_container.decode(stream):
                    capture_ms = pacer.wait_next()
                    picture = frame.reformat(width=fmt.width, height=fmt.height, format="yuv420p")
                    luma = bytearray(plane_bytes(picture, 0, fmt.width, fmt.height))
                    stamp_clock(luma, capture_ms, fmt)
                    u = plane_bytes(picture, 1, fmt.width // 2, fmt.height // 2)
                    v = plane_bytes(picture, 2, fmt.width // 2, fmt.height // 2)
                    yield RawFrame(capture_ms, bytes(luma), u, v, buffer.take(fmt.samples_per_frame * 4))
        except av.FFmpegError as error:
            raise SourceError(f"{_capital(self._picture.name)} stopped ({_reason(error)}).") from error
        finally:
            stop.set()
            if thread is not None:
                thread.join(2.0)

    def _read_sound(self, container: Any, buffer: _SoundBuffer, stop: threading.Event) -> None:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        try:
            with container:
                for frame in container.decode(audio=0):
                    if stop.is_set():
                        return
                    for out in resampler.resample(frame):
                        buffer.add(bytes(out.planes[0])[: out.samples * 4])
        except av.FFmpegError as error:
            assert self._sound is not None
            self.sound_error = SourceError(f"{_capital(self._sound.name)} stopped ({_reason(error)}).")
        finally:
            with contextlib.suppress(av.FFmpegError):
                container.close()
