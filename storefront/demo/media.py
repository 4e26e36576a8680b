"""Demo media made here with PyAV: 720p H.264/AAC faststart MP4 videos, MP3 music tracks, and a probe.

Videos are cheap to draw and to encode (FIELD-NOTES: PyAV brings libx264/AAC/MP3): a palette gradient, a band of
film grain (so the bitrate is a realistic ~1.5-2 Mbit/s rather than near zero), the title crawling across, a
running clock and a progress bar; the soundtrack is a slow chord pad. Encoding uses ``preset=ultrafast``, a
keyframe every 2 s, audio and video interleaved in time order (a player streaming the file finds both in the
same region), and ``movflags=faststart`` so the moov atom comes first and a player can start streaming from the
first bytes. Runs on the caller's thread (the demo builder's); CPU bound.
"""

from __future__ import annotations

import array
import functools
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from storefront.demo.raster import GLYPH_H, Palette, Plane, Rgb, text_width

AUDIO_RATE = 48_000
AUDIO_FRAME = 1024
_GRAIN_POOL = 6  # distinct grain bands cycled through; more costs memory, fewer lets x264 find repeats


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What a probe says about a file: the figures the manifest records and the tests check."""

    duration_s: float
    bitrate: int  # bits per second, whole file
    video_codec: str | None = None
    audio_codec: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class VideoSpec:
    title: str
    subtitle: str
    seconds: float
    palette: Palette
    chord_root_hz: float = 110.0
    width: int = 1280
    height: int = 720
    fps: int = 24
    bitrate: int = 1_800_000


@dataclass(frozen=True, slots=True)
class TrackSpec:
    seconds: float
    root_hz: float
    melody: Sequence[int]  # semitone steps above the root, one per beat; cycled
    bpm: int = 112


def _yuv(rgb: Rgb) -> tuple[int, int, int]:
    r, g, b = rgb  # BT.601 limited range, what x264 assumes for yuv420p
    y = 16 + (66 * r + 129 * g + 25 * b + 128) // 256
    u = 128 + (-38 * r - 74 * g + 112 * b + 128) // 256
    v = 128 + (112 * r - 94 * g - 18 * b + 128) // 256
    return y, max(16, min(240, u)), max(16, min(240, v))


def _gradient_planes(spec: VideoSpec) -> list[Plane]:
    top, bottom = _yuv(spec.palette.top), _yuv(spec.palette.bottom)
    planes = [Plane(spec.width, spec.height), Plane(spec.width // 2, spec.height // 2)]
    planes.append(Plane(spec.width // 2, spec.height // 2))
    for plane, a, b in zip(planes, top, bottom, strict=True):
        plane.vertical_gradient(a, b)
    return planes


def _grain_bands(base: Plane, y0: int, y1: int) -> list[bytes]:
    # Per-row translate tables add +-16 of noise around the gradient: a C-speed "add" without numpy.
    tables = []
    for row in range(y0, y1):
        level = base.data[row * base.width]
        tables.append(bytes(max(16, min(235, level + (n & 31) - 16)) for n in range(256)))
    bands = []
    for _ in range(_GRAIN_POOL):
        noise = os.urandom(base.width * (y1 - y0))
        rows = [noise[i * base.width : (i + 1) * base.width].translate(t) for i, t in enumerate(tables)]
        bands.append(b"".join(rows))
    return bands


def _text_block(text: str, scale: int, fg: int, bg: int, pad: int) -> Plane:
    block = Plane(text_width(text, scale) + 2 * pad, GLYPH_H * scale + 2 * pad, bg)
    block.draw_text(pad, pad, text, scale, fg)
    return block


@functools.lru_cache(maxsize=8)
def _chord_buffers(root_hz: float) -> tuple[bytes, ...]:
    """Two seconds of stereo s16 PCM per chord of a slow four-chord progression, faded in and out.

    Cached: every episode of a series shares its root, and pure-Python synthesis is the slow part.
    """
    progression = ((0, 4, 7), (-3, 0, 4), (-7, -3, 0), (-5, -1, 2))
    chord_len = 2 * AUDIO_RATE
    fade = AUDIO_RATE // 10
    envelope = [min(1.0, k / fade, (chord_len - k) / fade) for k in range(chord_len)]
    buffers = []
    for chord in progression:
        a, b, c = (2 * math.pi * root_hz * 2 ** (step / 12) / AUDIO_RATE for step in chord)
        sin = math.sin
        mono = [int(2600 * envelope[k] * (sin(a * k) + sin(b * k) + sin(c * k))) for k in range(chord_len)]
        stereo = array.array("h", bytes(4 * chord_len))
        stereo[0::2] = array.array("h", mono)
        stereo[1::2] = array.array("h", mono)
        buffers.append(stereo.tobytes())
    return tuple(buffers)


def _chord_pad(root_hz: float, seconds: float) -> Iterator[bytes]:
    """Stereo s16 PCM of the chord progression for ``seconds``."""
    buffers = _chord_buffers(root_hz)
    total = int(seconds * AUDIO_RATE) * 4
    produced = 0
    index = 0
    while produced < total:
        chunk = buffers[index % len(buffers)][: total - produced]
        produced += len(chunk)
        index += 1
        yield chunk


def _audio_frames(pcm: Iterator[bytes], rate: int) -> Iterator[av.AudioFrame]:
    """Stereo s16 PCM cut into encoder-sized frames (the last one may be short), with their pts."""
    frame_bytes = AUDIO_FRAME * 4
    pending = b""
    pts = 0
    for chunk in pcm:
        data = pending + chunk
        whole = len(data) - len(data) % frame_bytes
        for start in range(0, whole, frame_bytes):
            yield _audio_frame(data[start : start + frame_bytes], rate, pts)
            pts += AUDIO_FRAME
        pending = data[whole:]
    if pending:
        yield _audio_frame(pending, rate, pts)


def _audio_frame(pcm: bytes, rate: int, pts: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="s16", layout="stereo", samples=len(pcm) // 4)
    frame.planes[0].update(pcm)
    frame.sample_rate = rate
    frame.pts = pts
    frame.time_base = Fraction(1, rate)
    return frame


def _encode_audio(
    out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, pcm: Iterator[bytes], rate: int
) -> None:
    for frame in _audio_frames(pcm, rate):
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def encode_video(spec: VideoSpec, path: Path) -> MediaInfo:
    """Write a faststart, interleaved H.264/AAC MP4 for ``spec``; returns what a probe of it says."""
    with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as out:
        video = out.add_stream("libx264", rate=spec.fps)
        video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
        video.bit_rate = spec.bitrate
        keyint = 2 * spec.fps  # a keyframe every 2 s: seeking lands close to where the user asked
        video.thread_type = "AUTO"  # frame + slice threads: both cores, the demo builds on first launch
        video.options = {"preset": "ultrafast", "x264-params": f"keyint={keyint}:min-keyint={keyint}:scenecut=0"}
        audio = out.add_stream("aac", rate=AUDIO_RATE)
        audio.layout = "stereo"
        audio.bit_rate = 128_000
        # One loop for both streams, audio kept up to the video's clock: ``mux`` (FFmpeg's interleaving writer)
        # then lays packets out in time order. Encoding all the video before the audio put the whole soundtrack
        # at the end of the file, and a player streaming it needs both from the same region (slow start, seeks).
        sound = _audio_frames(_chord_pad(spec.chord_root_hz, spec.seconds), AUDIO_RATE)
        pending = next(sound, None)
        for index, frame in enumerate(_video_frames(spec)):
            out.mux(video.encode(frame))
            until = (index + 1) * AUDIO_RATE // spec.fps  # the audio sample where the next video frame starts
            while pending is not None and pending.pts is not None and pending.pts < until:
                out.mux(audio.encode(pending))
                pending = next(sound, None)
        while pending is not None:
            out.mux(audio.encode(pending))
            pending = next(sound, None)
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return probe(path)


def _video_frames(spec: VideoSpec) -> Iterator[av.VideoFrame]:
    w, h = spec.width, spec.height
    base_y, base_u, base_v = _gradient_planes(spec)
    accent = _yuv(spec.palette.accent)
    base_y.draw_text(64, h - 150, spec.subtitle, 4, 235)
    grain_y0, grain_y1 = h // 8, h // 8 + h // 3
    grain = _grain_bands(base_y, grain_y0, grain_y1)
    title = _text_block(spec.title, 10, 235, accent[0], 24)
    title_u = Plane(title.width // 2, title.height // 2, accent[1])
    title_v = Plane(title.width // 2, title.height // 2, accent[2])
    title_y = h // 2 - title.height // 2 + 40
    frames = int(spec.seconds * spec.fps)
    clock = _text_block("00:00", 4, 235, 16, 8)
    for index in range(frames):
        second = index // spec.fps
        if index % spec.fps == 0:
            clock = _text_block(f"{second // 60:02d}:{second % 60:02d}", 4, 235, 16, 8)
        y, u, v = Plane.copy_of(base_y), Plane.copy_of(base_u), Plane.copy_of(base_v)
        y.data[grain_y0 * w : grain_y1 * w] = grain[index % len(grain)]
        x = w - (index * 6) % (w + title.width)  # the title crawls right to left, again and again
        y.paste(title, x, title_y)
        u.paste(title_u, x // 2, title_y // 2)
        v.paste(title_v, x // 2, title_y // 2)
        y.paste(clock, w - clock.width - 48, h - 80)
        y.fill_rect(0, h - 12, (index + 1) * w // frames, 12, 200)
        frame = av.VideoFrame(w, h, "yuv420p")
        for plane, data in zip(frame.planes, (y.data, u.data, v.data), strict=True):
            plane.update(data)  # type: ignore[arg-type]  # any buffer works (the stub says bytes): no copy
        frame.pts = index
        yield frame


def _music_pcm(spec: TrackSpec, rate: int) -> Iterator[bytes]:
    """Stereo s16 PCM: a plucked melody over a bass note, one beat per melody step."""
    beat = int(rate * 60 / spec.bpm)
    cache: dict[tuple[int, int], bytes] = {}
    beats = int(spec.seconds * rate / beat)
    for index in range(beats):
        step = spec.melody[index % len(spec.melody)]
        bass = (0, 0, 5, 7)[(index // 8) % 4]
        key = (step, bass)
        if key not in cache:
            lead = 2 * math.pi * spec.root_hz * 2 ** ((12 + step) / 12) / rate
            low = 2 * math.pi * spec.root_hz * 2 ** ((bass - 12) / 12) / rate
            samples = array.array("h", bytes(4 * beat))
            for k in range(beat):
                decay = math.exp(-4.0 * k / beat)
                value = int(9000 * decay * math.sin(lead * k) + 5000 * math.sin(low * k) * min(1.0, (beat - k) / 400))
                samples[2 * k] = value
                samples[2 * k + 1] = value
            cache[key] = samples.tobytes()
        yield cache[key]


def encode_track(spec: TrackSpec, path: Path, *, title: str, artist: str, album: str, track: int) -> MediaInfo:
    """Write an MP3 (192 kbit/s) with ID3 tags; returns what a probe of it says."""
    rate = 44_100
    with av.open(str(path), "w", format="mp3") as out:
        out.metadata.update({"title": title, "artist": artist, "album": album, "track": str(track)})
        stream = out.add_stream("libmp3lame", rate=rate)
        stream.layout = "stereo"
        stream.bit_rate = 192_000
        _encode_audio(out, stream, _music_pcm(spec, rate), rate)
    return probe(path)


def _syncsafe(value: int) -> bytes:
    return bytes(((value >> shift) & 0x7F) for shift in (21, 14, 7, 0))


def _unsyncsafe(raw: bytes) -> int:
    return (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]


def attach_cover_art(path: Path, png: bytes) -> None:
    """Add the album cover to an MP3's ID3v2.4 tag as an APIC "front cover" frame (what music players show).

    FFmpeg's MP3 muxer writes the text frames; embedding a picture through it needs a second (video) stream, so
    the frame is spliced into the tag it wrote instead.
    """
    data = path.read_bytes()
    if data[:3] != b"ID3" or data[3] != 4:
        raise ValueError(f"{path} does not start with an ID3v2.4 tag")
    end = 10 + _unsyncsafe(data[6:10])
    pos = 10
    while pos + 10 <= end and data[pos : pos + 4] != b"\x00\x00\x00\x00":  # frames until the padding
        pos += 10 + _unsyncsafe(data[pos + 4 : pos + 8])
    frames = data[10:pos]
    body = b"\x00" + b"image/png\x00" + b"\x03" + b"Cover\x00" + png  # latin-1, mime, front cover, description
    apic = b"APIC" + _syncsafe(len(body)) + b"\x00\x00" + body
    tag = frames + apic
    header = data[:6] + _syncsafe(len(tag))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(header + tag + data[end:])
    tmp.replace(path)


def probe(path: Path) -> MediaInfo:
    """Duration, bitrate and codecs of a media file, as FFmpeg reads it (raises av.error.FFmpegError)."""
    with av.open(str(path)) as container:
        duration = (container.duration or 0) / 1_000_000
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        bitrate = int(path.stat().st_size * 8 / duration) if duration else 0
        return MediaInfo(
            duration_s=round(duration, 3),
            bitrate=bitrate,
            video_codec=video.codec_context.name if video else None,
            audio_codec=audio.codec_context.name if audio else None,
            width=video.codec_context.width if video else None,
            height=video.codec_context.height if video else None,
        )
