"""Each pytest-xdist worker gets an X server of its own (Xvfb), so that two workers never see each other's windows:
tests that read the screen (contrast, pictures, the tray) grabbed the other worker's window where theirs should have
been, and focus could move between them. The server stops with its worker, also when a hung test ends the worker
with ``os._exit``. A run with one process keeps the display ``xvfb-run`` gave it."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import tempfile
from pathlib import Path

import pytest

SCREEN = "1280x800x24"  # as scripts/run-tests.sh gives xvfb-run
READY_LIMIT_S = 30.0
_SERVER = pytest.StashKey[subprocess.Popen[bytes]]()


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb, and a watchdog shell that stops it when our end of the shell's stdin closes (PR_SET_PDEATHSIG follows
    the thread that started the child, not the process). One worker at a time: two servers started at once can
    both try the same display number."""
    with (Path(tempfile.gettempdir()) / "bundlecast-xvfb.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _start_xvfb_alone()


def _start_xvfb_alone() -> tuple[subprocess.Popen[bytes], str]:
    read_end, write_end = os.pipe()
    # -noreset: an X server resets when its last client leaves, and then writes its number to displayfd again.
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", SCREEN, "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    # The read end stays open for the worker's life: Xvfb may write its number more than once, and a write to a
    # closed pipe is fatal to it ("Cannot write display number").
    ready, _, _ = select.select([read_end], [], [], READY_LIMIT_S)
    number = os.read(read_end, 32).decode().strip() if ready else ""
    if not number.isdigit():
        server.kill()
        raise RuntimeError(f"Xvfb did not say its display number within {READY_LIMIT_S:.0f} s")
    # The watchdog: stops the server once our end of its stdin closes, when this worker ends however it ends.
    watchdog = subprocess.Popen(
        ["sh", "-c", f"cat >/dev/null; kill {server.pid}"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    return watchdog, f":{number}"


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        return
    server, display = _start_xvfb()
    os.environ["DISPLAY"] = display
    config.stash[_SERVER] = server


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_SERVER, None)
    if server is not None and server.stdin is not None:
        server.stdin.close()  # the watchdog stops Xvfb and ends
        server.wait(10)
