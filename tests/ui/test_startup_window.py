"""A window at once: the startup window is on screen before the engine, the store client or VLC are even
imported (in a fresh interpreter, as `python -m app` starts), and the first time it says the demo store is being
prepared."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import sys
from app.ui.application import create_application
app = create_application()
from app.ui.startup_window import show_startup_window
window = show_startup_window(first_time=sys.argv[1] == "first")
heavy = sorted(m for m in ("libtorrent", "vlc", "requests", "keyring", "app.engine", "app.store", "app.player")
               if m in sys.modules)
print("VISIBLE", window.isVisible(), window.windowHandle() is not None and window.windowHandle().isExposed())
print("HEAVY", heavy)
print("TEXT", window.headline.text(), "|", window.detail.text() if window.detail.isVisible() else "")
"""


def _probe(first: str) -> str:
    result = subprocess.run([sys.executable, "-c", PROBE, first], check=False, cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_startup_window_shows_before_the_heavy_parts_are_loaded() -> None:
    out = _probe("first")
    assert "VISIBLE True True" in out
    assert "HEAVY []" in out
    assert "Preparing the demo store" in out


def test_later_starts_say_only_that_bundlecast_is_starting() -> None:
    out = _probe("again")
    assert "TEXT Bundlecast is starting… | \n" in out
