"""The tray with a real tray host (``trayer`` on the Xvfb display): closing the window keeps the app running
(told once), the tooltip shows the rates, Pause all / Resume all reach the real engine, a finished download is
notified, and Quit asks for the orderly shutdown. The no-tray path is in test_desktop_shell.py (plain Xvfb)
and below for the offscreen platform (a subprocess, since the platform is chosen once per process)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QSystemTrayIcon

from app.engine import Engine
from app.engine.types import SessionTotals
from app.settings import AppSettings
from tests.engine.helpers import make_torrent, write_payload
from tests.ui.fakes import snapshot
from tests.ui.test_desktop_shell import build_desktop

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tray_host(qtbot) -> Iterator[None]:
    """A fresh trayer that Qt has seen arrive, and seen leave again afterwards.

    Qt's xcb backend caches the tray's window and learns of its end only from an X event it processes later:
    right after the previous test's trayer was killed, ``isSystemTrayAvailable()`` could still say True (the
    dead tray), then False while the Desktop was being built (the new trayer not docked yet) — the window then
    rightly showed itself, and "start minimized" failed under load. So wait for "no tray" before starting one,
    and for "no tray" again after stopping it.
    """
    if not shutil.which("trayer") or not os.environ.get("DISPLAY"):
        pytest.fail("the tray test needs trayer and an X display (scripts/run-tests.sh provides Xvfb)")
    qtbot.waitUntil(lambda: not QSystemTrayIcon.isSystemTrayAvailable(), timeout=30_000)
    proc = subprocess.Popen(
        ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "120"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        qtbot.waitUntil(QSystemTrayIcon.isSystemTrayAvailable, timeout=30_000)
        yield
    finally:
        proc.terminate()
        proc.wait(10)
        qtbot.waitUntil(lambda: not QSystemTrayIcon.isSystemTrayAvailable(), timeout=30_000)


def test_tray_keeps_the_app_seeding_and_quits_in_order(
    qtbot, tmp_path: Path, ui_engine: Engine, tray_host: None
) -> None:
    desktop = build_desktop(qtbot, tmp_path, ui_engine, AppSettings(close_to_tray=True))
    assert desktop.tray.available
    assert desktop.tray.icon.isVisible()
    desktop.start([])

    desktop.window.close()
    assert not desktop.window.isVisible()
    assert desktop.tray.last_message is not None
    assert desktop.tray.last_message[0] == "Bundlecast keeps seeding"
    assert desktop.settings.tray_hint_shown  # told once …
    desktop.tray.messages.clear()
    desktop.tray.show_action.trigger()
    assert desktop.window.isVisible()
    desktop.window.close()
    assert desktop.tray.last_message is None  # … and only once

    moving = snapshot("e" * 40, download_rate=2048, upload_rate=1024, num_peers=1)
    desktop.bridge.stats_updated.emit((moving,), SessionTotals(2048, 1024, 0, 0, 1, None))
    assert "↓ 2.0 KiB/s" in desktop.tray.tooltip and "↑ 1.0 KiB/s" in desktop.tray.tooltip

    content = tmp_path / "payload" / "Tray Test"
    write_payload(content, {"a.bin": 50_000})
    tid = ui_engine.add_torrent_bytes(make_torrent(content), content.parent)
    qtbot.waitUntil(lambda: ui_engine.snapshot(tid).progress >= 1.0, timeout=30_000)
    desktop.tray.pause_all_action.trigger()
    qtbot.waitUntil(lambda: ui_engine.snapshot(tid).paused, timeout=20_000)
    desktop.tray.resume_all_action.trigger()
    qtbot.waitUntil(lambda: not ui_engine.snapshot(tid).paused, timeout=20_000)

    desktop.bridge.torrent_finished.emit(tid, "Tray Test")
    assert desktop.tray.last_message == ("Download finished", "“Tray Test” is complete and seeding.")

    with qtbot.waitSignal(desktop.quit_requested, timeout=5000):
        desktop.tray.quit_action.trigger()
    assert not desktop.tray.icon.isVisible()
    ui_engine.remove(tid)
    desktop.close()


def test_start_minimized_stays_in_the_tray(qtbot, tmp_path: Path, ui_engine: Engine, tray_host: None) -> None:
    desktop = build_desktop(qtbot, tmp_path, ui_engine, AppSettings(start_minimized=True))
    desktop.start([])
    assert desktop.tray.icon.isVisible()
    assert not desktop.window.isVisible()
    desktop.tray.show_action.trigger()
    assert desktop.window.isVisible()
    desktop.close()


def test_offscreen_has_no_tray_and_closing_quits() -> None:
    script = (
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from app.ui.tray import TrayIcon\n"
        "from app.ui.window import MainWindow\n"
        "from app.ui.icons import app_icon\n"
        "tray = TrayIcon(app_icon())\n"
        "window = MainWindow(app_icon(), lambda: tray.available)\n"
        "quits = []\n"
        "window.quit_requested.connect(lambda: quits.append(1))\n"
        "window.show(); window.close()\n"
        "print(tray.available, len(quits))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    # No tray: closing asks for the orderly quit (never hides into a tray that does not exist).
    assert out.stdout.split() == ["False", "1"]
