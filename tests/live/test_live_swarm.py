"""The live swarm through real processes on loopback, each peer on its own 127.x address.

A broadcaster encodes a test pattern (PyAV, x264) into signed blocks; viewers join through a given peer list, relay
and play out. What a viewer plays is compared, block by block, with what the broadcaster made.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.live.swarm import (
    LiveProcess,
    check_played_in_order,
    make_live_bundle,
    start_broadcaster,
    start_viewer,
    wait_for,
)
from tests.support.net import free_port, loopback_address

pytestmark = pytest.mark.timeout(120)

# Light links so a shared two-core machine keeps up: the bench measures the heavy ones.
LINK = ["--link", "5,15,0.0", "--kbps", "600", "--upload-kbps", "4000"]
SMALL = ["--width", "320", "--height", "180"]


def _made(broadcaster: LiveProcess) -> dict[int, str]:
    return {b["seq"]: b["sha"] for b in broadcaster.of("block")}


def _stop_all(processes: list[LiveProcess]) -> None:
    for process in processes:
        process.stop()


def test_ten_viewers_play_every_block_in_order_or_report_the_gap(tmp_path: Path) -> None:
    bundle = make_live_bundle(tmp_path, loopback_address())
    broadcaster = start_broadcaster(bundle, *LINK, *SMALL)
    processes = [broadcaster]
    try:
        broadcaster.ready()
        origin = (bundle.origin_host, bundle.origin_port)
        addresses = [(loopback_address(), 0) for _ in range(10)]
        addresses = [(host, free_port(host)) for host, _ in addresses]
        viewers = []
        for index, (host, port) in enumerate(addresses):
            others = random.sample(addresses[:index], min(3, index))
            viewers.append(start_viewer(bundle, host, [origin, *others], "--port", str(port), *LINK))
        processes += viewers
        for viewer in viewers:
            viewer.ready()
        wait_for(lambda: all(len(v.of("play")) >= 24 for v in viewers), 60, "every viewer to play 6 s of the stream")
        made = _made(broadcaster)
        shares = []
        for viewer in viewers:
            played, skipped = check_played_in_order(viewer, made)
            assert played >= 24
            stats = viewer.last_stats()
            shares.append(stats["from_peers"] / max(1, stats["from_peers"] + stats["from_origin"]))
        # The swarm carries the stream: most viewers get most of their blocks from other viewers.
        print("SHARES", shares, [v.last_stats().get("gaps") for v in viewers], [v.last_stats().get("stall_s") for v in viewers])
        assert sorted(shares)[len(shares) // 2] > 0.5, shares
    finally:
        _stop_all(processes)
