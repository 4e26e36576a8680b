"""`EmbeddedStore`: runs the demo storefront as a child process on 127.0.0.1 when no store is configured.

`start()` launches `python -m storefront serve --demo --data-dir … --host 127.0.0.1 --port 0 --ready-file …`,
waits for the ready file (the store writes `{"url": …}` atomically once it listens on its free port), reports
progress from the store's log (the first start builds the demo catalog, which takes a while) and returns the base
URL. `stop()` sends SIGTERM, then SIGKILL after a deadline. The store's output goes to `storefront.log` in its
data dir.

The child also ends when the app dies, even by SIGKILL: on Linux it runs under PR_SET_PDEATHSIG=SIGTERM. A tiny
guard (`python -c`) sets it and then execs the store — not `preexec_fn`, which is unsafe once the app has threads.
PDEATHSIG fires when the *thread* that forked exits, not the process, so the child is forked from a dedicated
launcher thread that lives exactly as long as the child (it waits on it); a UI worker that called `start()` may
come and go. Elsewhere (macOS, Windows) only `stop()` ends the child.

`start()` blocks (seconds, minutes the first time): call it from a worker thread. `stop()` is safe from any thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import app
from app.store.embedded_failures import failure_from_child_log, failure_from_os_error
from app.store.errors import EmbeddedStoreFailed, StoreError
from app.store.transport import check_base_url

log = logging.getLogger(__name__)

LOG_NAME = "storefront.log"
FROZEN_STORE_FLAG = "--embedded-store"  # installer/entry.py: the packaged executable runs the store with it
READY_NAME = "storefront.ready.json"
MAX_LOG_BYTES = 5 * 1024 * 1024
_POLL_S = 0.05
_PROGRESS_EVERY_S = 0.5

# Runs in the child before the store: ask the kernel for SIGTERM when our parent thread dies, close the race where
# the parent died before that request, then become the store (exec keeps the death signal).
_DEATH_SIGNAL_GUARD = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG\n"
    "sys.exit(0) if os.getppid() != int(sys.argv[1]) else os.execv(sys.argv[2], sys.argv[2:])\n"
)

ProgressCallback = Callable[[str], None]
_LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d[ T][\d:,.]+ (?:DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


class EmbeddedStore:
    """The demo store as a child process; see the module docstring."""

    def __init__(
        self,
        data_dir: Path,
        cache_dir: Path,
        *,
        python: str = sys.executable,
        demo: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.cache_dir = Path(cache_dir)
        self.python = python
        self.demo = demo
        self._env = env
        self.url: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._launcher: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def store_ref(self) -> str:
        """The vault's name for this store: stable across launches although the port changes each time."""
        return f"embedded:{self.data_dir.resolve()}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_NAME

    @property
    def ready_path(self) -> Path:
        return self.data_dir / READY_NAME

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def command(self) -> list[str]:
        serve = ["serve", "--data-dir", str(self.data_dir), "--host", "127.0.0.1", "--port", "0"]
        serve += ["--ready-file", str(self.ready_path), "--cache-dir", str(self.cache_dir)]
        if self.demo:
            serve.append("--demo")
        if getattr(sys, "frozen", False):
            # A packaged app (installer/entry.py) is its own store: there is no `python -m` in the bundle.
            return [self.python, FROZEN_STORE_FLAG, str(os.getpid()), *serve]
        store = [self.python, "-m", "storefront", *serve]
        if sys.platform.startswith("linux"):
            return [self.python, "-c", _DEATH_SIGNAL_GUARD, str(os.getpid()), *store]
        return store

    def start(self, timeout: float = 900.0, on_progress: ProgressCallback | None = None) -> str:
        """Start the store and return its base URL once it listens. Raises EmbeddedStoreFailed."""
        try:
            self.url = self._start(timeout, on_progress)
        except EmbeddedStoreFailed as exc:
            log.error("the embedded store did not start: %s", exc.detail or exc.user_message)
            raise
        log.info("embedded store ready at %s (pid %s)", self.url, self.pid)
        return self.url

    def _start(self, timeout: float, on_progress: ProgressCallback | None) -> str:
        with self._lock:
            if self.running and self.url:
                return self.url
            self._prepare_folders()
            spawned = threading.Event()
            failure: list[BaseException] = []
            self._launcher = threading.Thread(
                target=self._launch_and_wait, args=(spawned, failure), name="embedded-store", daemon=True
            )
            self._launcher.start()
            spawned.wait()
            if failure:
                raise EmbeddedStoreFailed(detail=f"could not run {self.python}: {failure[0]}") from failure[0]
        try:
            return self._wait_until_ready(timeout, on_progress)
        except BaseException:
            self.stop()
            raise

    def _prepare_folders(self) -> None:
        """Both folders exist and the log opens for writing — or a typed failure that says why (a dangling link,
        a folder it may not write to, a full or read-only disk): never a bare ``OSError`` on the caller's worker."""
        for folder, make in ((self.data_dir, lambda: self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)),
                             (self.cache_dir, lambda: self.cache_dir.mkdir(parents=True, exist_ok=True))):
            try:
                make()  # on a dangling link or a file this raises FileExistsError, on a worker: translate it
            except OSError as exc:
                raise failure_from_os_error(exc, folder) from exc
        try:
            self.ready_path.unlink(missing_ok=True)
            self._rotate_log()
            with self.log_path.open("ab"):  # the child's output goes there: find out now if we may write it
                pass
        except OSError as exc:
            raise failure_from_os_error(exc, self.data_dir) from exc

    def _launch_and_wait(self, spawned: threading.Event, failure: list[BaseException]) -> None:
        """The launcher thread: fork the child, then live as long as it does (see PDEATHSIG above)."""
        env = dict(os.environ if self._env is None else self._env)
        env["PYTHONUNBUFFERED"] = "1"  # the log shows progress as it happens
        source_root = str(Path(app.__file__).resolve().parent.parent)  # `-m storefront` from a source checkout
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source_root, env.get("PYTHONPATH")) if p)
        try:
            with self.log_path.open("ab") as log_file:
                self._proc = subprocess.Popen(
                    self.command(),
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=self.data_dir,
                    close_fds=True,
                )
        except OSError as exc:
            failure.append(exc)
            spawned.set()
            return
        spawned.set()
        self._proc.wait()

    def _wait_until_ready(self, timeout: float, on_progress: ProgressCallback | None) -> str:
        deadline = time.monotonic() + timeout
        last_report = 0.0
        last_line = ""
        while True:
            url = self._read_ready_file()
            if url is not None:
                return url
            proc = self._proc
            if proc is not None and proc.poll() is not None:
                raise failure_from_child_log(f"exited with {proc.returncode}", self.log_tail())
            now = time.monotonic()
            if now > deadline:
                raise failure_from_child_log(f"not ready after {timeout:.0f} s", self.log_tail())
            if on_progress is not None and now - last_report >= _PROGRESS_EVERY_S:
                last_report = now
                line = self._last_log_line()
                if line and line != last_line:
                    last_line = line
                    on_progress(line)
            time.sleep(_POLL_S)

    def _read_ready_file(self) -> str | None:
        try:
            data = json.loads(self.ready_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            return None  # written atomically by the store, but never trust a half-written file
        url = data.get("url") if isinstance(data, dict) else None
        if not isinstance(url, str):
            return None
        try:
            return check_base_url(url)
        except StoreError as exc:
            raise EmbeddedStoreFailed(detail=f"the store announced {url!r}") from exc

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the store; SIGKILL it if it has not exited after `timeout` seconds. Idempotent."""
        with self._lock:  # a start() still spawning the child finishes first, so the child is never missed
            proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("embedded store did not stop within %.0f s; killing it", timeout)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(5)
        if self._launcher is not None:
            self._launcher.join(timeout=5)
        self.ready_path.unlink(missing_ok=True)
        self.url = None

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the log ----------------------------------------------------------------------------------------------

    def _rotate_log(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            if self.log_path.stat().st_size > MAX_LOG_BYTES:
                self.log_path.replace(self.log_path.with_name(LOG_NAME + ".1"))

    def log_tail(self, lines: int = 15) -> str:
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(max(0, fh.seek(0, os.SEEK_END) - 8192))
                text = fh.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _last_log_line(self) -> str:
        """The store's latest message, without the logging prefix ("2026-… INFO storefront.x: ")."""
        tail = self.log_tail(1).strip()
        if tail == "(no log)":
            return ""
        return _LOG_PREFIX.sub("", tail)
