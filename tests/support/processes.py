"""Child processes that speak in lines (the headless fan app, the creator's headless publisher): start one, wait
for a line with a bounded deadline, stop it (SIGTERM, then kill), or kill -9 it. A reader thread queues stdout."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class LineProcess:
    def __init__(self, argv: list[str], *, env: dict[str, str] | None = None, log: Path | None = None) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._log = log.open("ab") if log is not None else None
        self.proc = subprocess.Popen(
            [sys.executable, *argv],
            cwd=REPO,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=self._log if self._log is not None else subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float) -> str:
        """The first line (from now on) starting with ``prefix``; AssertionError on timeout or exit."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line {prefix!r} within {timeout} s; saw {self.seen[-5:]}")
            try:
                line = self.lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    raise AssertionError(
                        f"exited {self.proc.returncode} before {prefix!r}; saw {self.seen[-5:]}"
                    ) from None
                continue
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def stop(self, timeout: float = 30) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._log is not None:
            self._log.close()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        if self._log is not None:
            self._log.close()
