"""The headless seedbox mode as a user runs it: `python -m app --headless …` in its own process."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.engine.helpers import info_hash_hex, make_torrent, write_payload
from tests.engine.processes import REPO, HeadlessEngine
from tests.support.net import loopback_address
from tests.support.waiting import wait_until


def test_sigint_saves_everything_and_exits_cleanly(tmp_path: Path) -> None:
    write_payload(tmp_path / "data" / "album", {"01.flac": 200_000})
    torrent = make_torrent(tmp_path / "data" / "album", 16384, "hybrid")
    (tmp_path / "album.torrent").write_bytes(torrent)
    magnet = "magnet:?xt=urn:btih:" + "12" * 20 + "&dn=later"
    tid = info_hash_hex(torrent)
    engine = HeadlessEngine(
        tmp_path / "home", loopback_address(), sources=[str(tmp_path / "album.torrent"), magnet],
        download_dir=tmp_path / "data",
    )
    assert engine.saw(f"added {tid}") and engine.saw("added " + "12" * 20)
    engine.wait_for(f"torrent {tid} state=seeding", 30)
    assert engine.interrupt(signal.SIGINT, 30) == 0
    engine.wait_for("saved", 5)
    resume = sorted(p.name for p in (engine.state_dir / "resume").iterdir())
    assert resume == sorted([f"{tid}.resume", "12" * 20 + ".resume"])
    assert (engine.state_dir / "session.dat").exists()

    again = HeadlessEngine(tmp_path / "home", loopback_address(), download_dir=tmp_path / "data")
    try:
        assert "torrents=2" in again.lines[-1]
        again.wait_for(f"restored {tid} state=seeding done=200000", 30)
    finally:
        assert again.stop() == 0


def test_bad_sources_are_reported_without_stopping_the_seedbox(tmp_path: Path) -> None:
    (tmp_path / "broken.torrent").write_bytes(b"d4:infod4:name")
    engine = HeadlessEngine(
        tmp_path / "home", loopback_address(),
        sources=[str(tmp_path / "broken.torrent"), "magnet:?xt=urn:btih:nothex"],
    )
    try:
        assert "torrents=0" in engine.lines[-1]
        engine.wait_for("total torrents=0", 10)
    finally:
        assert engine.stop() == 0
    errors = "".join(engine.stderr_lines)
    assert "broken.torrent: The .torrent file is damaged" in errors
    assert "magnet link is cut short" in errors


def test_help_names_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--headless", "--help"], cwd=REPO, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert result.returncode == 0
    for option in ("--state-dir", "--download-dir", "--listen", "--test-network", "--peer"):
        assert option in result.stdout


def test_sigusr1_prints_where_every_thread_is_and_the_seedbox_goes_on(tmp_path: Path) -> None:
    engine = HeadlessEngine(tmp_path / "home", loopback_address())
    try:
        engine.process.send_signal(signal.SIGUSR1)
        wait_until(lambda: "in run_headless" in "".join(engine.stderr_lines), 30, "the main thread's stack on stderr")
        engine.wait_for("total torrents=0", 30)  # still running: the next status line comes
    finally:
        assert engine.stop() == 0
    assert "Thread MainThread" in "".join(engine.stderr_lines)
