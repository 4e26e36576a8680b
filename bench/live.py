"""Live broadcast through the swarm: one broadcaster and N viewers on their own loopback addresses.

The broadcaster (a process) encodes a test pattern whose every picture carries its capture clock, at ``--kbps``
(640x360, 25 fps), and uploads at most ``--origin-factor`` x that rate. Every viewer but one runs in a viewer host
process (app.live.viewer_host, ``--per-process`` viewers each, every viewer with its own 127.x address and node)
uploading at most ``--viewer-upload-kbps``; the remaining one plays through the app's player —
the loopback stream server and headless VLC — and reads the clock from each decoded picture (glass to glass). Every
link has a delay drawn from ``--link`` min..max ms and per-segment loss, emulated in our transport (this kernel has
no netem). Each minute ``--churn`` of the viewers leave and as many new ones join. Every viewer starts with the
origin and four random viewers, and announces every 5 s to the store's tracker (bench/live_tracker.py runs the
store's own tracker code alone), dialling the peers it names, as the app's viewers do (``--no-tracker``: the first
list only — over ten minutes of churn the early viewers are left with one or two neighbours).

Printed: glass-to-glass delay from decoded pictures (the VLC viewer) and from block play-out (all viewers), the
share of block bytes viewers got from peers, origin copies per block, stall time, join-to-first-picture, CPU and
resident memory per viewer (at the start and the end of the measured window), and what happened to the stripe
trees (parents lost and why, loops broken, rejoin times). Last line: one JSON object. The machine is shared: run it
several times.

It also prints the machine's CPU in the window (all of it, and this bench's share) and a verdict: CPU BOUND when the
cores were nearly all busy or the hosts' loops woke late (then delays and stalls measure the machine, not the swarm),
with an estimate of how many viewers fit at this rate from the CPU per viewer measured.

Run: .venv/bin/python bench/live.py [--viewers 40] [--kbps 1500] [--minutes 1] [--per-process N]
     .venv/bin/python bench/live.py --viewers 350 --kbps 500   (the seed's audience size: 8 hosts of 44 viewers)
     .venv/bin/python bench/live.py --minutes 10   (memory per viewer each minute: it must stay flat)
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.live.link import LinkProfile
from app.live.node_config import LIVE_DELAY_S
from app.live.viewer_host import DELAY_BIN_S
from app.live.wire import NO_ROUTE
from bench.live_join import join_lag_table
from bench.live_lost import blocks_nobody_got, lost_line
from bench.live_table import live_table
from bench.live_tracker import TrackerProcess
from bench.live_window import WindowFigures, cause_table, host_windows, viewer_window
from bench.proc_cpu import machine_cpu_s, tree_cpu_s
from tests.live.host_swarm import ViewerHostProcess, name_of
from tests.live.swarm import LiveProcess, make_live_bundle, start_broadcaster
from tests.live.vlc_viewer import VlcLiveViewer
from tests.support.net import free_port, loopback_address

Address = tuple[str, int]
MAX_DEFAULT_HOSTS = 8
SATURATED_BUSY_PCT = 90.0  # the machine's cores this busy in the window: delays measure the machine
SATURATED_LAG_MS = 100.0  # or the hosts' loops woke this late (p99): every hop waits for the loop
FIT_BUSY_PCT = 80.0  # the share of the cores a viewer estimate may fill
FRAME_S = 0.04  # the bench's stream is 25 fps
FROZEN_GAP_S = 0.1  # a longer gap between two pictures VLC showed is a freeze
ANNOUNCE_EVERY_S = 5.0  # as the app's viewers (app/ui/player/live_session.py)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Audience:
    """The viewers, hosted ``--per-process`` to a process (each on its own address), and the ones that left."""

    def __init__(self, bundle: Any, args: argparse.Namespace, vlc_address: Address) -> None:
        self._bundle = bundle
        self._args = args
        count = max(1, -(-(args.viewers - 1) // args.per_process))
        options = [
            *("--upload-kbps", str(args.viewer_upload_kbps), "--kbps", str(args.kbps), "--delay", str(args.delay)),
            *("--link", args.link, "--fanout", str(args.fanout), "--stats-every", "2"),
            *args.tracker_options,
        ]
        self.hosts = [ViewerHostProcess(bundle, *options) for _ in range(count)]
        self.live: dict[Address, ViewerHostProcess] = {}
        self.departed = 0
        self._vlc_address = vlc_address

    def peers_for(self, me: Address) -> list[Address]:
        others = [a for a in [*self.live, self._vlc_address] if a != me]
        return [(self._bundle.origin_host, self._bundle.origin_port), *random.sample(others, min(4, len(others)))]

    def join(self, address: Address, host: ViewerHostProcess) -> None:
        self.live[address] = host
        host.join(address, self.peers_for(address))

    def churn(self) -> None:
        """One viewer leaves; a new one joins on a new address, in the same process."""
        address = random.choice(list(self.live))
        host = self.live.pop(address)
        host.leave(name_of(address))
        self.departed += 1
        new_host = loopback_address()
        self.join((new_host, free_port(new_host)), host)

    def mark(self) -> None:
        for host in self.hosts:
            host.mark()

    def snapshot(self) -> None:
        """Every host's figures now (the end of the window); waits a few seconds at most for their answers."""
        for host in self.hosts:
            host.snapshot()
        deadline = time.time() + 10
        while time.time() < deadline and any(h.snapshot_stats is None for h in self.hosts):
            time.sleep(0.05)

    def stop(self) -> None:
        for host in self.hosts:
            host.quit()
        for host in self.hosts:
            host.stop()


