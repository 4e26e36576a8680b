"""``bundlecast live create`` and ``bundlecast live broadcast pattern --bundle ID`` against a real store over HTTP.

The creator's commands run as child processes (``python -m app live …``, the ``bundlecast`` entry point), signing in
with the password in the environment; the stream's private key goes through the real keyring. Two viewer processes
(``app.live.headless watch``) trust the manifest the store signed and play the broadcaster's blocks; the store lists
the event under *Live now* while it is on air and not after Ctrl-C's SIGTERM.
"""

from __future__ import annotations

import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from app.live.node_config import LIVE_DELAY_S
from app.store.client import StoreClient
from app.store.creator import CreatorClient
from tests.live.swarm import LiveProcess
from tests.live.swarm import wait_for as wait_until
from tests.storefront.store_support import StoreProcess, serve_empty_store
from tests.support.creator_apps import PASSWORD
from tests.support.net import free_port, loopback_address
from tests.support.processes import REPO, LineProcess

pytestmark = pytest.mark.timeout(150)


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreProcess]:
    """One store for the module: each test makes its own creator and live event."""
    yield from serve_empty_store(tmp_path_factory, "live-cli-store")


def _creator(store: StoreProcess) -> str:
    email = f"live-{uuid.uuid4().hex[:8]}@example.test"
    with StoreClient(store.url) as client:
        client.create_account(email, PASSWORD)
        token = client.sign_in(email, PASSWORD).token
    creator = CreatorClient(store.url)
    try:
        creator.become_creator(token, "Live Tester")
    finally:
        creator.close()
    return email


def _live_now(store: StoreProcess) -> set[str]:
    with StoreClient(store.url) as client:
        return {entry.bundle_id for entry in client.live_listing().live_now}


def _watch(tmp: Path, name: str, store: StoreProcess, bundle_id: str) -> LiveProcess:
    """A viewer that finds its peers as the app's does: through the store's tracker, from its own address."""
    with StoreClient(store.url) as client:
        detail = client.bundle(bundle_id)
        _, store_key = client.public_key()
    assert detail.tracker_url
    manifest = tmp / f"{name}-manifest.json"
    manifest.write_text(json.dumps({"payload": detail.manifest.payload, "signature": detail.manifest.signature}))
    return LiveProcess(
        ["watch", "--host", loopback_address(), "--manifest", str(manifest), "--store-key", store_key,
         "--tracker", detail.tracker_url, "--announce-interval", "2", "--report-blocks", "--kbps", "300"]
    )  # fmt: skip


def _tracker_peers(viewer: LiveProcess) -> set[str]:
    return set(viewer.last_stats().get("tracker_peers", []))


def test_create_then_broadcast_a_pattern_that_two_viewers_play(
    tmp_path: Path,
    empty_store: StoreProcess,
) -> None:
    store = empty_store
    email = _creator(store)
    origin_host = loopback_address()
    origin = f"http://{origin_host}:{free_port(origin_host)}"
    env = {"BUNDLECAST_CREATOR_PASSWORD": PASSWORD}
    bundle_id = _create(store, email, origin)
    assert bundle_id not in _live_now(store)

    broadcaster = LineProcess(
        ["-m", "app", "live", "broadcast", "pattern", "--bundle", bundle_id, "--store", store.url, "--email", email,
         "--size", "320x180", "--kbps", "300"],
        env=env, log=tmp_path / "broadcaster.log",
    )  # fmt: skip
    viewers: list[LiveProcess] = []
    try:
        ready = broadcaster.wait_for("Broadcasting the test pattern with its clock", 60)
        said = re.search(r"viewers connect to (\S+:\d+)\)", ready)
        assert said, ready
        origin_peer = said.group(1)
        broadcaster.wait_for("On air: the store lists this broadcast under Live now", 20)
        assert bundle_id in _live_now(store)
        broadcaster.wait_for("Viewers find this broadcast through the store's tracker.", 20)
        viewers = [_watch(tmp_path, f"viewer{i}", store, bundle_id) for i in range(2)]  # no address given
        for viewer in viewers:
            assert viewer.ready()["can_play"] is True
        wait_until(lambda: all(len(v.of("play")) >= 12 for v in viewers), 60, "both viewers to play 3 s")
        for viewer in viewers:
            seqs = [e["seq"] for e in viewer.of("play")]
            assert seqs == sorted(set(seqs))
            assert origin_peer in _tracker_peers(viewer)  # the tracker named the origin, as it heard it
        line = broadcaster.wait_for("On air 0:", 20)
        while "2 viewers connected to you" not in line:
            line = broadcaster.wait_for("On air 0:", 20)
        behind = re.escape(f"{LIVE_DELAY_S:.1f}")  # the delay viewers are told to hold, by default
        assert re.search(rf"uploading \d+\.\d Mbit/s, viewers about {behind} s behind\.$", line)
    finally:
        for viewer in viewers:
            viewer.stop()
        code = broadcaster.stop()
    assert code == 0, broadcaster.seen[-5:]
    assert any(line.startswith("The broadcast has ended after") for line in broadcaster.seen + _drain(broadcaster))
    assert bundle_id not in _live_now(store)
    late = _watch(tmp_path, "late", store, bundle_id)  # after the end, the tracker names no origin
    try:
        wait_until(lambda: len(late.of("stats")) >= 3, 30, "the late viewer's figures")
        assert origin_peer not in _tracker_peers(late)  # the origin said "stopped" on its way out
    finally:
        late.stop()


