"""bench/live.py's readable table: one row per figure, from the dict ``bench.live._figures`` returns (with the
machine's CPU and the capacity estimate merged in)."""

from __future__ import annotations

from typing import Any


def live_table(f: dict[str, Any]) -> str:
    rows = [
        ("glass-to-glass, decoded pictures (VLC) p50 / p95", f"{f['vlc_p50_s']:.2f} s / {f['vlc_p95_s']:.2f} s"),
        ("glass-to-glass, block play-out (all) p50 / p95", f"{f['playout_p50_s']:.2f} s / {f['playout_p95_s']:.2f} s"),
        ("the VLC viewer's play-out delay at the end (VLC adds the rest)", f"{f['vlc_viewer_delay_s']:.2f} s"),
        (
            "VLC's own share: a block fed to VLC -> its first picture shown, p50 / p95",
            f"{f['vlc_own_p50_s']:.2f} s / {f['vlc_own_p95_s']:.2f} s",
        ),
        ("share of block bytes from peers", f"{f['offload']:.3f}"),
        (
            "origin copies per block (bytes uploaded / made; HTTP answers)",
            f"{f['origin_copies_per_block']:.2f} ({f['origin_http_per_block']:.2f})",
        ),
        (
            "  ... of which pushes and pull answers / control frames / HTTP answers given up; HTTP requests a block",
            f"{f['origin_block_bytes_per_made']:.2f} / {f['origin_control_bytes_per_made']:.3f} / "
            f"{f['origin_http_abandoned_per_made']:.2f}; {f['origin_http_requests_per_block']:.2f}",
        ),
        (
            "encoder: capture to published p50 / p95 (newest 100 s)",
            f"{f['publish_lag_p50_s']:.2f} / {f['publish_lag_p95_s']:.2f} s",
        ),
        (
            "stall time, measured window (whole lives, as before)",
            f"{f['stall_pct']:.2f} % ({f['stall_pct_lifetime']:.2f} %)",
        ),
        ("blocks played / skipped (measured window)", f"{f['blocks_played']} / {f['blocks_skipped']}"),
        (
            f"join to first picture p50 / p95, joining the running broadcast ({f['join_n']} viewers)",
            f"{f['join_p50_s']:.2f} / {f['join_p95_s']:.2f} s",
        ),
        (
            f"  ... the opening crowd, joining as it starts ({f['join_opening_n']} viewers; VLC viewer, just after)",
            f"{f['join_opening_p50_s']:.2f} / {f['join_opening_p95_s']:.2f} s ({f['vlc_join_s']:.2f} s)",
        ),
        ("CPU per viewer (measured window, % of a core)", f"{f['cpu_pct_per_viewer']:.2f} %"),
        (
            "viewer hosts' event loop: a 50 ms sleep wakes late by p50 / p99",
            f"{f['loop_lag_p50_ms']:.0f} / {f['loop_lag_p99_ms']:.0f} ms",
        ),
        (
            "resident memory per viewer, start / end",
            f"{f['rss_mb_per_viewer_start']:.1f} / {f['rss_mb_per_viewer_end']:.1f} MB ({f['per_process']} a process)",
        ),
        ("resident memory per viewer, each minute (MB)", " ".join(f"{x:.1f}" for x in f["rss_by_minute"])),
        (
            "machine CPU in the window: busy (this bench / other work)",
            f"{f['machine_busy_pct']:.0f} % of {f['cores']} cores ({f['bench_cpu_pct']:.0f} % / "
            f"{f['other_work_pct']:.0f} %); broadcaster, VLC viewer and driver {f['rest_of_bench_cores']:.2f} cores",
        ),
        (
            "verdict",
            (
                "CPU BOUND: the machine, not the swarm, set the delays and stalls"
                if f["cpu_bound"]
                else "CPU to spare: the figures measure the swarm"
            )
            + f"; estimate: ~{f['viewers_fit_estimate']} viewers fit at {f['kbps']} kbit/s",
        ),
        (
            "stripe parents lost: departed / stale / refused / orphaned / upgraded (upgrades refused, parent kept)",
            "{departed:.0f} / {stale:.0f} / {refused:.0f} / {orphaned:.0f} / {upgraded:.0f} "
            "({upgrades_refused:.0f})".format(**f["tree"]),
        ),
        (
            "connections per viewer at the end: fewest / p50 (tracker: " + ("off)" if f["no_tracker"] else "on)"),
            f"{f['neighbours_min']} / {f['neighbours_p50']:.0f}",
        ),
        (
            "blocks viewers refused (whole lives): forged / malformed / out of window",
            "{forged} / {malformed} / {out_of_window}".format(**f["blocks_refused"]),
        ),
        (
            "stripe trees: children per relaying stripe (mean); stripes a viewer relays; share of children in their "
            "parent's home stripe",
            f"{f['fanout_mean']:.2f}; {f['relaying_stripes_per_viewer']:.2f}; {f['children_in_home_share']:.2f}",
        ),
        (
            "a viewer's deepest stripe at the end, hops from the origin: p50 / max (its home stripe: p50 / max)",
            f"{f['deepest_hop_p50']:.0f} / {f['deepest_hop_max']} ({f['home_hop_p50']:.0f} / {f['home_hop_max']})",
        ),
        ("nodes dialled to climb in their home stripe (the way up)", "{climb_dials:.0f}".format(**f["tree"])),
        (
            "loops broken, rejoins (max s), stripe-s without route",
            "{loops:.0f}, {rejoins:.0f} ({rejoin_max_s:.1f}), {no_route_s:.1f}".format(**f["tree"]),
        ),
        (
            "origin, to the window's end: stripe roots lost, longest and total stripe-s without one, root slots "
            "refused; viewers connected to it",
            "{root_gaps}, {root_gap_max_s} s, {root_free_s} s, {subscriptions_refused}; ".format(**f["root_gaps"])
            + f"{f['with_origin']}",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    title = f"live: {f['viewers']} viewers, {f['kbps']} kbit/s, {f['minutes']} min, {f['departed']} left and rejoined"
    return "\n".join([title, *(f"  {name:<{width}}  {value}" for name, value in rows)])