def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    bundle = make_live_bundle(tmp, loopback_address())
    video_kbps = int(args.kbps * 0.93)  # the rest: AAC, TS and block overhead
    link_low, link_high, loss = (float(x) for x in args.link.split(","))
    # Every process this run starts is stopped on the way out, also when the run fails half-way (a crashed run
    # once left its broadcaster loading the machine for 50 minutes under the runs that followed).
    with contextlib.ExitStack() as cleanup:
        if not args.no_tracker:
            tracker = TrackerProcess(bundle.stream_id, "127.0.0.1", free_port("127.0.0.1"), tmp / "tracker.log")
            cleanup.callback(tracker.stop)
            tracker.wait_ready()
            args.tracker_options = ["--tracker", tracker.url, "--announce-interval", str(ANNOUNCE_EVERY_S)]
        else:
            args.tracker_options = []
        broadcaster = start_broadcaster(
            bundle,
            "--kbps",
            str(video_kbps),
            "--upload-kbps",
            str(args.kbps * args.origin_factor),
            "--delay",
            str(args.delay),
            "--link",
            args.link,
            "--copies",
            str(args.copies),
            *args.tracker_options,
        )
        cleanup.callback(broadcaster.stop)
        broadcaster.ready()
        vlc_host = loopback_address()
        vlc_address = (vlc_host, free_port(vlc_host))
        audience = Audience(bundle, args, vlc_address)
        cleanup.callback(audience.stop)
        measured = _measure(args, bundle, audience, vlc_address, (link_low, link_high, loss), cleanup)
        # The origin's figures as the window ended: its last line comes after the audience was stopped on the way out,
        # and counted every root slot freed by the shutdown as a root gap (30.3 s in one ten-minute run, stop 22).
        origin_at_end = broadcaster.last_stats()
    if broadcaster.stderr_tail().strip():
        print("broadcaster's stderr (last lines):\n" + broadcaster.stderr_tail(), file=sys.stderr)
    vlc_figures, vlc_stats, end, machine, window = measured
    figures = _figures(args, broadcaster, origin_at_end, audience, vlc_figures, vlc_stats, end)
    return figures | machine.figures() | {"window": window}