def _drain(process: LineProcess) -> list[str]:
    lines = []
    while not process.lines.empty():
        lines.append(process.lines.get_nowait())
    return lines


def _create(store: StoreProcess, email: str, origin: str) -> str:
    created = _run("create", "--store", store.url, "--email", email, "--title", "Friday night set", "--origin", origin)
    assert created.returncode == 0, created.stderr
    said = re.search(
        r"Created the live event “Friday night set”: (\S+)\. Go live with: bundlecast live", created.stdout
    )
    assert said, created.stdout
    return said.group(1)


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "live", *argv],
        check=False, cwd=REPO, env={**os.environ, "BUNDLECAST_CREATOR_PASSWORD": PASSWORD},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_refusals_leave_the_event_announced_and_the_apps_child_ends_when_the_app_goes(
    empty_store: StoreProcess,
) -> None:
    store = empty_store
    email = _creator(store)
    host = loopback_address()
    port = free_port(host)
    bundle_id = _create(store, email, f"http://{host}:{port}")
    refused = _run("broadcast", "camera:/dev/video97,mic:hw:0", "--bundle", bundle_id, "--store", store.url,
                   "--email", email)  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "There is no camera at /dev/video97. Plug one in, or name another one, as in camera:/dev/video1."
    )
    assert bundle_id not in _live_now(store)
    # The origin's port is taken: the broadcast cannot start, and the event stays announced (ended would be final).
    with socket.socket() as squatter:
        squatter.bind((host, port))
        squatter.listen()
        busy = _run("broadcast", "pattern", "--bundle", bundle_id, "--store", store.url, "--email", email)
    assert busy.returncode == 2
    assert busy.stderr.strip().startswith(f"The broadcast cannot listen at {host}:{port} (")
    with StoreClient(store.url) as client:
        assert bundle_id in {entry.bundle_id for entry in client.live_listing().upcoming}

    # The app's child process ends its broadcast when the app's end of its stdin closes (the app died).
    child = subprocess.Popen(
        [sys.executable, "-m", "app", "live", "broadcast", "pattern", "--bundle", bundle_id, "--store", store.url,
         "--email", email, "--size", "160x90", "--kbps", "200", "--json", "--stop-when-stdin-closes"],
        cwd=REPO, env={**os.environ, "BUNDLECAST_CREATOR_PASSWORD": PASSWORD},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdin is not None
        events = [json.loads(line)["event"] for line in _lines_until(child.stdout, '"event": "on_air"')]
        assert events[-2:] == ["ready", "on_air"] and bundle_id in _live_now(store)
        _lines_until(child.stdout, '"event": "figures"')  # on air for a second
        child.stdin.close()
        code = child.wait(timeout=30)
        rest = [json.loads(line) for line in child.stdout.read().splitlines()]
        assert code == 0, rest
        assert rest[-1]["event"] == "ended" and rest[-1]["blocks"] > 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    assert bundle_id not in _live_now(store)


def _lines_until(stream: IO[str], marker: str, timeout: float = 60) -> list[str]:
    """Lines of a child's stdout up to the first holding ``marker`` (read on a thread: a hung child fails)."""
    found: queue.Queue[list[str]] = queue.Queue()

    def read() -> None:
        lines: list[str] = []
        for line in stream:
            lines.append(line)
            if marker in line:
                break
        found.put(lines)

    threading.Thread(target=read, daemon=True).start()
    lines = found.get(timeout=timeout)
    assert lines and marker in lines[-1], lines[-3:]
    return lines
