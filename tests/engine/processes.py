"""A headless Bundlecast engine in a child process (`python -m app --headless …`), for swarm and crash tests.

Its stdout lines are collected on a reader thread; tests wait for lines by prefix. Every process is bounded:
``stop`` sends SIGTERM and waits, ``kill`` sends SIGKILL (the crash tests), and both reap the child.
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_LIVE: set[subprocess.Popen[str]] = set()


@atexit.register
def _kill_leftovers() -> None:
    """A test that failed before its cleanup must not leave an engine process behind."""
    for process in list(_LIVE):
        if process.poll() is None:
            process.kill()
            process.wait()


def native_stacks(pid: int) -> str:
    """Every thread's native stack from gdb when the machine has it (a diagnostic only), else each thread's name
    and the kernel function it waits in."""
    if shutil.which("gdb"):
        result = subprocess.run(
            ["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt 25"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        return result.stdout[-8000:]
    lines = []
    for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
        name = (task / "comm").read_text().strip()
        waiting = (task / "wchan").read_text().strip() if (task / "wchan").exists() else "?"
        lines.append(f"{task.name} {name}: {waiting}")
    return "\n".join(lines)


class HeadlessEngine:
    """One headless engine process with its own loopback address and state dir."""

    def __init__(
        self,
        home: Path,
        address: str,
        port: int = 0,
        *,
        sources: list[str] | None = None,
        download_dir: Path | None = None,
        peers: list[str] | None = None,
        upload_limit: int | None = None,
        status_interval: float = 1.0,
    ) -> None:
        self.home = home
        self.address = address
        args = [
            sys.executable,
            "-m",
            "app",
            "--headless",
            "--format",
            "lines",  # the terse key=value lines these helpers parse
            "--test-network",
            address,
            "--listen",
            f"{address}:{port}",
            "--status-interval",
            str(status_interval),
        ]
        if download_dir is not None:
            args += ["--download-dir", str(download_dir)]
        for peer in peers or []:
            args += ["--peer", peer]
        if upload_limit is not None:
            args += ["--upload-limit", str(upload_limit)]
        if sources:
            args += ["add", *sources]
        env = dict(os.environ, BUNDLECAST_HOME=str(home), PYTHONUNBUFFERED="1")
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        _LIVE.add(self.process)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._stderr: list[str] = []
        threading.Thread(target=self._read_stderr, daemon=True).start()
        try:
            ready = self.wait_for("ready ", 60)
        except AssertionError:
            self.kill()
            raise
        self.port = int(ready.split("port=")[1].split()[0])

    @property
    def state_dir(self) -> Path:
        return self.home / "state"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)

    def __enter__(self) -> HeadlessEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, prefix: str, timeout: float) -> str:
        """The next stdout line starting with ``prefix`` (lines already read are kept in ``lines``)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line {prefix!r} within {timeout} s; stderr: {''.join(self._stderr)[-2000:]}")
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"engine exited before {prefix!r}; stderr: {''.join(self._stderr)[-2000:]}")
            self.lines.append(line)
            if line.startswith(prefix):
                return line

    @property
    def stderr_lines(self) -> list[str]:
        return list(self._stderr)

    def saw(self, prefix: str) -> bool:
        """Whether a line starting with ``prefix`` was already read."""
        return any(line.startswith(prefix) for line in self.lines)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, wait for a clean exit; returns the exit code. A child that does not exit in time is asked for
        its threads' stacks (SIGUSR1, see app/headless.py), killed, and the failure shows those stacks."""
        return self.interrupt(signal.SIGTERM, timeout)

    def interrupt(self, signum: int = signal.SIGINT, timeout: float = 30) -> int:
        """Send ``signum`` and wait for the exit; a child still running after ``timeout`` fails the test with its
        threads' stacks and its last lines."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            stacks = self._stacks_of_a_stuck_child()
            self.process.kill()
            self.process.wait()
            self._reader.join(5)
            last = "\n".join(self._drain()[-10:])
            raise AssertionError(
                f"engine did not exit within {timeout} s of signal {signum}; last lines:\n{last}\n"
                f"its threads:\n{stacks}"
            ) from None
        finally:
            _LIVE.discard(self.process)

    def _drain(self) -> list[str]:
        """Every stdout line read so far, the unread ones appended to ``lines``."""
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                return self.lines
            if line is not None:
                self.lines.append(line)

    def _stacks_of_a_stuck_child(self) -> str:
        before = len(self._stderr)
        self.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any("File " in line for line in self._stderr[before:]):
            time.sleep(0.1)  # the stderr reader thread collects the dump
        time.sleep(0.5)  # the rest of the dump follows its first lines
        dump = "".join(self._stderr[before:])[-6000:]
        if "File " in dump:
            return dump
        return "no Python stacks (the main thread is inside native code); native stacks:\n" + native_stacks(
            self.process.pid
        )

    def kill(self) -> None:
        """SIGKILL: no chance to save anything."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        _LIVE.discard(self.process)
