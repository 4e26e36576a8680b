"""A live swarm of real processes for tests: a signed live bundle, a broadcaster and viewers on their own addresses.

``make_live_bundle`` plays the store's part (a store key signs the live bundle's manifest with the stream key and the
origin's URL; tickets are licenses of that bundle). ``LiveProcess`` runs ``python -m app.live.headless`` and collects
its JSON-line events on a reader thread; ``wait_for`` polls a condition with a deadline, so a hung swarm fails.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.bundle import (
    BundleKind,
    Gate,
    GateType,
    Grant,
    LiveSection,
    Manifest,
    StoreKey,
    issue_license,
    sign_manifest,
)
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LiveBundle:
    store_key: StoreKey
    manifest_path: Path
    signing_key_path: Path
    bundle_key: bytes
    bundle_key_path: Path
    stream_id: str
    origin_host: str
    origin_port: int
    http_port: int
    encrypted: bool

    def ticket(self, directory: Path, name: str = "ticket") -> Path:
        _lic, token = issue_license(
            self.store_key,
            store_id="test-store",
            account_id=f"acct-{name}",
            bundle_id="live-1",
            grant=Grant.whole_bundle(self.bundle_key),
        )
        path = directory / f"{name}.token"
        _write_secret(path, token)
        return path


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def make_live_bundle(directory: Path, origin_host: str, *, encrypted: bool = False) -> LiveBundle:
    store_key = StoreKey.generate()
    stream_key = Ed25519PrivateKey.generate()
    public_raw = stream_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    import base64

    stream_id = os.urandom(16).hex()
    port, http_port = free_port(origin_host), free_port(origin_host)
    section = LiveSection(
        stream_id=stream_id,
        stream_public_key=base64.b64encode(public_raw).decode(),
        origin_url=f"http://{origin_host}:{http_port}",
        encrypted=encrypted,
    )
    gate = Gate(GateType.PAID, price_cents=500) if encrypted else Gate(GateType.FREE)
    manifest = Manifest(
        bundle_id="live-1",
        store_id="test-store",
        title="A live test broadcast",
        creator="tester",
        kind=BundleKind.LIVE,
        description="",
        gate=gate,
        files=(),
        info_hash_v1=None,
        info_hash_v2=None,
        live=section,
    )
    manifest_path = directory / "live-manifest.json"
    manifest_path.write_text(json.dumps(sign_manifest(manifest, store_key).to_dict()))
    signing_key_path = directory / "stream.key"
    raw_private = stream_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    _write_secret(signing_key_path, raw_private.hex())
    bundle_key = os.urandom(32)
    bundle_key_path = directory / "bundle.key"
    _write_secret(bundle_key_path, bundle_key.hex())
    return LiveBundle(
        store_key,
        manifest_path,
        signing_key_path,
        bundle_key,
        bundle_key_path,
        stream_id,
        origin_host,
        port,
        http_port,
        encrypted,
    )


class LiveProcess:
    def __init__(self, argv: list[str]) -> None:
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.live.headless", *argv],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            with self._lock:
                self.events.append(event)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)
            del self._stderr[:-50]

    def stderr_tail(self) -> str:
        return "".join(self._stderr[-20:])

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e["event"] == kind]

    def last_stats(self) -> dict[str, Any]:
        stats = self.of("stats")
        return stats[-1] if stats else {}

    def ready(self, timeout: float = 20.0) -> dict[str, Any]:
        wait_for(lambda: bool(self.of("ready")) or self.process.poll() is not None, timeout, "the process to start")
        ready = self.of("ready")
        assert ready, f"the process ended before it was ready: {self.stderr_tail()}"
        return ready[0]

    def stop(self, *, kill: bool = False) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def start_broadcaster(bundle: LiveBundle, *extra: str) -> LiveProcess:
    argv = [
        "broadcast",
        "--host",
        bundle.origin_host,
        "--port",
        str(bundle.origin_port),
        "--http-port",
        str(bundle.http_port),
        "--manifest",
        str(bundle.manifest_path),
        "--store-key",
        bundle.store_key.public_key_b64,
        "--signing-key-file",
        str(bundle.signing_key_path),
        *extra,
    ]
    if bundle.encrypted:
        argv += ["--bundle-key-file", str(bundle.bundle_key_path)]
    return LiveProcess(argv)


def start_viewer(
    bundle: LiveBundle, host: str, peers: list[tuple[str, int]], *extra: str, ticket: Path | None = None
) -> LiveProcess:
    argv = [
        "watch",
        "--host",
        host,
        "--manifest",
        str(bundle.manifest_path),
        "--store-key",
        bundle.store_key.public_key_b64,
        "--peers",
        ",".join(f"{h}:{p}" for h, p in peers),
        "--report-blocks",
        *extra,
    ]
    if ticket is not None:
        argv += ["--ticket-file", str(ticket)]
    return LiveProcess(argv)


def check_played_in_order(viewer: LiveProcess, made: dict[int, str]) -> tuple[int, int]:
    """Every block a viewer played is the broadcaster's (same plaintext digest), played once, in order, and every
    sequence number between its first and last play was either played or reported as a gap. Returns (played, gaps)."""
    plays = viewer.of("play")
    assert plays, f"the viewer played nothing: {viewer.stderr_tail()}"
    return check_plays(plays, viewer.of("gap"), made)


def check_plays(plays: list[dict[str, Any]], gaps: list[dict[str, Any]], made: dict[int, str]) -> tuple[int, int]:
    """``check_played_in_order`` on a viewer's ``play`` and ``gap`` events (one process may host many viewers)."""
    assert plays, "the viewer played nothing"
    seqs = [p["seq"] for p in plays]
    assert seqs == sorted(set(seqs)), "a block was played twice or out of order"
    for play in plays:
        assert made.get(play["seq"]) == play["sha"], f"block {play['seq']} is not the broadcaster's"
    skipped = {s for g in gaps for s in range(g["first"], g["last"] + 1)}
    assert not skipped & set(seqs), "a block reported as skipped was played"
    missing = set(range(seqs[0], seqs[-1] + 1)) - set(seqs) - skipped
    # Sequence numbers the broadcaster never used (it restarted) are not gaps.
    missing &= set(made)
    assert not missing, f"blocks neither played nor reported: {sorted(missing)[:10]}"
    return len(seqs), len(skipped & set(made))
