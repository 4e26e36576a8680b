"""The Qt application object and the single-instance hand-over, for the composition root.

``create_application`` makes the ``QApplication`` (app name, icon, not quitting when the last window hides —
the tray keeps the app alive and quitting is explicit). ``forward_to_running_instance`` gives a later launch's
arguments to the running Bundlecast. ``listen_for_other_launches`` makes this process the running instance.

Main thread only.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.ui.icons import app_icon
from app.ui.single_instance import InstanceServer, instance_name, send_to_running_instance


def create_application() -> QApplication:
    existing = QApplication.instance()
    # Only the program name goes to Qt: the user's arguments are magnets and paths, never Qt options.
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setApplicationName("Bundlecast")
    app.setOrganizationName("Bundlecast")
    app.setDesktopFileName("bundlecast")
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    return app


def forward_to_running_instance(config_dir: Path, arguments: list[str]) -> bool:
    """True when another Bundlecast of this user and profile took the arguments (this launch should exit)."""
    return send_to_running_instance(instance_name(config_dir), arguments)


def listen_for_other_launches(config_dir: Path) -> InstanceServer:
    server = InstanceServer(instance_name(config_dir))
    server.listen()
    return server


def run_event_loop(app: QApplication) -> int:
    return int(app.exec())
