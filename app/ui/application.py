"""The Qt application object and the single-instance hand-over, for the composition root.

``create_application`` makes the ``QApplication`` (app name, icon, not quitting when the last window hides —
the tray keeps the app alive and quitting is explicit). ``forward_to_running_instance`` gives a later launch's
arguments to the running Bundlecast. ``listen_for_other_launches`` makes this process the running instance.

Main thread only.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.ui.icons import app_icon, app_style_sheet
from app.ui.single_instance import InstanceServer, instance_name, send_to_running_instance


def create_application() -> QApplication:
    existing = QApplication.instance()
    # Only the program name goes to Qt: the user's arguments are magnets and paths, never Qt options.
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setApplicationName("Bundlecast")
    app.setOrganizationName("Bundlecast")
    app.setDesktopFileName("bundlecast")
    app.setWindowIcon(app_icon())
    app.setStyleSheet(app_style_sheet())
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


def quit_on_termination_signals(app: QApplication, request_quit: Callable[[], None]) -> None:
    """SIGINT/SIGTERM ask for the same orderly quit as the tray's *Quit* (resume data saved).

    Python runs signal handlers only between bytecodes, and Qt's event loop is C++: a light timer gives the
    interpreter a moment every 200 ms, and the handler defers the quit to the event loop.
    """
    def handler(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, request_quit)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    timer = QTimer(app)
    timer.setInterval(200)
    timer.timeout.connect(lambda: None)
    timer.start()
