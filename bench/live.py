"""Live broadcast through the swarm: one broadcaster and N viewers on their own loopback addresses.

The broadcaster (a process) encodes a test pattern whose every picture carries its capture clock, at ``--kbps``
(640x360, 25 fps), and uploads at most ``--origin-factor`` x that rate. Every viewer but one is a process of its own
(app.live.headless) uploading at most ``--viewer-upload-kbps``; the remaining one plays through the app's player —
the loopback stream server and headless VLC — and reads the clock from each decoded picture (glass to glass). Every
link has a delay drawn from ``--link`` min..max ms and per-segment loss, emulated in our transport (this kernel has
no netem). Each minute ``--churn`` of the viewers leave and as many new ones join. Peers come from a list (the
origin and four random viewers, as a tracker would answer).

Printed: glass-to-glass delay from decoded pictures (the VLC viewer) and from block play-out (all viewers), the
share of block bytes viewers got from peers, origin copies per block, stall time, join-to-first-picture, CPU and
resident memory per viewer. Last line: one JSON object. The machine is shared: run it several times.

Run: .venv/bin/python bench/live.py [--viewers 40] [--kbps 1500] [--minutes 1] ([--viewers 350 --kbps 500])
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.live.link import LinkProfile
from tests.live.swarm import LiveProcess, make_live_bundle, start_broadcaster, start_viewer, wait_for
from tests.live.vlc_viewer import VlcLiveViewer
from tests.support.net import free_port, loopback_address


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Audience:
    """The viewer processes, their addresses, and the ones that left (their final figures kept)."""

    def __init__(self, bundle: Any, args: argparse.Namespace, vlc_address: tuple[str, int]) -> None:
        self._bundle = bundle
        self._args = args
        self.live: dict[tuple[str, int], LiveProcess] = {}
        self.departed: list[LiveProcess] = []
        self._vlc_address = vlc_address

    def addresses(self) -> list[tuple[str, int]]:
        return [*self.live, self._vlc_address]

    def peers_for(self, me: tuple[str, int]) -> list[tuple[str, int]]:
        others = [a for a in self.addresses() if a != me]
        return [(self._bundle.origin_host, self._bundle.origin_port), *random.sample(others, min(4, len(others)))]

    def join(self, address: tuple[str, int] | None = None) -> None:
        if address is None:
            host = loopback_address()
            address = (host, free_port(host))
        a = self._args
        if self._args.verbose:
            print("join", address, self.peers_for(address), file=sys.stderr)
        self.live[address] = start_viewer(
            self._bundle,
            address[0],
            self.peers_for(address),
            "--port",
            str(address[1]),
            "--upload-kbps",
            str(a.viewer_upload_kbps),
            "--kbps",
            str(a.kbps),
            "--delay",
            str(a.delay),
            "--link",
            a.link,
            "--fanout",
            str(a.fanout),
        )

    def leave_one(self) -> None:
        address = random.choice(list(self.live))
        process = self.live.pop(address)
        process.stop()
        self.departed.append(process)

    def everyone(self) -> list[LiveProcess]:
        return [*self.live.values(), *self.departed]


def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    bundle = make_live_bundle(tmp, loopback_address())
    video_kbps = int(args.kbps * 0.93)  # the rest: AAC, TS and block overhead
    link_low, link_high, loss = (float(x) for x in args.link.split(","))
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
    )
    broadcaster.ready()
    vlc_host = loopback_address()
    vlc_address = (vlc_host, free_port(vlc_host))
    audience = Audience(bundle, args, vlc_address)
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
    )
    started = time.time()
    for address in addresses:
        audience.join(address)
        time.sleep(args.ramp / max(1, len(addresses)))
    vlc.peers = audience.peers_for(vlc_address)
    vlc_joined = time.time()
    vlc.start()
    wait_for(lambda: all(p.of("ready") for p in audience.live.values()), 120, "every viewer to start")
    measure_from = time.time() + args.warmup
    end = measure_from + args.minutes * 60
    churn_every = 60 / max(1, round(args.viewers * args.churn)) if args.churn > 0 else None
    next_churn = measure_from + (churn_every or 0)
    while time.time() < end:
        time.sleep(0.5)
        if churn_every is not None and time.time() >= next_churn:
            audience.leave_one()
            audience.join()
            next_churn += churn_every
    vlc_figures = _vlc_figures(vlc, measure_from, end, vlc_joined)
    vlc_viewer = vlc.viewer
    vlc_stats = None
    if vlc_viewer is not None and vlc_viewer.playout is not None:
        vlc_stats = {
            "stall_s": vlc_viewer.playout.stats.stall_s,
            "started_at": vlc_viewer.playout.stats.started_at,
            "from_peers": vlc_viewer.node.counters.block_bytes_from_peers,
            "from_origin": vlc_viewer.node.counters.block_bytes_from_origin,
        }
    vlc.stop()
    for process in list(audience.live.values()):
        process.stop()
    broadcaster.stop()
    return _figures(args, broadcaster, audience, vlc_figures, vlc_stats, measure_from, end, started)


def _vlc_figures(vlc: VlcLiveViewer, start: float, end: float, joined: float) -> dict[str, float]:
    window = [c.delay_s for c in vlc.clocks if start <= c.shown_at <= end]
    first = vlc.clocks[0].shown_at - joined if vlc.clocks else float("nan")
    return {
        "p50": _percentile(window, 0.5),
        "p95": _percentile(window, 0.95),
        "pictures": len(window),
        "unreadable": vlc.unreadable,
        "join_s": first,
    }


def _figures(
    args: argparse.Namespace,
    broadcaster: LiveProcess,
    audience: Audience,
    vlc: dict[str, float],
    vlc_stats: dict[str, Any] | None,
    start: float,
    end: float,
    started: float,
) -> dict[str, Any]:
    delays: list[float] = []
    joins: list[float] = []
    stall_s = watch_s = from_peers = from_origin = 0.0
    cpu_pct: list[float] = []
    rss: list[float] = []
    gaps = played = 0
    for process in audience.everyone():
        plays = [p for p in process.of("play") if start <= p["at"] <= end]
        delays += [p["at"] - p["capture_ms"] / 1000 for p in plays]
        played += len(plays)
        gaps += sum(g["last"] - g["first"] + 1 for g in process.of("gap") if start <= g["at"] <= end)
        final = [s for s in process.of("stats") if s.get("final")] or process.of("stats")[-1:]
        if not final:
            continue
        stats = final[-1]
        if args.verbose:
            keys = ("played", "gaps", "stall_s", "pulls", "http_fetches", "hops", "children", "late_drops")
            print("  viewer", {k: stats.get(k) for k in keys}, file=sys.stderr)
        from_peers += stats["from_peers"]
        from_origin += stats["from_origin"]
        if stats.get("started_at"):
            joins.append(stats["started_at"] - stats["joined_at"])
            watch_s += max(0.0, min(end, stats["now"]) - stats["started_at"])
            stall_s += stats["stall_s"]
        cpu_pct.append(100 * stats["cpu_s"] / max(1e-3, stats["now"] - stats["joined_at"]))
        rss.append(stats["rss_mb"])
    if vlc_stats is not None:
        from_peers += vlc_stats["from_peers"]
        from_origin += vlc_stats["from_origin"]
        stall_s += vlc_stats["stall_s"]
        if vlc_stats["started_at"]:
            watch_s += end - vlc_stats["started_at"]
    origin = broadcaster.of("stats")
    origin_final = origin[-1] if origin else {}
    return {
        "viewers": args.viewers,
        "kbps": args.kbps,
        "minutes": args.minutes,
        "vlc_p50_s": vlc["p50"],
        "vlc_p95_s": vlc["p95"],
        "vlc_pictures": vlc["pictures"],
        "vlc_join_s": vlc["join_s"],
        "playout_p50_s": _percentile(delays, 0.5),
        "playout_p95_s": _percentile(delays, 0.95),
        "blocks_played": played,
        "blocks_skipped": gaps,
        "offload": from_peers / max(1.0, from_peers + from_origin),
        "origin_copies_per_block": origin_final.get("copies_per_block", float("nan")),
        "stall_pct": 100 * stall_s / max(1e-3, watch_s),
        "join_p95_s": _percentile(joins, 0.95),
        "join_p50_s": _percentile(joins, 0.5),
        "cpu_pct_per_viewer": statistics.median(cpu_pct) if cpu_pct else float("nan"),
        "rss_mb_per_viewer": statistics.median(rss) if rss else float("nan"),
        "rss_mb_max": max(rss) if rss else float("nan"),
        "origin_cpu_s": origin_final.get("cpu_s"),
        "departed": len(audience.departed),
    }


def _table(f: dict[str, Any]) -> str:
    rows = [
        ("glass-to-glass, decoded pictures (VLC) p50 / p95", f"{f['vlc_p50_s']:.2f} s / {f['vlc_p95_s']:.2f} s"),
        ("glass-to-glass, block play-out (all) p50 / p95", f"{f['playout_p50_s']:.2f} s / {f['playout_p95_s']:.2f} s"),
        ("share of block bytes from peers", f"{f['offload']:.3f}"),
        ("origin copies per block (bytes uploaded / made)", f"{f['origin_copies_per_block']:.2f}"),
        ("stall time", f"{f['stall_pct']:.2f} %"),
        ("blocks played / skipped (measured window)", f"{f['blocks_played']} / {f['blocks_skipped']}"),
        (
            "join to first picture p50 / p95 (VLC viewer)",
            f"{f['join_p50_s']:.2f} / {f['join_p95_s']:.2f} s ({f['vlc_join_s']:.2f} s)",
        ),
        ("CPU per viewer (median, % of a core)", f"{f['cpu_pct_per_viewer']:.1f} %"),
        ("resident memory per viewer (median / max)", f"{f['rss_mb_per_viewer']:.0f} / {f['rss_mb_max']:.0f} MB"),
    ]
    width = max(len(r[0]) for r in rows)
    title = f"live: {f['viewers']} viewers, {f['kbps']} kbit/s, {f['minutes']} min, {f['departed']} left and rejoined"
    return "\n".join([title, *(f"  {name:<{width}}  {value}" for name, value in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=40)
    parser.add_argument("--kbps", type=int, default=1500, help="the stream's total rate")
    parser.add_argument("--minutes", type=float, default=1.0, help="measured time, after the warm-up")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds before measuring")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the first viewers join")
    parser.add_argument("--churn", type=float, default=0.10, help="share of viewers leaving and joining a minute")
    parser.add_argument("--delay", type=float, default=1.8, help="play-out delay behind the source, seconds")
    parser.add_argument("--link", default="20,60,0.01", help="per link: min_ms,max_ms,loss")
    parser.add_argument("--viewer-upload-kbps", type=int, default=3000)
    parser.add_argument("--origin-factor", type=float, default=2.0, help="origin upload cap, x the stream rate")
    parser.add_argument("--copies", type=int, default=1, help="origin copies of each block per stripe")
    parser.add_argument("--fanout", type=int, default=3, help="most children a viewer takes per stripe")
    parser.add_argument("--verbose", action="store_true", help="each viewer's final figures, on stderr")
    args = parser.parse_args()
    figures = run(args)
    print(_table(figures))
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
