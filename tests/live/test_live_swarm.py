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
            played, _skipped = check_played_in_order(viewer, made)
            assert played >= 24
            stats = viewer.last_stats()
            shares.append(stats["from_peers"] / max(1, stats["from_peers"] + stats["from_origin"]))
        # The swarm carries the stream: most viewers get most of their blocks from other viewers.
        assert sorted(shares)[len(shares) // 2] > 0.5, shares
    finally:
        _stop_all(processes)


def test_forged_altered_and_replayed_blocks_reach_no_play_out(tmp_path: Path) -> None:
    import asyncio
    import os
    import time

    from tests.live import hostile

    bundle = make_live_bundle(tmp_path, loopback_address())
    broadcaster = start_broadcaster(bundle, *LINK, *SMALL)
    processes = [broadcaster]
    try:
        broadcaster.ready()
        origin = (bundle.origin_host, bundle.origin_port)
        hosts = [loopback_address() for _ in range(3)]
        addresses = [(h, free_port(h)) for h in hosts]
        viewers = [
            start_viewer(bundle, h, [origin, *addresses[:i]], "--port", str(p), *LINK)
            for i, (h, p) in enumerate(addresses)
        ]
        processes += viewers
        wait_for(lambda: all(len(v.of("play")) >= 4 for v in viewers), 40, "the viewers to play")
        stream_id = bytes.fromhex(bundle.stream_id)
        origin_url = f"http://{bundle.origin_host}:{bundle.http_port}"

        async def attack() -> list[bool]:
            seq, genuine = await hostile.real_block(origin_url, stream_id)
            now_ms = int(time.time() * 1000)
            other = hostile.StreamSigner.generate(os.urandom(16)).make_block(seq + 1, now_ms, b"x", keyframe=True)
            attacks = [
                [await hostile.forged_block(stream_id, seq + 2)],
                [hostile.altered(genuine)],
                [other.wire],
                [b"BCLB" + os.urandom(200)],  # malformed
            ]
            hung_up = []
            for target in addresses:
                for blocks in attacks:  # each from an address of its own: a dropped peer's address is banned
                    hung_up.append(await hostile.send_blocks(loopback_address(), target, stream_id, blocks))
            # Replays of genuine blocks the viewers already hold or played: accepted as duplicates at most. Each
            # replayer waits up to 5 s for a hang-up that does not come: the three run side by side, not in turn.
            await asyncio.gather(
                *(hostile.send_blocks(loopback_address(), target, stream_id, [genuine] * 5) for target in addresses)
            )
            return hung_up

        hung_up = asyncio.run(attack())
        assert all(hung_up), "a viewer kept talking to a peer that sent a bad block"
        first_after = max(b["seq"] for b in broadcaster.of("block"))
        wait_for(lambda: all(v.of("play")[-1]["seq"] > first_after + 4 for v in viewers), 30, "play to go on")
        made = _made(broadcaster)
        for viewer in viewers:
            check_played_in_order(viewer, made)  # no forged payload, no block twice
            stats = viewer.last_stats()
            assert stats["forged"] >= 3 and stats["malformed"] >= 1, stats
            assert stats["peers_dropped"] >= 4, stats
    finally:
        _stop_all(processes)


def test_a_ticket_holder_plays_a_paid_stream_and_a_viewer_without_one_relays_it(tmp_path: Path) -> None:
    bundle = make_live_bundle(tmp_path, loopback_address(), encrypted=True)
    broadcaster = start_broadcaster(bundle, *LINK, *SMALL)
    processes = [broadcaster]
    try:
        broadcaster.ready()
        origin = (bundle.origin_host, bundle.origin_port)
        relay_host, fan_host = loopback_address(), loopback_address()
        relay_port = free_port(relay_host)
        # The relay has no ticket; the fan's only peer is the relay.
        relay = start_viewer(bundle, relay_host, [origin], "--port", str(relay_port), *LINK)
        fan = start_viewer(bundle, fan_host, [(relay_host, relay_port)], *LINK, ticket=bundle.ticket(tmp_path))
        processes += [relay, fan]
        assert relay.ready()["can_play"] is False
        assert fan.ready()["can_play"] is True
        wait_for(lambda: len(fan.of("play")) >= 16, 40, "the ticket holder to play 4 s")
        check_played_in_order(fan, _made(broadcaster))  # the decrypted TS is the broadcaster's plaintext
        wait_for(lambda: relay.last_stats().get("blocks_relayed", 0) >= 16, 10, "the relay's figures")
        relay_stats, fan_stats = relay.last_stats(), fan.last_stats()
        assert not relay.of("play") and "played" not in relay_stats
        assert relay_stats["uploaded"] > 100_000  # it forwarded ciphertext
        assert fan_stats["from_peers"] > 0
    finally:
        _stop_all(processes)


def test_viewers_join_and_leave_and_recover_when_the_origin_returns_after_10_s(tmp_path: Path) -> None:
    import time

    bundle = make_live_bundle(tmp_path, loopback_address())
    broadcaster = start_broadcaster(bundle, *LINK, *SMALL)
    processes = [broadcaster]
    try:
        broadcaster.ready()
        origin = (bundle.origin_host, bundle.origin_port)
        addresses = [(h, free_port(h)) for h in (loopback_address() for _ in range(4))]
        viewers = [
            start_viewer(bundle, h, [origin, *addresses[:i]], "--port", str(p), *LINK)
            for i, (h, p) in enumerate(addresses[:3])
        ]
        processes += viewers
        wait_for(lambda: all(len(v.of("play")) >= 8 for v in viewers), 40, "the first viewers to play")
        viewers[0].stop()  # one leaves …
        late = start_viewer(bundle, addresses[3][0], addresses[1:3], "--port", str(addresses[3][1]), *LINK)
        processes.append(late)  # … one joins through the others
        staying = [viewers[1], viewers[2], late]
        wait_for(lambda: all(len(v.of("play")) >= 8 for v in staying), 30, "the newcomer to play")
        first_run = _made(broadcaster)

        broadcaster.stop(kill=True)
        stalls_before = [v.last_stats().get("stall_s", 0.0) for v in staying]
        time.sleep(10)  # the outage itself, not a wait for a condition
        assert all(v.last_stats()["stall_s"] > s + 5 for v, s in zip(staying, stalls_before, strict=True))

        restarted = start_broadcaster(bundle, *LINK, *SMALL)
        processes.append(restarted)
        restarted.ready()
        wait_for(lambda: bool(restarted.of("block")), 20, "the restarted broadcaster's first block")
        first_new = restarted.of("block")[0]["seq"]
        wait_for(lambda: all(v.of("play")[-1]["seq"] >= first_new + 8 for v in staying), 40, "the viewers to recover")
        made = first_run | _made(restarted)
        for viewer in staying:
            check_played_in_order(viewer, made)
    finally:
        _stop_all(processes)
