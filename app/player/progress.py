"""Seek-bar maths and the buffering estimate: pure functions, no I/O, any thread.

*Downloaded* is every verified byte range of the file; *playable* is the verified run that starts at the play
position (what can play without waiting). Positions map bytes to time proportionally — right for the constant
bitrate media the store publishes, close enough for the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.types import ByteRange

# Seconds of media wanted ahead of the play position before playback is comfortable.
COMFORT_AHEAD_S = 4.0


def merge_ranges(ranges: Sequence[ByteRange]) -> list[ByteRange]:
    """Sorted, with touching or overlapping ranges joined."""
    merged: list[ByteRange] = []
    for item in sorted(ranges, key=lambda r: r.start):
        if item.end <= item.start:
            continue
        if merged and item.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = ByteRange(last.start, max(last.end, item.end))
        else:
            merged.append(item)
    return merged


def as_fractions(ranges: Sequence[ByteRange], size: int) -> list[tuple[float, float]]:
    """Ranges as (start, end) fractions of the file, for painting."""
    if size <= 0:
        return []
    return [(r.start / size, r.end / size) for r in merge_ranges(ranges)]


def playable_range(ranges: Sequence[ByteRange], position: int) -> ByteRange | None:
    """The verified run that contains ``position``, or None when the byte there is not here yet."""
    for item in merge_ranges(ranges):
        if item.start <= position < item.end:
            return ByteRange(position, item.end)
    return None


def buffering_seconds(
    *, bitrate: int | None, download_rate: int, buffered_ahead: int, ahead_s: float = COMFORT_AHEAD_S
) -> float | None:
    """About how long until ``ahead_s`` seconds of media are buffered; None when it cannot be told.

    ``bitrate`` is the manifest's (bits/s), ``download_rate`` the torrent's current rate (bytes/s),
    ``buffered_ahead`` the verified bytes after the play position.
    """
    if not bitrate or bitrate <= 0:
        return None
    missing = bitrate / 8 * ahead_s - buffered_ahead
    if missing <= 0:
        return 0.0
    if download_rate <= 0:
        return None
    return missing / download_rate
