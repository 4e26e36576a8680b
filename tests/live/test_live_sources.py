"""The broadcast sources a creator names: SOURCE strings, the readable clock, capture devices through PyAV.

The capture path (``CaptureSource``) runs on FFmpeg's own lavfi generators where no device exists here (a picture
input and a sound input read on their own thread, as a camera and a microphone are), and on the real X11 screen of
the test's Xvfb with a coloured window on it. A missing camera or microphone is a sentence naming it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import av
import pytest

from app.live.capture import CaptureSource, DeviceInput, microphone_input, screen_input
from app.live.clock_stamp import read_clock
from app.live.clock_text import _GLYPHS, clock_text
from app.live.errors import SourceError
from app.live.source_spec import SourceSpec, describe, open_source, parse_source
from app.live.sources import PictureFormat, RawFrame, TestPattern

SMALL = PictureFormat(320, 180, 25)


def _clock_of(frame: RawFrame, fmt: PictureFormat) -> int | None:
    return read_clock(lambda x, y: frame.luma[y * fmt.width + x], fmt.width, fmt.height)


def test_source_strings_mean_what_the_creator_typed() -> None:
    assert parse_source("pattern") == SourceSpec("pattern")
    assert parse_source("screen") == SourceSpec("screen", "")
    assert parse_source("screen::1") == SourceSpec("screen", ":1")
    assert parse_source("camera") == SourceSpec("camera", "/dev/video0")
    assert parse_source("camera:/dev/video2") == SourceSpec("camera", "/dev/video2")
    assert parse_source("camera:/dev/video2,mic:hw:1") == SourceSpec("camera", "/dev/video2", "hw:1")
    assert parse_source("camera,mic:default") == SourceSpec("camera", "/dev/video0", "default")
    assert parse_source("/media/show.mkv") == SourceSpec("file", "/media/show.mkv")
    assert describe(parse_source("camera,mic:hw:0")) == "the camera /dev/video0 with the microphone hw:0"
    for bad, words in (("", "Say what to broadcast"), ("camera,speaker:hw:0", "mic:DEVICE"), ("camera,mic:", "mic:")):
        with pytest.raises(SourceError, match=words):
            parse_source(bad)


def test_a_missing_camera_file_or_display_is_a_sentence_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SourceError, match=r"There is no camera at /dev/video97\. Plug one in"):
        open_source(parse_source("camera:/dev/video97,mic:hw:0"), SMALL)
    with pytest.raises(SourceError, match="There is no media file at"):
        open_source(parse_source("/nowhere/show.mkv"), SMALL)
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(SourceError, match="no X display is set"):
        screen_input(None, 25)


def test_a_microphone_that_cannot_be_opened_says_which_one() -> None:
    picture = DeviceInput("testsrc=size=160x120:rate=25", "lavfi", "the test picture")
    source = CaptureSource(picture, SMALL, sound=microphone_input("hw:97"))
    with pytest.raises(SourceError, match=r"^The microphone hw:97 cannot be opened \(.+\)\.$"):
        next(iter(source.frames()))


def test_capture_pairs_real_time_pictures_with_the_sound_read_on_its_own_thread() -> None:
    # FFmpeg's generators stand in for a camera and a microphone; realtime/arealtime make them deliver at their rate.
    picture = DeviceInput("testsrc=size=320x240:rate=25,realtime", "lavfi", "the test picture")
    tone = DeviceInput("sine=frequency=440:sample_rate=48000,arealtime", "lavfi", "the test tone")
    frames: Iterator[RawFrame] = CaptureSource(picture, SMALL, sound=tone).frames()
    taken = list(islice(frames, 40))
    frames.close()  # type: ignore[attr-defined]  # a generator: closing stops the sound thread
    assert all(len(f.luma) == 320 * 180 and len(f.chroma_u) == 160 * 90 for f in taken)
    assert [_clock_of(f, SMALL) for f in taken] == [f.capture_ms % (1 << 32) for f in taken]
    captured = [f.capture_ms for f in taken]
    assert captured == sorted(captured) and captured[-1] > captured[0]
    assert all(len(f.sound) == SMALL.samples_per_frame * 4 for f in taken)
    loudest = max(max(abs(s) for s in struct.unpack(f"<{len(f.sound) // 4}f", f.sound)) for f in taken[10:])
    assert loudest > 0.05  # the tone arrived, not the silence that pads a late microphone


def _read_text(frame: RawFrame, fmt: PictureFormat, *, x: int, y: int, scale: int, chars: int) -> str:
    by_cells: dict[tuple[str, ...], str] = {glyph: char for char, glyph in _GLYPHS.items()}
    out = []
    for index in range(chars):
        left = x + (1 + index * 4) * scale
        rows = tuple(
            "".join(
                "#"
                if frame.luma[(y + (1 + gy) * scale + scale // 2) * fmt.width + left + gx * scale + scale // 2] > 128
                else "."
                for gx in range(3)
            )
            for gy in range(5)
        )
        out.append(by_cells.get(rows, "?"))
    return "".join(out)


def test_the_test_pattern_carries_a_clock_a_machine_and_a_person_can_read() -> None:
    fmt = PictureFormat(640, 360, 25)
    frame = next(iter(TestPattern(fmt).frames()))
    assert _clock_of(frame, fmt) == frame.capture_ms % (1 << 32)
    scale = 360 // 90
    text = clock_text(frame.capture_ms)
    assert _read_text(frame, fmt, x=scale * 2, y=24 + scale * 2, scale=scale, chars=len(text)) == text


def test_the_x11_screen_is_captured_with_a_window_on_it(qtbot: object) -> None:
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    palette = window.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(220, 30, 30))  # red: V (Cr) above grey's 128, U (Cb) below it
    window.setPalette(palette)
    window.setAutoFillBackground(True)
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.setGeometry(window.screen().geometry())  # no window manager on Xvfb: place it over the whole screen
    window.show()
    qtbot.waitExposed(window)  # type: ignore[attr-defined]
    fmt = PictureFormat(320, 200, 10)

    def centre_is_red() -> bool:
        frames = CaptureSource(screen_input(None, fmt.fps), fmt).frames()
        try:
            frame = next(iter(frames))
        finally:
            frames.close()  # type: ignore[attr-defined]
        centre = (fmt.height // 4) * (fmt.width // 2) + fmt.width // 4
        red = frame.chroma_v[centre] > 150 and frame.chroma_u[centre] < 125  # grey and black: both 128
        return red and _clock_of(frame, fmt) == frame.capture_ms % (1 << 32)

    qtbot.waitUntil(centre_is_red, timeout=10_000)  # type: ignore[attr-defined]
    window.close()
    qtbot.waitUntil(lambda: not centre_is_red(), timeout=10_000)  # type: ignore[attr-defined]


def test_the_test_pattern_keeps_its_picture_size_at_any_broadcast_size() -> None:
    for fmt in (PictureFormat(160, 90, 25), PictureFormat(64, 64, 25), PictureFormat(1280, 720, 25)):
        frame = next(iter(TestPattern(fmt).frames()))
        assert len(frame.luma) == fmt.width * fmt.height
        assert len(frame.chroma_u) == len(frame.chroma_v) == (fmt.width // 2) * (fmt.height // 2)
        assert _clock_of(frame, fmt) == frame.capture_ms % (1 << 32)


def _media_file(path: Path) -> None:
    """One second of FFmpeg's test picture and a 440 Hz tone, encoded as an MP4 (H.264 + AAC)."""
    picture: Any = av.open("testsrc=size=320x240:rate=25:duration=1", format="lavfi")
    tone: Any = av.open("sine=frequency=440:sample_rate=48000:duration=1", format="lavfi")
    with av.open(str(path), "w") as out:
        video: Any = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        audio: Any = out.add_stream("aac", rate=48000)
        audio.layout = "mono"
        for image in picture.decode(video=0):
            out.mux(video.encode(image.reformat(format="yuv420p")))
        out.mux(video.encode(None))
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=48000)
        fifo = av.AudioFifo()
        for sound in tone.decode(audio=0):
            for resampled in resampler.resample(sound):
                resampled.pts = None
                fifo.write(resampled)
            while (chunk := fifo.read(1024)) is not None:
                out.mux(audio.encode(chunk))
        out.mux(audio.encode(None))
    picture.close()
    tone.close()


def test_a_media_file_source_plays_the_file_at_the_broadcast_size_looping_with_its_sound(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    _media_file(path)
    spec = parse_source(str(path))
    assert spec == SourceSpec("file", str(path)) and describe(spec) == "the file clip.mp4"
    frames = open_source(spec, SMALL).frames()
    taken = list(islice(frames, 32))  # the file holds 25 pictures: the source loops
    frames.close()
    assert len(taken) == 32
    assert all(len(f.luma) == 320 * 180 and len(f.sound) == SMALL.samples_per_frame * 4 for f in taken)
    assert [_clock_of(f, SMALL) for f in taken] == [f.capture_ms % (1 << 32) for f in taken]
    loudest = max(max(abs(s) for s in struct.unpack(f"<{len(f.sound) // 4}f", f.sound)) for f in taken[5:20])
    assert loudest > 0.05