def _measure(
    args: argparse.Namespace,
    bundle: Any,
    audience: Audience,
    vlc_address: Address,
    link: tuple[float, float, float],
    cleanup: contextlib.ExitStack,
) -> tuple[Any, dict[str, Any] | None, float, _CpuWindow, WindowFigures]:
    """Join the viewers and the VLC viewer, churn through the measured window, and take every figure."""
    link_low, link_high, loss = link
    vlc_host = vlc_address[0]
    addresses = [(h, free_port(h)) for h in (loopback_address() for _ in range(args.viewers - 1))]
    for address in addresses:
        audience.live[address] = None  # type: ignore[assignment]  # reserved, so early joiners list later ones
    rng = random.Random()
    vlc = VlcLiveViewer(
        bundle,
        vlc_host,
        [],
        port=vlc_address[1],
        delay_s=args.delay,
        upload_bps=args.viewer_upload_kbps * 1000,
        stream_bps=args.kbps * 1000,
        link=lambda: LinkProfile(delay_s=rng.uniform(link_low, link_high) / 1000, loss=loss),
        tracker_url=args.tracker_options[1] if args.tracker_options else None,
    )
    for index, address in enumerate(addresses):
        audience.join(address, audience.hosts[index % len(audience.hosts)])
        time.sleep(args.ramp / max(1, len(addresses)))
    for host in audience.hosts:
        host.wait_ready([name_of(a) for a, h in audience.live.items() if h is host], 120)
    # The VLC viewer opens the stream once the opening crowd is in, as a fan opens a running broadcast: VLC that
    # starts while 39 viewers start on the same two cores keeps the delay its late start cost it (its own share of the
    # delay 0.17-0.18 s instead of 0.11 s, tests in FIELD-NOTES-FOUND, stop 24) — a load no fan's machine has.
    vlc.peers = audience.peers_for(vlc_address)
    vlc_joined = time.time()
    vlc.start()
    cleanup.callback(vlc.stop)
    measure_from = time.time() + args.warmup
    end = measure_from + args.minutes * 60
    time.sleep(max(0.0, measure_from - time.time()))
    machine = _CpuWindow()
    audience.mark()
    vlc_at_mark = _vlc_viewer_figures(vlc, measure_from)
    churn_every = 60 / max(1, round(args.viewers * args.churn)) if args.churn > 0 else None
    next_churn = measure_from + (churn_every or 0)
    while time.time() < end:
        time.sleep(0.5)
        # No churn at the window's end: a viewer joined a moment before the snapshot showed as "fewest 0 connections".
        if churn_every is not None and end > next_churn <= time.time():
            audience.churn()
            next_churn += churn_every
    audience.snapshot()
    machine.end()
    vlc_at_end = _vlc_viewer_figures(vlc, time.time())
    window = WindowFigures()
    for host in audience.hosts:
        window.viewers += host_windows(host.marked_stats, host.snapshot_stats, host.left, measure_from, end)
    vlc_window = viewer_window(vlc_at_mark, vlc_at_end, measure_from, end) if vlc_at_end else None
    if vlc_window is not None:
        window.viewers.append(vlc_window)
    vlc_figures = _vlc_figures(vlc, measure_from, end, vlc_joined)
    vlc_viewer = vlc.viewer
    vlc_stats = None
    if vlc_viewer is not None and vlc_viewer.playout is not None:
        vlc_stats = {
            "stall_s": vlc_viewer.playout.stats.stall_s,
            "started_at": vlc_viewer.playout.stats.started_at,
            "from_peers": vlc_viewer.node.counters.block_bytes_from_peers,
            "from_origin": vlc_viewer.node.counters.block_bytes_from_origin,
            "delay_s": vlc_viewer.delay_behind_source_s() or float("nan"),
        }
    return vlc_figures, vlc_stats, end, machine, window


class _CpuWindow:
    """The machine's CPU over the measured window: all of it (every core, anyone's work) and this bench's process tree
    (viewer hosts, broadcaster, the VLC viewer, this process) — whether the figures measure the swarm or the machine."""

    def __init__(self) -> None:
        self._wall, self._machine, self._tree = time.time(), machine_cpu_s(), tree_cpu_s(os.getpid())
        self._end: tuple[float, float, float] | None = None

    def end(self) -> None:
        self._end = (time.time(), machine_cpu_s(), tree_cpu_s(os.getpid()))

    def figures(self) -> dict[str, float]:
        assert self._end is not None
        wall, machine, tree = self._end
        cores = os.cpu_count() or 1
        capacity = max(1e-3, (wall - self._wall) * cores)
        return {
            "cores": cores,
            "machine_busy_pct": 100 * (machine - self._machine) / capacity,
            "bench_cpu_pct": 100 * (tree - self._tree) / capacity,
            "bench_cpu_s": tree - self._tree,
        }


