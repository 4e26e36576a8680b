"""Test media for the player: a short 720p H.264/AAC MP4, "faststart" (index first), at a steady bitrate.

x264 is told to pad to a constant bitrate (nal-hrd=cbr) so the file's bytes per second are what a real
720p stream of that bitrate carries — the streaming tests and the benchmark pace their seeder from it.
Generated with PyAV (no system ffmpeg); runs in the test process, once per session (cached by path).
"""

from __future__ import annotations

import math
import os
import random
import struct
import tempfile
from fractions import Fraction
from pathlib import Path

import av

WIDTH, HEIGHT, FPS = 1280, 720, 25


def make_test_video(path: Path, *, seconds: int = 20, video_kbps: int = 2000, seed: int = 7) -> Path:
    """Write a faststart MP4 of ``seconds`` of moving picture and a tone; return its path."""
    if path.exists() and path.stat().st_size > 0:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.part.mp4")  # concurrent sessions never share a temp file
    with av.open(str(tmp), "w", options={"movflags": "faststart"}) as out:
        video = out.add_stream(
            "libx264",
            rate=FPS,
            options={
                "preset": "ultrafast",
                "tune": "zerolatency",
                "g": str(FPS * 2),  # a keyframe every 2 s, so a seek lands on a picture soon
                "x264-params": f"nal-hrd=cbr:force-cfr=1:bitrate={video_kbps}:vbv-maxrate={video_kbps}"
                f":vbv-bufsize={video_kbps}",
            },
        )
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = out.add_stream("aac", rate=44100)
        audio.layout = "mono"
        rng = random.Random(seed)
        # One luma row pattern per 8-pixel block, rolled a little each frame: cheap to make and to encode,
        # different on every frame. Chroma stays flat grey.
        blocks = bytes(rng.randrange(16, 235) for _ in range(WIDTH // 8 * HEIGHT // 8))
        chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
        samples_per_frame = 44100 // FPS
        for index in range(seconds * FPS):
            shift = index % (WIDTH // 8)
            rows = []
            for block_row in range(HEIGHT // 8):
                row = blocks[block_row * (WIDTH // 8) : (block_row + 1) * (WIDTH // 8)]
                row = row[shift:] + row[:shift]
                rows.append(bytes(b for b in row for _ in range(8)) * 8)
            frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
            frame.planes[0].update(b"".join(rows))
            frame.planes[1].update(chroma)
            frame.planes[2].update(chroma)
            frame.pts = index
            frame.time_base = Fraction(1, FPS)
            for packet in video.encode(frame):
                out.mux(packet)
            first = index * samples_per_frame
            tone = b"".join(
                struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * (first + n) / 44100)))
                for n in range(samples_per_frame)
            )
            aframe = av.AudioFrame(format="s16", layout="mono", samples=samples_per_frame)
            aframe.planes[0].update(tone)
            aframe.sample_rate = 44100
            aframe.pts = first
            for packet in audio.encode(aframe):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    tmp.replace(path)
    return path


def cached_test_video(name: str, *, seconds: int, seed: int) -> Path:
    """``make_test_video`` kept across test sessions (``$BUNDLECAST_TEST_CACHE`` or the temp folder)."""
    cache = Path(os.environ.get("BUNDLECAST_TEST_CACHE", tempfile.gettempdir())) / "bundlecast-player-media"
    return make_test_video(cache / f"{name}-{seconds}s-{seed}.mp4", seconds=seconds, seed=seed)
