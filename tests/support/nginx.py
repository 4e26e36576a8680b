"""Debian's nginx for tests, run from the example in docs/OPERATIONS.md so the documented config is what is tested.

``documented_example()`` is the doc's ```` ```nginx ```` block; ``swap`` replaces what the doc's example must contain
(a doc that changed shape fails loudly, naming the line it lost). ``start_nginx`` writes an ``nginx.conf`` around
the given server blocks (own prefix, pid, logs and temp folders, ``daemon off``; as root the workers keep the
test's user, since "nobody" could not read the test's private folders), starts nginx as an ordinary child process
and waits until every port accepts connections. The caller stops it (``Nginx.stop``). Runs on the test's thread.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = REPO / "docs" / "OPERATIONS.md"


def documented_example() -> str:
    example = re.search(r"```nginx\n(.*?)```", OPERATIONS.read_text(), re.S)
    assert example, f"{OPERATIONS.name} has no nginx example"
    return example[1]


def swap(text: str, pattern: str, replacement: str) -> str:
    """Replace what the doc's example must contain; a doc that changed shape fails here, loudly."""
    swapped, count = re.subn(pattern, replacement, text)
    assert count >= 1, f"the nginx example in {OPERATIONS.name} no longer has {pattern!r}"
    return swapped


@dataclass
class Nginx:
    root: Path
    access_log: Path
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Fast shutdown (SIGTERM: the master stops its workers), then whatever is left of its process group is
        killed: SIGKILL on the master alone left its workers running, still bound to the test's ports."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        _kill_group(self.proc.pid)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _conf(root: Path, server_blocks: str) -> str:
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {root / 'temp' / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {root / 'nginx.pid'};\nerror_log {root / 'error.log'} info;\n"
        "events { worker_connections 128; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        "    log_format seed '$status $request_method $uri \"$http_range\" $body_bytes_sent';\n"
        f"    access_log {root / 'access.log'} seed;\n{temp}\n"
        f"{server_blocks}\n}}\n"
    )


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def start_nginx(root: Path, server_blocks: str, ports: list[int], timeout: float = 20.0) -> Nginx:
    (root / "temp").mkdir(parents=True)
    conf = root / "nginx.conf"
    conf.write_text(_conf(root, server_blocks))
    # -p: its own prefix; -e: the startup error log too (the default is /var/log/nginx, root's).
    argv = ["nginx", "-p", f"{root}/", "-c", str(conf), "-e", str(root / "error.log")]
    with (root / "stderr.log").open("wb") as err:
        proc = subprocess.Popen(argv, stdout=err, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while not all(_accepts(port) for port in ports):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait(10)
            _kill_group(proc.pid)
            logs = "".join(p.read_text() for p in (root / "stderr.log", root / "error.log") if p.exists())
            raise AssertionError(f"nginx did not start: {logs[-2000:]}")
        time.sleep(0.1)
    return Nginx(root, root / "access.log", proc)
