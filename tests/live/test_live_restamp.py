"""The live player's clock keeps pace with play-out: each block fed carries timestamps moved by all the lag play-out
gave back (skips: earlier) or added (stalls: later) so far.

VLC keeps its clock across a jump in the stream's timestamps, so without the shift a skip to catch up would leave
the picture as far behind the source as before; and a block that plays late after a stall is late data to VLC, which
then raises its own delay for good. Checked on real MPEG-TS from the live encoder, read back by FFmpeg:
every PTS and DTS (and PCR) moves by exactly the skipped time, the packets' payloads are untouched and all the
pictures still decode.
"""

from __future__ import annotations

import io

import av

from app.live.encoder import EncoderSettings, LiveEncoder
from app.live.sources import SAMPLE_RATE, PictureFormat, RawFrame
from app.player.live_source import LiveTsSource
from app.player.ts_restamp import PACKET, WRAP, shift_timestamps

FMT = PictureFormat(160, 96, 25)


class _Frames:
    def frames(self) -> object:
        for n in range(50):
            luma = bytes((x + 4 * n) % 220 + 16 for x in range(FMT.width)) * FMT.height
            chroma = bytes([128]) * ((FMT.width // 2) * (FMT.height // 2))
            yield RawFrame(1_800_000_000_000 + n * 40, luma, chroma, chroma, b"\x00" * 4 * (SAMPLE_RATE // FMT.fps))


def _ts() -> list[bytes]:
    blocks: list[bytes] = []
    LiveEncoder(EncoderSettings(picture=FMT, video_kbps=300), lambda cut: blocks.append(cut.data)).run(_Frames())
    return blocks


def _timestamps(data: bytes) -> tuple[list[tuple[int, int | None, int | None]], int]:
    with av.open(io.BytesIO(data), format="mpegts") as container:
        packets = [(p.stream.index, p.pts, p.dts) for p in container.demux() if p.size]
    with av.open(io.BytesIO(data), format="mpegts") as container:
        pictures = sum(1 for _ in container.decode(video=0))
    return packets, pictures


def _pcrs(data: bytes) -> list[int]:
    out = []
    for at in range(0, len(data), PACKET):
        if data[at + 3] & 0x20 and data[at + 4] >= 7 and data[at + 5] & 0x10:
            out.append(int.from_bytes(data[at + 6 : at + 12], "big") >> 15)
    return out


def test_every_timestamp_moves_back_by_the_shift_and_the_pictures_still_decode() -> None:
    data = b"".join(_ts())
    ticks = 90 * 750
    shifted = shift_timestamps(data, ticks)
    before, pictures = _timestamps(data)
    after, pictures_after = _timestamps(shifted)
    assert len(before) == len(after) and pictures_after == pictures >= 40
    assert any(pts is not None for _, pts, _ in before)
    for (stream, pts, dts), (stream_after, pts_after, dts_after) in zip(before, after, strict=True):
        assert stream == stream_after
        assert pts_after == (None if pts is None else pts - ticks)
        assert dts_after == (None if dts is None else dts - ticks)
    assert _pcrs(data) and _pcrs(shifted) == [(p - ticks) % WRAP for p in _pcrs(data)]
    # Only timestamps changed: the same number of bytes, most of them equal.
    assert len(shifted) == len(data)
    assert sum(a != b for a, b in zip(data, shifted, strict=True)) < len(data) // 50


def test_the_live_source_moves_every_block_by_all_the_lag_play_out_gave_back_or_added_so_far() -> None:
    blocks = _ts()
    source = LiveTsSource()
    reader = source.open_at(0)
    source.feed(blocks[0], keyframe=True)
    source.feed(blocks[1], keyframe=False, skipped_ms=500, lag_change_ms=-500)  # a skip gave half a second back
    source.feed(blocks[2], keyframe=False, lag_change_ms=200)  # a stall: this block plays 0.2 s later
    source.feed(blocks[3], keyframe=False)
    got = [reader.read(1 << 20) for _ in range(4)]
    assert got[0] == blocks[0]
    assert got[1] == shift_timestamps(blocks[1], 90 * 500)
    assert got[2] == shift_timestamps(blocks[2], 90 * 300)
    assert got[3] == shift_timestamps(blocks[3], 90 * 300)
    assert got[3] != blocks[3]


def test_a_stall_before_any_skip_stamps_the_blocks_later() -> None:
    blocks = _ts()
    source = LiveTsSource()
    reader = source.open_at(0)
    source.feed(blocks[0], keyframe=True)
    source.feed(blocks[1], keyframe=False, lag_change_ms=150)
    got = [reader.read(1 << 20) for _ in range(2)]
    assert got[1] == shift_timestamps(blocks[1], -90 * 150)
    assert _pcrs(got[1]) == [(p + 90 * 150) % WRAP for p in _pcrs(blocks[1])]


def test_a_jump_longer_than_any_catch_up_is_a_new_stream_and_ends_the_shift() -> None:
    # A broadcaster that restarted starts its clock again: moving its timestamps back would wrap them.
    blocks = _ts()
    source = LiveTsSource()
    reader = source.open_at(0)
    source.feed(blocks[0], keyframe=True)
    source.feed(blocks[1], keyframe=False, skipped_ms=500, lag_change_ms=-500)
    source.feed(blocks[2], keyframe=False, skipped_ms=60_000, lag_change_ms=-60_000)
    got = [reader.read(1 << 20) for _ in range(3)]
    assert got[1] == shift_timestamps(blocks[1], 90 * 500)
    assert got[2] == blocks[2]
