"""bench/live.py's "blocks nobody got": sequence numbers that most viewers skipped in the measured window, and what
became of each at the origin — dropped unsent from a send queue (late, or a full queue), and its HTTP requests
(asked / served / given up). One such block costs every viewer the play-out's whole wait before it skips (0.75 s):
at 40 viewers about 1.3 % of the minute's stall from a single block.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MOST = 0.8  # skipped by this share of the viewers that were watching


def blocks_nobody_got(
    gaps: Iterable[dict[str, Any]], viewers: int, origin_stats: list[dict[str, Any]], window: tuple[float, float]
) -> list[dict[str, Any]]:
    """``gaps``: every viewer's gap events (first, last, at); ``origin_stats``: the broadcaster's stats events."""
    start, end = window
    skipped: dict[int, int] = {}
    skipped_at: dict[int, float] = {}  # when the first viewer gave it up
    for gap in gaps:
        if start <= gap.get("at", 0.0) <= end:
            for seq in range(gap["first"], gap["last"] + 1):
                skipped[seq] = skipped.get(seq, 0) + 1
                skipped_at[seq] = min(skipped_at.get(seq, gap["at"]), gap["at"])
    dropped: set[int] = set()
    http: dict[int, list[int]] = {}
    late_wakes: set[tuple[float, float]] = set()  # the origin's loop woke ≥ 0.2 s late: (wall time, seconds)
    for stats in origin_stats:
        dropped.update(stats.get("dropped_seqs", []))
        http.update({int(seq): outcome for seq, outcome in stats.get("http_outcomes", {}).items()})
        late_wakes.update((at, late) for at, late in stats.get("loop_late_wakes", []))
    return [
        {
            "seq": seq,
            "viewers": count,
            "dropped_at_origin": seq in dropped,
            "http": http.get(seq),
            # The origin's late wake-ups in the 3 s before the first viewer gave it up (seconds late).
            "origin_late_wakes": sorted(late for at, late in late_wakes if 0 <= skipped_at[seq] - at <= 3),
        }
        for seq, count in sorted(skipped.items())
        if count >= MOST * viewers
    ]


def lost_line(lost: list[dict[str, Any]]) -> str:
    if not lost:
        return "  blocks skipped by most viewers: none"
    described = "; ".join(
        f"{b['seq']} ({b['viewers']} viewers, {'dropped unsent at the origin' if b['dropped_at_origin'] else 'sent'}"
        f", HTTP asked/served/given up {b['http'] or '-'}, origin's loop late by {b['origin_late_wakes'] or 'nothing'})"
        for b in lost[:6]
    )
    return f"  blocks skipped by most viewers: {len(lost)}: {described}"