def _vlc_viewer_figures(vlc: VlcLiveViewer, now: float) -> dict[str, Any] | None:
    """The VLC viewer's play-out figures in the shape viewer hosts report them (for its window)."""
    viewer = vlc.viewer
    if viewer is None or viewer.playout is None:
        return None
    stats = viewer.playout.stats
    causes = dict(stats.stall_by_cause)
    if viewer.playout.stalled_now(now):
        causes["open"] = viewer.playout.stalled_now(now)
    return {
        "now": now,
        "started_at": stats.started_at,
        "stall_s": stats.stall_s + viewer.playout.stalled_now(now),
        "stalls": stats.stalls,
        "stall_by_cause": causes,
        "hops": viewer.node.stripe_hops(),
        "arrival": {route: dict(bins) for route, bins in stats.arrival.items()},
        "late_drops": sum(nb.counters.blocks_dropped_late for nb in viewer.node.neighbours.values()),
    }


def _vlc_figures(vlc: VlcLiveViewer, start: float, end: float, joined: float) -> dict[str, Any]:
    window = [c.delay_s for c in vlc.clocks if start <= c.shown_at <= end]
    own_share = [share for shown, share in vlc.vlc_shares if start <= shown <= end]
    own_by_minute = [
        _percentile([x for shown, x in vlc.vlc_shares if minute <= shown - start < minute + 60], 0.5)
        for minute in range(0, max(1, int(end - start)), 60)
    ]
    shown_at = [c.shown_at for c in vlc.clocks if start <= c.shown_at <= end]
    # The picture frozen: every gap between pictures longer than FROZEN_GAP_S (25 fps: 0.04 s), beyond one frame.
    frozen_s = sum(b - a - FRAME_S for a, b in itertools.pairwise(shown_at) if b - a > FROZEN_GAP_S)
    first = vlc.clocks[0].shown_at - joined if vlc.clocks else float("nan")
    return {
        "p50": _percentile(window, 0.5),
        "p95": _percentile(window, 0.95),
        "own_share_p50": _percentile(own_share, 0.5),
        "own_share_p95": _percentile(own_share, 0.95),
        "frozen_pct": 100 * frozen_s / max(1e-9, end - start),
        "own_share_by_minute": [round(x, 3) for x in own_by_minute],
        "pictures": len(window),
        "unreadable": vlc.unreadable,
        "join_s": first,
    }


def _histogram_percentile(histogram: dict[int, int], q: float) -> float:
    total = sum(histogram.values())
    if not total:
        return float("nan")
    seen = 0
    for delay_bin in sorted(histogram):
        seen += histogram[delay_bin]
        if seen > q * total:
            return delay_bin * DELAY_BIN_S
    return max(histogram) * DELAY_BIN_S


_TREE_SUMS = (
    *("departed", "stale", "refused", "orphaned", "upgraded", "upgrades_refused"),
    *("loops", "no_candidate", "no_route_s", "rejoins", "climb_dials"),
)


