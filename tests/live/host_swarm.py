"""Driving ``python -m app.live.viewer_host`` (many viewers in one process, each on its own 127.x address).

``ViewerHostProcess`` sends the host its commands (join, leave, mark, snapshot, quit) and collects what it reports on a
reader thread: ``ready``/``left`` per viewer, ``play``/``gap`` per block when asked, and only the newest ``stats`` (plus
the ones a mark and a snapshot answered) — a long bench with hundreds of viewers keeps its memory flat. Used by
tests/live and bench/live.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any

from tests.live.swarm import ROOT, LiveBundle, wait_for

Address = tuple[str, int]


SAMPLE_EVERY_S = 60.0
MAX_SAMPLES = 240


def name_of(address: Address) -> str:
    return f"{address[0]}:{address[1]}"


class ViewerHostProcess:
    def __init__(self, bundle: LiveBundle, *options: str, report_blocks: bool = False) -> None:
        argv = [
            sys.executable,
            "-m",
            "app.live.viewer_host",
            "--manifest",
            str(bundle.manifest_path),
            "--store-key",
            bundle.store_key.public_key_b64,
            *options,
        ]
        if report_blocks:
            argv.append("--report-blocks")
        self.process = subprocess.Popen(
            argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self._lock = threading.Lock()
        self.ready: dict[str, dict[str, Any]] = {}
        self.left: dict[str, dict[str, Any]] = {}
        self.plays: dict[str, list[dict[str, Any]]] = {}
        self.gaps: dict[str, list[dict[str, Any]]] = {}
        self.stats: dict[str, Any] = {}
        self.marked_stats: dict[str, Any] | None = None
        self.final_stats: dict[str, Any] | None = None
        self.snapshot_stats: dict[str, Any] | None = None
        self._stderr: list[str] = []
        self.members: set[str] = set()
        self.samples: list[tuple[float, float, float, int]] = []  # (time, RSS MB, CPU s, viewers), each minute
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
                self._keep(event)

    def _keep(self, event: dict[str, Any]) -> None:
        kind = event.pop("event")
        if kind == "ready":
            self.ready[event["viewer"]] = event
        elif kind == "left":
            self.left[event["viewer"]] = event
        elif kind == "play":
            self.plays.setdefault(event["viewer"], []).append(event)
        elif kind == "gap":
            self.gaps.setdefault(event["viewer"], []).append(event)
        elif kind == "stats":
            self.stats = event
            if not self.samples or event["now"] - self.samples[-1][0] >= SAMPLE_EVERY_S:
                self.samples.append((event["now"], event["rss_mb"], event["cpu_s"], len(event["viewers"])))
                del self.samples[:-MAX_SAMPLES]
            if event.get("final"):
                self.final_stats = event
            if event.get("tag") == "mark":
                self.marked_stats = event
            elif event.get("tag") == "snapshot":
                self.snapshot_stats = event

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)
            del self._stderr[:-50]

    def stderr_tail(self) -> str:
        return "".join(self._stderr[-20:])

    def _send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def join(self, address: Address, peers: list[Address]) -> str:
        name = name_of(address)
        self.members.add(name)
        self._send({"join": name, "peers": ",".join(name_of(p) for p in peers)})
        return name

    def leave(self, name: str) -> None:
        self.members.discard(name)
        self._send({"leave": name})

    def mark(self) -> None:
        with self._lock:
            self.marked_stats = None
        self._send({"mark": True})

    def snapshot(self) -> None:
        """Ask for every viewer's figures now (``snapshot_stats``): the end of a measured window."""
        with self._lock:
            self.snapshot_stats = None
        self._send({"snapshot": True})

    def plays_of(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.plays.get(name, []))

    def gaps_of(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.gaps.get(name, []))

    def viewer_stats(self, name: str) -> dict[str, Any]:
        with self._lock:
            return dict(self.stats.get("viewers", {}).get(name, {}))

    def quit(self) -> None:
        """Ask the host to end: it reports its final stats and every viewer's ``left`` figures, then ends."""
        if self.process.poll() is None and self.process.stdin is not None and not self.process.stdin.closed:
            try:
                self._send({"quit": True})
                assert self.process.stdin is not None
                self.process.stdin.close()
            except OSError:
                pass

    def stop(self, timeout: float = 30.0) -> None:
        self.quit()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)

    def wait_ready(self, names: list[str], timeout: float) -> None:
        def all_ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the viewer host ended: {self.stderr_tail()}")
            with self._lock:
                return all(n in self.ready for n in names)

        wait_for(all_ready, timeout, "the hosted viewers to start")
