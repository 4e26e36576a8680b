"""Seek-bar maths, the buffering estimate and resume positions (pure logic and a real JSON file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.engine.types import ByteRange
from app.player.progress import as_fractions, buffering_seconds, merge_ranges, playable_range
from app.player.resume import ResumePositions


def test_ranges_are_merged_and_sorted() -> None:
    ranges = [ByteRange(500, 600), ByteRange(0, 100), ByteRange(100, 200), ByteRange(550, 700), ByteRange(9, 9)]
    assert merge_ranges(ranges) == [ByteRange(0, 200), ByteRange(500, 700)]
    assert as_fractions(ranges, 1000) == [(0.0, 0.2), (0.5, 0.7)]


def test_the_playable_run_starts_at_the_play_position() -> None:
    ranges = [ByteRange(0, 200), ByteRange(500, 700)]
    assert playable_range(ranges, 150) == ByteRange(150, 200)
    assert playable_range(ranges, 300) is None
    assert playable_range(ranges, 700) is None


def test_buffering_estimate_uses_the_bitrate_and_the_rate() -> None:
    # 2 Mbit/s wants 1 MB for 4 s; 250 kB are here, 750 kB arrive at 500 kB/s: 1.5 s.
    assert buffering_seconds(bitrate=2_000_000, download_rate=500_000, buffered_ahead=250_000) == pytest.approx(1.5)
    assert buffering_seconds(bitrate=2_000_000, download_rate=0, buffered_ahead=2_000_000) == 0.0
    assert buffering_seconds(bitrate=2_000_000, download_rate=0, buffered_ahead=0) is None
    assert buffering_seconds(bitrate=None, download_rate=500_000, buffered_ahead=0) is None


def test_a_position_is_remembered_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "state" / "resume.json"
    ResumePositions(path).remember("b1/pilot.mp4", 73.26, duration_s=180)
    assert ResumePositions(path).position("b1/pilot.mp4") == pytest.approx(73.3)
    assert ResumePositions(path).position("b1/other.mp4") == 0.0
    assert not list(path.parent.glob(".resume-*")), "a temp file was left behind"


def test_the_start_and_the_end_are_not_worth_resuming(tmp_path: Path) -> None:
    path = tmp_path / "resume.json"
    positions = ResumePositions(path)
    positions.remember("a", 60, duration_s=180)
    positions.remember("a", 175, duration_s=180)  # watched to the end: start over next time
    positions.remember("b", 2, duration_s=180)
    reread = ResumePositions(path)
    assert reread.position("a") == 0.0 and reread.position("b") == 0.0


def test_a_damaged_file_reads_as_no_positions(tmp_path: Path) -> None:
    path = tmp_path / "resume.json"
    path.write_text("{not json")
    positions = ResumePositions(path)
    assert positions.position("a") == 0.0
    positions.remember("a", 42, duration_s=None)
    assert json.loads(path.read_text())["positions"] == {"a": 42.0}