def _figures(
    args: argparse.Namespace,
    broadcaster: LiveProcess,
    origin_at_end: dict[str, Any],
    audience: Audience,
    vlc: dict[str, float],
    vlc_stats: dict[str, Any] | None,
    end: float,
) -> dict[str, Any]:
    delays: dict[int, int] = {}
    loop_lag: dict[int, int] = {}
    # Join to first picture, apart: viewers that joined the running broadcast (the churn, inside the measured window)
    # and the opening crowd (the ramp: they join as the broadcaster starts, before it has made a block, while every
    # tree forms). The first is the figure; both are printed.
    joins: list[float] = []
    opening_joins: list[float] = []
    window_start = end - args.minutes * 60
    stall_s = watch_s = from_peers = from_origin = 0.0
    skipped = 0
    tree = dict.fromkeys(_TREE_SUMS, 0.0)
    refused = dict.fromkeys(("forged", "malformed", "out_of_window"), 0)  # blocks viewers refused, whole lives
    rejoin_max = 0.0
    cpu_s = rss_start = rss_end = 0.0
    cpu_window = 0.0
    finals: list[dict[str, Any]] = []  # each viewer's last figures, for the join and lag table
    neighbours: list[int] = []  # each viewer's connections at the end of the window
    with_origin = 0  # viewers connected to the origin at the end of the window (only they can take a root slot)
    fanouts: list[int] = []  # children of each (viewer, stripe) that has any, at the end: the trees' branching
    deepest: list[int] = []  # each viewer's deepest routed stripe at the end, in hops from the origin
    home_hops: list[int] = []  # each viewer's hops in its home stripe at the end (routed)
    children_all = children_home = 0  # stripe children at the end; of them, in their parent's home stripe
    for host in audience.hosts:
        final, marked = host.final_stats or host.stats, host.marked_stats or {}
        present = (host.snapshot_stats or final).get("viewers", {}).values()
        neighbours += [v["neighbours"] for v in present]
        with_origin += sum(bool(v.get("origin_neighbour")) for v in present)
        fanouts += [c for v in present for c in v.get("children_by_stripe", []) if c]
        for v in present:
            routed = [h for h in v.get("hops", []) if h < NO_ROUTE]
            deepest += [max(routed)] if routed else []
            home = v.get("home")
            home_hops += [v["hops"][home]] if home is not None and v["hops"][home] < NO_ROUTE else []
            children = v.get("children_by_stripe", [])
            children_all += sum(children)
            children_home += children[v["home"]] if v.get("home") is not None and children else 0
        for delay_bin, count in final.get("delays", {}).items():
            delays[int(delay_bin)] = delays.get(int(delay_bin), 0) + count
        skipped += final.get("skipped", 0)
        for lag_bin, count in (host.snapshot_stats or final).get("loop_lag", {}).items():
            loop_lag[int(lag_bin)] = loop_lag.get(int(lag_bin), 0) + count
        if marked:
            cpu_s += final.get("cpu_s", 0.0) - marked["cpu_s"]
            cpu_window = max(cpu_window, final.get("now", end) - marked["now"])
            rss_start += marked["rss_mb"]
            rss_end += final.get("rss_mb", 0.0)
        # Each viewer once: its figures when it left (everyone leaves at the end), else the host's last stats.
        for stats in ({**final.get("viewers", {}), **host.left}).values():
            if args.verbose:
                keys = (
                    "played",
                    "gaps",
                    "stall_s",
                    "pulls",
                    "http_fetches",
                    "hops",
                    "children",
                    "late_drops",
                    "peers_dropped",
                    "neighbours",
                    "tree",
                )
                print("  viewer", {k: stats.get(k) for k in keys}, file=sys.stderr)
            finals.append(stats)
            from_peers += stats["from_peers"]
            from_origin += stats["from_origin"]
            if stats.get("started_at"):
                running = stats["joined_at"] >= window_start
                (joins if running else opening_joins).append(stats["started_at"] - stats["joined_at"])
                watch_s += max(0.0, min(end, stats["now"]) - stats["started_at"])
                stall_s += stats["stall_s"]
            for key in _TREE_SUMS:
                tree[key] += stats["tree"].get(key) or 0
            for key in refused:
                refused[key] += stats.get(key, 0)
            rejoin_max = max(rejoin_max, stats["tree"].get("rejoin_max_s") or 0.0)
    if vlc_stats is not None:
        from_peers += vlc_stats["from_peers"]
        from_origin += vlc_stats["from_origin"]
        stall_s += vlc_stats["stall_s"]
        if vlc_stats["started_at"]:
            watch_s += end - vlc_stats["started_at"]
    origin = broadcaster.of("stats")
    hosted = args.viewers - 1
    return {
        "viewers": args.viewers,
        "kbps": args.kbps,
        "minutes": args.minutes,
        "per_process": args.per_process,
        "vlc_p50_s": vlc["p50"],
        "vlc_p95_s": vlc["p95"],
        "vlc_own_p50_s": vlc["own_share_p50"],
        "vlc_own_p95_s": vlc["own_share_p95"],
        "vlc_frozen_pct": vlc["frozen_pct"],
        "vlc_own_by_minute": vlc["own_share_by_minute"],
        "vlc_pictures": vlc["pictures"],
        "vlc_join_s": vlc["join_s"],
        "playout_p50_s": _histogram_percentile(delays, 0.5),
        "playout_p95_s": _histogram_percentile(delays, 0.95),
        "blocks_played": sum(delays.values()),
        "loop_lag_p50_ms": 1000 * _histogram_percentile(loop_lag, 0.5),
        "loop_lag_p99_ms": 1000 * _histogram_percentile(loop_lag, 0.99),
        "blocks_skipped": skipped,
        "offload": from_peers / max(1.0, from_peers + from_origin),
        "origin_copies_per_block": origin_at_end.get("copies_per_block", float("nan")),
        "origin_http_per_block": origin_at_end.get("http_copies", 0) / max(1, origin_at_end.get("blocks", 0)),
        "origin_block_bytes_per_made": origin_at_end.get("block_bytes_sent", 0) / max(1, origin_at_end.get("bytes", 0)),
        "origin_control_bytes_per_made": origin_at_end.get("control_bytes_sent", 0)
        / max(1, origin_at_end.get("bytes", 0)),
        "origin_http_abandoned_per_made": origin_at_end.get("http_abandoned_bytes", 0)
        / max(1, origin_at_end.get("bytes", 0)),
        "origin_http_requests_per_block": origin_at_end.get("http_requests", 0)
        / max(1, origin_at_end.get("blocks", 0)),
        "publish_lag_p50_s": origin_at_end.get("publish_lag_p50_s") or float("nan"),
        "publish_lag_p95_s": origin_at_end.get("publish_lag_p95_s") or float("nan"),
        # Over each viewer's whole life up to the end of the window, shutdown stalls included (how it used to be).
        "stall_pct_lifetime": 100 * stall_s / max(1e-3, watch_s),
        "join_p95_s": _percentile(joins, 0.95),
        "join_p50_s": _percentile(joins, 0.5),
        "join_n": len(joins),
        "join_opening_p95_s": _percentile(opening_joins, 0.95),
        "join_opening_p50_s": _percentile(opening_joins, 0.5),
        "join_opening_n": len(opening_joins),
        "cpu_pct_per_viewer": 100 * cpu_s / max(1e-3, cpu_window) / hosted,
        "rss_mb_per_viewer_start": rss_start / hosted,
        "rss_mb_per_viewer_end": rss_end / hosted,
        "origin_cpu_s": origin_at_end.get("cpu_s"),
        "origin_rss_mb": origin_at_end.get("rss_mb"),
        "departed": audience.departed,
        "no_tracker": args.no_tracker,
        "blocks_refused": refused,
        "neighbours_min": min(neighbours, default=0),
        "neighbours_p50": _percentile([float(n) for n in neighbours], 0.5),
        "with_origin": with_origin,
        "root_gaps": {
            k: origin_at_end.get(k) for k in ("root_gaps", "root_gap_max_s", "root_free_s", "subscriptions_refused")
        },
        "fanout_mean": sum(fanouts) / max(1, len(fanouts)),
        "relaying_stripes_per_viewer": len(fanouts) / max(1, len(neighbours)),
        "deepest_hop_p50": _percentile([float(d) for d in deepest], 0.5),
        "deepest_hop_max": max(deepest, default=0),
        "home_hop_p50": _percentile([float(h) for h in home_hops], 0.5),
        "home_hop_max": max(home_hops, default=0),
        "children_in_home_share": children_home / max(1, children_all),
        "tree": {**{k: round(v, 1) for k, v in tree.items()}, "rejoin_max_s": rejoin_max},
        "rss_by_minute": _rss_by_minute(audience.hosts),
        "join_lag_table": join_lag_table(finals, args.delay, end - args.minutes * 60),
        "lost_blocks": blocks_nobody_got(
            [g for host in audience.hosts for events in host.gaps.values() for g in events],
            len(neighbours),
            origin,
            (window_start, end),
        ),
        "vlc_viewer_delay_s": vlc_stats["delay_s"] if vlc_stats else float("nan"),
    }


