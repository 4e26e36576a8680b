"""The seedbox as a user runs it: `make run ARGS="--headless"` on a machine without a display works (the flag
arrives twice), people read names and human units, machines read JSON lines, and only changes are printed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.engine.helpers import make_torrent, write_payload
from tests.support.net import loopback_address

REPO = Path(__file__).resolve().parents[2]


def _seedbox(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    write_payload(tmp_path / "data" / "Album", {"a.flac": 100_000})
    (tmp_path / "album.torrent").write_bytes(make_torrent(tmp_path / "data" / "Album"))
    env = {**os.environ, "BUNDLECAST_HOME": str(tmp_path / "home")}
    return subprocess.Popen(
        [sys.executable, "-m", "app", "--headless", "--headless", "--test-network", loopback_address(),
         "--download-dir", str(tmp_path / "data"), "--status-interval", "0.2", *extra,
         "add", str(tmp_path / "album.torrent")],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _lines_until(process: subprocess.Popen[str], done: str, timeout: float = 30) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if done in line:
            return lines
    raise AssertionError(f"never printed {done!r}; got {lines}")


def _stop(process: subprocess.Popen[str]) -> list[str]:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    return out.splitlines()


def test_people_read_names_and_human_units_and_only_changes(tmp_path: Path) -> None:
    process = _seedbox(tmp_path)
    lines = _lines_until(process, "seeding 100%")
    assert "Added “Album”." in lines
    assert lines[-1] == "“Album”: seeding 100% — ↓ 0 B/s  ↑ 0 B/s, 0 peers"
    time.sleep(1.5)  # about seven status checks with nothing new
    rest = _stop(process)
    assert not any("Album" in line for line in rest)  # nothing changed: nothing reprinted
    assert rest[-1] == "Saved every torrent. Bye."


def test_machines_read_json_lines(tmp_path: Path) -> None:
    process = _seedbox(tmp_path, "--json")
    lines = _lines_until(process, '"state": "seeding"')
    events = [json.loads(line) for line in lines]
    assert events[0]["event"] == "added" and events[0]["name"] == "Album"
    assert any(e["event"] == "ready" and e["port"] > 0 for e in events)
    assert events[-1]["event"] == "torrent" and events[-1]["progress"] == 1.0
    rest = [json.loads(line) for line in _stop(process)]
    assert rest[-1] == {"event": "saved"}


def test_run_app_without_a_display_accepts_the_headless_flag(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(["bash", "scripts/run-app.sh", "--headless", "--help"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "--json" in result.stdout and "unrecognized" not in result.stderr


def test_the_seedbox_adds_a_torrent_dropped_into_its_watched_folder_once(tmp_path: Path) -> None:
    watched = tmp_path / "watched"
    process = _seedbox(tmp_path, "--json", "--watch", str(watched))
    try:
        _lines_until(process, '"state": "seeding"')
        write_payload(tmp_path / "data" / "Dropped", {"d.bin": 50_000})
        (watched / "Dropped.torrent").write_bytes(make_torrent(tmp_path / "data" / "Dropped"))
        added = json.loads(_lines_until(process, '"name": "Dropped.torrent"')[-1])
        assert added["event"] == "added"
    finally:
        rest = _stop(process)
    assert not any('"event": "added"' in line for line in rest)  # once
    assert (watched / "added" / "Dropped.torrent").exists()
