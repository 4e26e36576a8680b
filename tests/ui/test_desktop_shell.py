"""The window shell with the real engine: tabs, status bar rates, closing without a tray quits, settings saved
and applied, and a second launch handing its magnet to the running window (single instance)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QSystemTrayIcon

from app.engine import Engine, EngineSettings
from app.settings import AppSettings, SettingsStore
from app.ui.desktop import Desktop, DesktopConfig
from app.ui.single_instance import InstanceServer, instance_name

ROOT = Path(__file__).resolve().parents[2]
MAGNET = "magnet:?xt=urn:btih:" + "cd" * 20 + "&dn=handed-over"


def build_desktop(qtbot, home: Path, engine: Engine, settings: AppSettings | None = None) -> Desktop:
    store = SettingsStore(home / "config")
    if settings is not None:
        store.save(settings)
    config = DesktopConfig(home / "config", home / "downloads", EngineSettings.for_loopback_tests("127.0.0.1"))
    desktop = Desktop(engine, store, store.load(), config)
    qtbot.addWidget(desktop.window)
    return desktop


def test_without_a_tray_closing_the_window_quits(qtbot, tmp_path: Path, ui_engine: Engine) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # plain Xvfb: no tray host running
    desktop = build_desktop(qtbot, tmp_path, ui_engine)
    desktop.start([])
    assert desktop.window.isVisible()
    assert desktop.window.page_titles() == ["Transfers", "Settings"]
    with qtbot.waitSignal(desktop.quit_requested, timeout=5000):
        desktop.window.close()
    assert not desktop.window.isVisible()
    assert (tmp_path / "config" / "window.ini").exists()
    desktop.close()


def test_saved_settings_are_persisted_and_reach_the_engine(qtbot, tmp_path: Path, ui_engine: Engine) -> None:
    desktop = build_desktop(qtbot, tmp_path, ui_engine)
    page = desktop.settings_page
    page.download_limit.setValue(300)
    page.download_dir.setText(str(tmp_path / "elsewhere"))
    page.close_to_tray.setChecked(False)
    page.save_button.click()
    assert page.saved_label.text() == "Saved."
    qtbot.waitUntil(lambda: not desktop.runner.busy, timeout=10_000)  # saved and applied on a worker
    stored = SettingsStore(tmp_path / "config").load()
    assert stored.download_rate_limit_kib == 300
    assert stored.close_to_tray is False
    assert desktop.download_dir() == tmp_path / "elsewhere"
    page.download_limit.setValue(0)
    page.save_button.click()
    qtbot.waitUntil(lambda: not desktop.runner.busy, timeout=10_000)
    desktop.close()


def test_a_second_launch_hands_its_magnet_to_the_running_window(qtbot, tmp_path: Path, ui_engine: Engine) -> None:
    desktop = build_desktop(qtbot, tmp_path, ui_engine)
    server = InstanceServer(instance_name(tmp_path / "config"))
    assert server.listen()
    server.arguments_received.connect(desktop.handle_arguments)
    desktop.start([])
    env = {**os.environ, "BUNDLECAST_HOME": str(tmp_path)}
    second = subprocess.Popen(
        [sys.executable, "-m", "app", MAGNET], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    tid = "cd" * 20
    qtbot.waitUntil(lambda: second.poll() is not None, timeout=60_000)
    assert second.returncode == 0, second.stdout.read() if second.stdout else b""
    qtbot.waitUntil(lambda: desktop.transfers.model.row_of(tid) is not None, timeout=20_000)
    assert desktop.window.tabs.currentWidget() is desktop.transfers
    ui_engine.remove(tid)
    server.close()
    desktop.close()