def _rss_by_minute(hosts: list[ViewerHostProcess]) -> list[float]:
    """Resident memory per hosted viewer, sampled about once a minute in every host (the flatness of memory)."""
    rows = min((len(h.samples) for h in hosts), default=0)
    out = []
    for index in range(rows):
        rss = sum(h.samples[index][1] for h in hosts)
        viewers = sum(h.samples[index][3] for h in hosts)
        out.append(round(rss / max(1, viewers), 2))
    return out


def _capacity(f: dict[str, Any]) -> dict[str, Any]:
    """Whether the machine, not the swarm, set the figures, and how many viewers it could host at this rate.

    CPU bound: the cores were nearly all busy in the window, or the hosts' event loops woke late (every hop of every
    block waits for a loop several times). The estimate: the cores' ``FIT_BUSY_PCT`` minus what the bench's other
    processes used (broadcaster, the VLC viewer, this one), at the CPU per viewer measured here — an estimate only (a
    starved swarm does other work than a healthy one)."""
    cores = f["cores"]
    hosts_cores = f["cpu_pct_per_viewer"] * (f["viewers"] - 1) / 100
    rest_cores = max(0.0, f["bench_cpu_pct"] * cores / 100 - hosts_cores)
    per_viewer = max(1e-6, f["cpu_pct_per_viewer"] / 100)
    return {
        "cpu_bound": f["machine_busy_pct"] >= SATURATED_BUSY_PCT or f["loop_lag_p99_ms"] >= SATURATED_LAG_MS,
        "other_work_pct": max(0.0, f["machine_busy_pct"] - f["bench_cpu_pct"]),
        "rest_of_bench_cores": rest_cores,
        "viewers_fit_estimate": max(0, int((FIT_BUSY_PCT / 100 * cores - rest_cores) / per_viewer)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=40)
    parser.add_argument("--kbps", type=int, default=1500, help="the stream's total rate")
    parser.add_argument("--minutes", type=float, default=1.0, help="measured time, after the warm-up")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds before measuring")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the first viewers join")
    parser.add_argument("--churn", type=float, default=0.10, help="share of viewers leaving and joining a minute")
    parser.add_argument("--delay", type=float, default=LIVE_DELAY_S, help="play-out delay behind the source, seconds")
    parser.add_argument("--link", default="20,60,0.01", help="per link: min_ms,max_ms,loss")
    parser.add_argument("--viewer-upload-kbps", type=int, default=3000)
    parser.add_argument("--origin-factor", type=float, default=2.0, help="origin upload cap, x the stream rate")
    parser.add_argument("--copies", type=int, default=1, help="origin copies of each block per stripe")
    parser.add_argument("--fanout", type=int, default=3, help="most children a viewer takes per stripe")
    parser.add_argument(
        "--per-process",
        type=int,
        default=None,
        help="viewers hosted by each viewer process (default: 8, more past 64 viewers so there are at most 8 hosts)",
    )
    parser.add_argument("--no-tracker", action="store_true", help="peers from the first list only (no tracker)")
    parser.add_argument("--verbose", action="store_true", help="each viewer's final figures, on stderr")
    args = parser.parse_args()
    if args.per_process is None:
        # Many small hosts starve the broadcaster: the kernel shares the cores per process, and with 44 hosts (350
        # viewers, 8 each) the encoder got ~1/45 of two cores (capture to published p95 2.3 s).
        args.per_process = max(8, math.ceil((args.viewers - 1) / MAX_DEFAULT_HOSTS))
    figures = run(args)
    window: WindowFigures = figures.pop("window")
    watch = max(1e-3, window.watch_s)
    figures["stall_pct"] = window.stall_pct()
    figures["stall_cause_pct"] = {cause: round(100 * s / watch, 3) for cause, s in window.cause_s().items()}
    per_viewer = window.per_viewer_pct()
    figures["stall_viewer_max_pct"] = max(per_viewer, default=float("nan"))
    join_lag = figures.pop("join_lag_table")
    lost = figures["lost_blocks"]
    figures |= _capacity(figures)
    print(live_table(figures))
    print(cause_table(window))
    print(lost_line(lost))
    print(join_lag)
    print(
        json.dumps(
            {
                "live_p50_s": round(figures["vlc_p50_s"], 3),
                "live_p95_s": round(figures["vlc_p95_s"], 3),
                "offload": round(figures["offload"], 4),
                "stall_pct": round(figures["stall_pct"], 3),
                "join_p95_s": round(figures["join_p95_s"], 3),
                "viewers": figures["viewers"],
                **{
                    k: (round(v, 3) if isinstance(v, float) else v) for k, v in figures.items() if k not in ("viewers",)
                },
            }
        )
    )


if __name__ == "__main__":
    main()
