"""Where bench/live.py's join time and held play-out lag come from, from every viewer's final figures.

Join: the seconds from a viewer's join to its first block, to its first keyframe block and to its first picture
(``PlayoutStats.first_block_at`` / ``first_keyframe_at`` / ``started_at``), for the viewers that joined before the
measured window (the ramp: the trees still forming) and inside it (churn). Lag: the delay a viewer held beyond its
target when the figures were taken, the lag play began with (a late first keyframe), the lag its stalls added, the
lag its catch-ups gave back and the blocks they skipped. Pure; used by bench/live.py.
"""

from __future__ import annotations

from typing import Any


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _cell(values: list[float]) -> str:
    return f"{_pct(values, 0.5):.2f} / {_pct(values, 0.95):.2f} / {max(values, default=float('nan')):.2f}"


def join_lag_table(viewers: list[dict[str, Any]], target_delay_s: float, window_start: float) -> str:
    """The join breakdown (ramp and in-window joiners) and the held lag, as p50 / p95 / max over viewers."""
    lines = ["  join and held lag (p50 / p95 / max over viewers):"]
    for label, group in (
        ("joined before the window", [v for v in viewers if v.get("joined_at", 0) < window_start]),
        ("joined inside the window", [v for v in viewers if v.get("joined_at", 0) >= window_start]),
    ):
        started = [v for v in group if v.get("started_at") and v.get("first_block_at")]
        if not started:
            continue
        lines.append(f"    {label} ({len(started)} viewers), seconds after joining:")
        for name, key in (("first block", "first_block_at"), ("first keyframe", "first_keyframe_at")):
            lines.append(f"      {name:<16} {_cell([v[key] - v['joined_at'] for v in started if v.get(key)])}")
        lines.append(f"      {'first picture':<16} {_cell([v['started_at'] - v['joined_at'] for v in started])}")
        lines.append(f"      {'lag at start':<16} {_cell([v.get('start_lag_s', 0.0) for v in started])}")
    playing = [v for v in viewers if v.get("delay_s")]
    if playing:
        lines.append(f"    held lag at the end   {_cell([v['delay_s'] - target_delay_s for v in playing])}")
        lines.append(f"    lag added by stalls   {_cell([v.get('lag_from_stalls_s', 0.0) for v in playing])}")
        recovered = [v.get("lag_recovered_s", 0.0) for v in playing]
        lines.append(
            f"    lag given back by catch-up skips {_cell(recovered)}; blocks skipped (whole lives) "
            f"{sum(v.get('gaps', 0) for v in playing)}"
        )
    return "\n".join(lines)
