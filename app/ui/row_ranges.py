"""Runs of adjacent rows, for models that announce a batch of changed rows with one ``dataChanged`` per run.

Pure Python, no Qt; any thread.
"""

from __future__ import annotations

from collections.abc import Iterable


def contiguous_ranges(rows: Iterable[int]) -> list[tuple[int, int]]:
    """``[5, 1, 2, 3, 9]`` → ``[(1, 3), (5, 5), (9, 9)]``."""
    ranges: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if ranges and row == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], row)
        else:
            ranges.append((row, row))
    return ranges
