"""Packaging: what the packaged app needs from the code, checked without building it (``make installer`` builds
it; installer/README.md has the figures of a build and install on this machine).

A frozen bundle has no ``python -m storefront``: its one executable, installer/entry.py, is the app or — asked
with ``--embedded-store`` — the demo store. These tests run that entry script as the executable would: the real
``EmbeddedStore`` starts it and a real store answers over HTTP; and the .desktop entry passes the validator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from app.store.embedded import FROZEN_STORE_FLAG, EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "installer" / "entry.py"


def test_the_desktop_entry_passes_the_validator_and_claims_magnets_and_torrents() -> None:
    entry = ROOT / "resources" / "linux" / "bundlecast.desktop"
    checked = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    mime = next(line for line in entry.read_text().splitlines() if line.startswith("MimeType="))
    assert {"application/x-bittorrent", "x-scheme-handler/magnet"} <= set(mime.removeprefix("MimeType=").split(";"))


@pytest.fixture
def frozen_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An executable that acts as the packaged one (installer/entry.py); ``sys.frozen`` set as PyInstaller does."""
    executable = tmp_path / "bundlecast"
    executable.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ENTRY}" "$@"\n')
    executable.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    return executable


def test_a_packaged_app_runs_its_store_through_its_own_executable(tmp_path: Path, frozen_executable: Path) -> None:
    store = EmbeddedStore(tmp_path / "data", tmp_path / "cache", python=str(frozen_executable), demo=False)
    assert store.command()[:3] == [str(frozen_executable), FROZEN_STORE_FLAG, str(os.getpid())]
    assert "-m" not in store.command()  # nothing a frozen bundle cannot run
    url = store.start(timeout=120)
    try:
        with urllib.request.urlopen(f"{url}/api/v1/store", timeout=10) as answer:
            assert json.load(answer)["store_id"]
    finally:
        store.stop()
    assert not store.running


def test_the_store_mode_ends_at_once_when_the_app_is_already_gone() -> None:
    # The parent pid given is not our parent: the app died before the child asked to die with it.
    gone = subprocess.run([sys.executable, str(ENTRY), FROZEN_STORE_FLAG, "1", "serve", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert gone.returncode == 0 and "--ready-file" not in gone.stdout


def test_without_the_flag_the_executable_is_the_app() -> None:
    app_help = subprocess.run([sys.executable, str(ENTRY), "--help"], capture_output=True, text=True, timeout=60,
                              check=False)
    assert app_help.returncode == 0 and "--store URL" in app_help.stdout
