"""The measured window of bench/live.py: each viewer's stall inside it, by cause, and the table that explains it.

Every viewer's play-out counts stall seconds by what ended them (``PlayoutStats.stall_by_cause``: the missing block
came late by a stripe ``push``, a ``pull`` from a neighbour, the ``origin``'s node or its ``http``; or play
``skip``ped to a later keyframe; ``open``: still stalled when the figures were taken). The bench asks every viewer
host for figures at the start of the window (the mark) and at its end (a snapshot), so a viewer's share is the
difference, over the time it played inside the window: the warm-up, the joins and the shutdown (when everyone
leaves and the trees fall apart) are not counted, and a viewer is not stalled before its first picture (that is
join time). A viewer that left during the window counts up to its departure. Pure; used by bench/live.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.live.playout import ARRIVAL_BIN_S
from app.live.wire import NO_ROUTE

CAUSES = ("push", "pull", "origin", "http", "skip", "open")


@dataclass(slots=True)
class ViewerWindow:
    watch_s: float  # played time inside the window (from its first picture or the mark, to the end or departure)
    stall_s: float
    stalls: int
    causes: dict[str, float]
    hops: list[int]  # per stripe at the end (NO_ROUTE: none)
    arrival: dict[str, dict[int, int]]  # route -> arrival-after-capture bin (ARRIVAL_BIN_S) -> blocks
    late_drops: int  # blocks this viewer's senders dropped as too late for their child

    def depth(self) -> int:
        routed = [h for h in self.hops if h < NO_ROUTE]
        return max(routed) if routed else -1


@dataclass(slots=True)
class WindowFigures:
    viewers: list[ViewerWindow] = field(default_factory=list)

    @property
    def watch_s(self) -> float:
        return sum(v.watch_s for v in self.viewers)

    @property
    def stall_s(self) -> float:
        return sum(v.stall_s for v in self.viewers)

    def stall_pct(self) -> float:
        return 100 * self.stall_s / max(1e-3, self.watch_s)

    def cause_s(self) -> dict[str, float]:
        out = dict.fromkeys(CAUSES, 0.0)
        for viewer in self.viewers:
            for cause, seconds in viewer.causes.items():
                out[cause] = out.get(cause, 0.0) + seconds
        return out

    def per_viewer_pct(self) -> list[float]:
        return sorted(100 * v.stall_s / v.watch_s for v in self.viewers if v.watch_s > 1.0)


def viewer_window(
    at_mark: dict[str, Any] | None, at_end: dict[str, Any], start: float, end: float
) -> ViewerWindow | None:
    """One viewer's window from its figures at the mark (None: it joined later) and at the end (or departure)."""
    started_at = at_end.get("started_at")
    if not started_at:
        return None
    watch = min(end, at_end["now"]) - max(start, started_at)
    if watch <= 0:
        return None
    before = at_mark or {}
    causes = {
        cause: at_end.get("stall_by_cause", {}).get(cause, 0.0) - before.get("stall_by_cause", {}).get(cause, 0.0)
        for cause in CAUSES
    }
    return ViewerWindow(
        watch_s=watch,
        stall_s=at_end.get("stall_s", 0.0) - before.get("stall_s", 0.0),
        stalls=at_end.get("stalls", 0) - before.get("stalls", 0),
        causes=causes,
        hops=list(at_end.get("hops", [])),
        arrival=_arrival_diff(before.get("arrival", {}), at_end.get("arrival", {})),
        late_drops=at_end.get("late_drops", 0) - before.get("late_drops", 0),
    )


