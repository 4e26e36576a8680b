"""EmbeddedStore: the real `python -m storefront serve` as a child process — started, stopped, and never orphaned."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.store.client import StoreClient
from app.store.embedded import EmbeddedStore
from app.store.errors import EmbeddedStoreFailed
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]

APP_THAT_STARTS_A_STORE = """
import json, sys, threading, time
from pathlib import Path
from app.store.embedded import EmbeddedStore

store = EmbeddedStore(Path(sys.argv[1]), Path(sys.argv[2]), demo=False)
answer = {}
# Started from a worker thread that ends right away, as a UI worker would: the store must outlive that thread.
worker = threading.Thread(target=lambda: answer.update(url=store.start(timeout=120)))
worker.start()
worker.join()
print(json.dumps({"url": answer["url"], "pid": store.pid}), flush=True)
time.sleep(300)
"""


def process_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # exited; a container's init may be slow to reap


def accepts_connections(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


def fake_python(tmp_path: Path, body: str) -> str:
    """An executable standing in for the interpreter: it ignores the store's command line and runs `body`."""
    script = tmp_path / "fake-python"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


def test_the_store_starts_answers_logs_and_stops_cleanly(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "data", tmp_path / "cache", demo=False)
    progress: list[str] = []
    url = store.start(timeout=120, on_progress=progress.append)
    pid = store.pid
    assert pid is not None
    try:
        assert urlsplit(url).hostname == "127.0.0.1" and urlsplit(url).port
        with StoreClient(url) as client:
            assert client.store_info().store_id
        assert store.start() == url  # already running: the same store
        assert "embedded:" in store.store_ref and str(tmp_path / "data") in store.store_ref
    finally:
        store.stop()
    assert store._proc is not None and store._proc.returncode == 0  # a graceful exit on SIGTERM
    assert process_gone(pid) and not accepts_connections(url)
    assert store.url is None and not store.ready_path.exists()
    assert store.log_path.stat().st_size > 0


def test_the_store_dies_with_the_app_even_when_the_app_is_killed(tmp_path: Path) -> None:
    app = subprocess.Popen(
        [sys.executable, "-c", APP_THAT_STARTS_A_STORE, str(tmp_path / "data"), str(tmp_path / "cache")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert app.stdout is not None
        started = json.loads(app.stdout.readline())
        assert accepts_connections(started["url"])
        time.sleep(0.5)  # the worker thread that called start() is long gone: the store must still be up
        assert accepts_connections(started["url"]) and not process_gone(started["pid"])

        app.send_signal(signal.SIGKILL)
        app.wait(10)

        wait_until(lambda: process_gone(started["pid"]), 20, "the store to end with the app")
        assert not accepts_connections(started["url"])
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)


def test_a_missing_interpreter_is_a_clear_failure(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "data", tmp_path / "cache", python=str(tmp_path / "no-such-python"))
    with pytest.raises(EmbeddedStoreFailed) as raised:
        store.start(timeout=10)
    assert "demo store didn't start" in raised.value.user_message


def test_a_store_that_exits_at_start_reports_its_last_words(tmp_path: Path) -> None:
    python = fake_python(tmp_path, 'echo "error: the data dir is read-only"; exit 3')
    store = EmbeddedStore(tmp_path / "data", tmp_path / "cache", python=python)
    with pytest.raises(EmbeddedStoreFailed) as raised:
        store.start(timeout=30)
    assert "exited with 3" in str(raised.value.detail) and "read-only" in str(raised.value.detail)


def test_a_store_that_never_gets_ready_is_stopped_after_the_timeout_with_progress_reported(tmp_path: Path) -> None:
    line = "2026-11-21 08:40:00,123 INFO storefront.demo: Building the demo catalog: film 1 of 5"
    python = fake_python(tmp_path, f'echo "{line}"; exec sleep 60')
    store = EmbeddedStore(tmp_path / "data", tmp_path / "cache", python=python)
    progress: list[str] = []
    with pytest.raises(EmbeddedStoreFailed, match="not ready after"):
        store.start(timeout=2, on_progress=progress.append)
    assert progress == ["Building the demo catalog: film 1 of 5"]
    assert store.pid is not None and process_gone(store.pid)


def test_the_command_is_the_store_contract(tmp_path: Path) -> None:
    command = EmbeddedStore(tmp_path / "d", tmp_path / "c").command()
    store_args = command[command.index("storefront") - 1 :]
    assert store_args[:3] == ["-m", "storefront", "serve"]
    for flag, value in (("--data-dir", str(tmp_path / "d")), ("--host", "127.0.0.1"), ("--port", "0")):
        assert store_args[store_args.index(flag) + 1] == value
    assert "--demo" in store_args and "--ready-file" in store_args
    if sys.platform.startswith("linux"):
        assert command[1] == "-c" and "prctl" in command[2] and command[3] == str(os.getpid())


def test_a_dangling_cache_link_is_a_typed_failure_with_a_sentence(tmp_path: Path) -> None:
    # `mkdir(exist_ok=True)` on a link to nothing raises FileExistsError: it must not leave start() bare.
    (tmp_path / "cache").symlink_to(tmp_path / "nowhere", target_is_directory=True)
    store = EmbeddedStore(tmp_path / "data", tmp_path / "cache", python=fake_python(tmp_path, "exit 0"))
    with pytest.raises(EmbeddedStoreFailed) as raised:
        store.start(timeout=10)
    assert raised.value.user_message.startswith(f"The built-in store's folder {tmp_path / 'cache'} is a link to a "
                                                "folder that doesn't exist.")
    assert "FileExistsError" in str(raised.value.detail)
    assert store.pid is None  # nothing was started


def test_a_full_disk_or_a_taken_port_in_the_child_reads_as_its_cause(tmp_path: Path) -> None:
    for case, (last_words, expected) in enumerate((
        ("OSError: [Errno 28] No space left on device", "The disk is full"),
        ("OSError: [Errno 98] Address already in use", "couldn't open its port"),
    )):
        python = fake_python(tmp_path, f'echo "{last_words}"; exit 1')
        store = EmbeddedStore(tmp_path / f"data{case}", tmp_path / "cache", python=python)
        with pytest.raises(EmbeddedStoreFailed) as raised:
            store.start(timeout=30)
        assert expected in raised.value.user_message
        assert last_words in str(raised.value.detail)
