"""Peers of a live swarm find each other through the store's tracker: a real store (its own process) lists a live
event a creator announced over HTTP; a broadcaster and three viewer processes, each on its own 127.x address, are
given only the store's announce URL (no --peers), and the viewers meet, play the broadcaster's blocks in order and
relay blocks to each other. Plus the discovery client's parsing of tracker answers, refusals and junk."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.live.discovery import TrackerAnswerError, TrackerDiscovery, parse_announce_answer
from tests.live.swarm import LiveProcess, check_played_in_order, wait_for
from tests.storefront.store_support import StoreProcess, serve_empty_store
from tests.support.creator import bearer, new_account
from tests.support.net import free_port, loopback_address

pytestmark = pytest.mark.timeout(150)

LIGHT = ["--link", "5,15,0.0", "--kbps", "600", "--upload-kbps", "4000", "--announce-interval", "1"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreProcess]:
    yield from serve_empty_store(tmp_path_factory, "live-tracker-store")


def _secret(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return path


def test_three_viewers_find_each_other_through_the_store_tracker_and_relay_blocks(
    store: StoreProcess, tmp_path: Path
) -> None:
    origin_host = loopback_address()
    port, http_port = free_port(origin_host), free_port(origin_host)
    stream_key = Ed25519PrivateKey.generate()
    public = stream_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with httpx.Client(base_url=store.api, timeout=30) as api:
        _, token = new_account(api)
        assert api.post("/creators/me", json={"display_name": "Rooftop"}, headers=bearer(token)).status_code == 200
        made = api.post(
            "/creator/live",
            json={
                "title": "Rooftop session",
                "starts_at": int(time.time()) + 60,
                "gate": "free",
                "stream_public_key": base64.b64encode(public).decode(),
                "origin_url": f"http://{origin_host}:{http_port}",
            },
            headers=bearer(token),
        )
        assert made.status_code == 201, made.text
        bundle_id = made.json()["bundle_id"]
        manifest = api.get(f"/bundles/{bundle_id}").json()["manifest"]
        store_key = api.get("/public-key").json()["public_key"]
        assert api.put(f"/creator/live/{bundle_id}/state", json={"state": "on_air"}, headers=bearer(token)).is_success
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_text(json.dumps(manifest))
    raw_private = stream_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    signing_key = _secret(tmp_path / "stream.key", raw_private.hex())
    tracker = f"{store.url}/announce"
    common = ["--manifest", str(manifest_path), "--store-key", store_key, "--tracker", tracker, *LIGHT]

    broadcaster = LiveProcess(
        [
            *("broadcast", "--host", origin_host, "--port", str(port), "--http-port", str(http_port)),
            *("--signing-key-file", str(signing_key), "--width", "320", "--height", "180", *common),
        ]
    )
    processes = [broadcaster]
    try:
        broadcaster.ready()
        hosts = [loopback_address() for _ in range(3)]
        viewers = [LiveProcess(["watch", "--host", host, "--report-blocks", *common]) for host in hosts]
        processes += viewers
        ports = {host: viewer.ready()["port"] for host, viewer in zip(hosts, viewers, strict=True)}

        def learned(viewer: LiveProcess) -> set[str]:
            return set(viewer.last_stats().get("tracker_peers", []))

        everyone = {f"{host}:{p}" for host, p in ports.items()} | {f"{origin_host}:{port}"}
        wait_for(
            lambda: all(learned(v) >= everyone - {f"{h}:{ports[h]}"} for h, v in zip(hosts, viewers, strict=True)),
            30,
            "every viewer to learn the origin and the other viewers from the tracker",
        )
        wait_for(lambda: all(len(v.of("play")) >= 16 for v in viewers), 60, "every viewer to play 4 s of the stream")
        wait_for(
            lambda: all(v.last_stats().get("neighbours", 0) >= 2 for v in viewers),
            20,
            "every viewer to be connected to the origin and another viewer",
        )
        made_blocks = {b["seq"]: b["sha"] for b in broadcaster.of("block")}
        for viewer in viewers:
            check_played_in_order(viewer, made_blocks)
        # Blocks travel viewer to viewer, not only from the origin (one origin copy per stripe feeds the swarm).
        wait_for(
            lambda: sum(v.last_stats().get("from_peers", 0) > 0 for v in viewers) >= 2,
            20,
            "at least two viewers to receive blocks from other viewers",
        )
        assert all("--peers" not in v.process.args for v in viewers)  # type: ignore[operator]
    finally:
        for process in processes:
            process.stop()


def test_an_answer_is_parsed_and_a_refusal_or_junk_is_an_error() -> None:
    compact = bytes([127, 0, 0, 2]) + (7001).to_bytes(2, "big") + bytes([127, 0, 0, 3]) + (7002).to_bytes(2, "big")
    body = b"d8:intervali300e5:peers12:" + compact + b"e"
    assert parse_announce_answer(body) == [("127.0.0.2", 7001), ("127.0.0.3", 7002)]
    listed = b"d5:peersld2:ip9:127.0.0.44:porti7003eeee"
    assert parse_announce_answer(listed) == [("127.0.0.4", 7003)]
    with pytest.raises(TrackerAnswerError, match="refused: unregistered torrent"):
        parse_announce_answer(b"d14:failure reason20:unregistered torrente")
    for junk in (b"", b"<html>", b"d5:peers99:abc", b"l" * 50 + b"e" * 50, b"i12"):
        with pytest.raises(TrackerAnswerError):
            parse_announce_answer(junk)


def test_an_unreachable_tracker_is_counted_and_retried_not_fatal() -> None:
    host = loopback_address()
    closed = free_port(host)  # nothing listens there

    async def run() -> TrackerDiscovery:
        learned: list[list[tuple[str, int]]] = []
        discovery = TrackerDiscovery(
            f"http://{host}:{closed}/announce", bytes(16), host=host, port=9, on_peers=learned.append, interval_s=0.5
        )
        discovery.start()
        deadline = time.monotonic() + 10
        while discovery.stats.failures < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await discovery.stop()
        assert not learned
        return discovery

    discovery = asyncio.run(run())
    assert discovery.stats.failures >= 2 and discovery.stats.announces == 0
    assert discovery.stats.last_error