def _arrival_diff(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {}
    for route, bins in after.items():
        earlier = before.get(route, {})
        diff = {int(b): n - earlier.get(b, 0) for b, n in bins.items() if n - earlier.get(b, 0) > 0}
        if diff:
            out[route] = diff
    return out


def _merge(histograms: list[dict[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for histogram in histograms:
        for b, n in histogram.items():
            out[b] = out.get(b, 0) + n
    return out


def _histogram_pct(histogram: dict[int, int], q: float) -> float:
    total = sum(histogram.values())
    seen = 0
    for b in sorted(histogram):
        seen += histogram[b]
        if seen > q * total:
            return (b + 1) * ARRIVAL_BIN_S
    return float("nan")


def arrival_table(window: WindowFigures) -> str:
    """When blocks arrived after their capture (their first copy), by route and by the viewer's tree depth."""
    lines = ["  block arrival after capture, first copy (p50 / p95 / share of blocks):"]
    routes = sorted({r for v in window.viewers for r in v.arrival})
    every = _merge([h for v in window.viewers for h in v.arrival.values()])
    total = max(1, sum(every.values()))
    for route in routes:
        merged = _merge([v.arrival[route] for v in window.viewers if route in v.arrival])
        lines.append(
            f"    by {route:<8} {_histogram_pct(merged, 0.5):5.2f} / {_histogram_pct(merged, 0.95):5.2f} s"
            f"  {100 * sum(merged.values()) / total:5.1f} %"
        )
    depths = sorted({v.depth() for v in window.viewers})
    cells = []
    for depth in depths:
        merged = _merge([h for v in window.viewers if v.depth() == depth for h in v.arrival.values()])
        cells.append(f"{depth}: {_histogram_pct(merged, 0.5):.2f}/{_histogram_pct(merged, 0.95):.2f}")
    lines.append("    by deepest hop, p50/p95 s: " + "; ".join(cells))
    lines.append(f"    blocks dropped by senders as too late: {sum(v.late_drops for v in window.viewers)}")
    return "\n".join(lines)


def host_windows(
    marked: dict[str, Any] | None,
    snapshot: dict[str, Any] | None,
    left: dict[str, dict[str, Any]],
    start: float,
    end: float,
) -> list[ViewerWindow]:
    """The windows of one viewer host's viewers: those present at the snapshot, and those that left before it."""
    at_mark = (marked or {}).get("viewers", {})
    at_end: dict[str, dict[str, Any]] = dict((snapshot or {}).get("viewers", {}))
    for name, figures in left.items():
        if name not in at_end and figures["now"] <= end + 1.0:
            at_end[name] = figures
    windows = [viewer_window(at_mark.get(name), figures, start, end) for name, figures in at_end.items()]
    return [w for w in windows if w is not None]


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def cause_table(window: WindowFigures) -> str:
    """Stall seconds by cause and as a share of watched time; the spread over viewers; stall by tree depth."""
    watch = max(1e-3, window.watch_s)
    causes = window.cause_s()
    lines = [f"  stall by cause (measured window, {watch:.0f} viewer-s watched, {len(window.viewers)} viewers):"]
    names = {
        "push": "late block, came by the stripe tree",
        "pull": "late block, pulled from a neighbour",
        "origin": "late block, from the origin's node",
        "http": "late block, fetched from the origin's HTTP",
        "skip": "block never came: waited, then skipped",
        "open": "still stalled at the end",
    }
    for cause in CAUSES:
        lines.append(f"    {names[cause]:<44} {causes[cause]:8.1f} s  {100 * causes[cause] / watch:6.2f} %")
    lines.append(f"    {'total':<44} {window.stall_s:8.1f} s  {window.stall_pct():6.2f} %")
    per_viewer = window.per_viewer_pct()
    lines.append(
        "  stall per viewer p50 / p90 / max: "
        f"{_pct(per_viewer, 0.5):.2f} / {_pct(per_viewer, 0.9):.2f} / {max(per_viewer, default=float('nan')):.2f} %"
        f"; stall events {sum(v.stalls for v in window.viewers)}"
    )
    by_depth: dict[int, list[ViewerWindow]] = {}
    for viewer in window.viewers:
        by_depth.setdefault(viewer.depth(), []).append(viewer)
    cells = []
    for depth in sorted(by_depth):
        group = by_depth[depth]
        pct = 100 * sum(v.stall_s for v in group) / max(1e-3, sum(v.watch_s for v in group))
        cells.append(f"{depth if depth >= 0 else 'none'}: {len(group)} viewers {pct:.1f} %")
    lines.append("  stall by deepest stripe hop at the end: " + "; ".join(cells))
    return "\n".join(lines) + "\n" + arrival_table(window)
