"""The suite's own guards (tests/support/harness.py and pyproject's pytest-timeout settings), tried for real: a test
that hangs on purpose — parked in Qt's event loop, or in a modal dialog's ``exec()`` — runs in a pytest of its own
(a subprocess, with this repository's configuration) and must be reported as failed, with the stack of every thread,
inside its timeout; a test that leaves a modal dialog open fails and the dialog is closed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HANG_TIMEOUT_S = 4

HANGING_TESTS = {
    "event_loop": """
        from PySide6.QtCore import QEventLoop

        def test_parks_in_the_qt_event_loop(qapp):
            QEventLoop().exec()  # nothing ever quits it: a waitUntil whose condition never comes
    """,
    "modal_exec": """
        from PySide6.QtWidgets import QMessageBox

        def test_opens_a_blocking_modal_dialog(qapp):
            QMessageBox(QMessageBox.Icon.Warning, "Store", "Nobody will press OK").exec()
    """,
}

PARKED_WORKER = """
import threading
import time

def _parked_worker():
    while True:
        time.sleep(0.2)

threading.Thread(target=_parked_worker, name="parked-worker", daemon=True).start()
"""


def run_pytest_on(tmp_path: Path, name: str, body: str, *extra: str) -> subprocess.CompletedProcess[str]:
    test_file = tmp_path / f"test_{name}.py"
    test_file.write_text(PARKED_WORKER + textwrap.dedent(body))
    # The repository's own configuration (pyproject's [tool.pytest.ini_options]) and plugins, on a file outside it.
    command = [sys.executable, "-m", "pytest", str(test_file), "-c", str(ROOT / "pyproject.toml"),
               "--rootdir", str(tmp_path), "-p", "no:cacheprovider", "-p", "tests.support.harness", "-q", *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("name", sorted(HANGING_TESTS))
def test_a_hanging_test_fails_with_every_threads_stack_inside_its_timeout(tmp_path: Path, name: str) -> None:
    result = run_pytest_on(tmp_path, name, HANGING_TESTS[name], f"--timeout={HANG_TIMEOUT_S}")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    test_name = next(line for line in HANGING_TESTS[name].splitlines() if "def test_" in line).split()[1].split("(")[0]
    assert f"FAILED test_{name}.py::{test_name} - Timeout after {HANG_TIMEOUT_S} s" in output, output
    assert "Stack of MainThread" in output and "Stack of parked-worker" in output, output  # every thread
    assert output.rstrip().endswith("timeout: 0 passed, 1 failed"), output


def test_a_test_that_leaves_a_modal_dialog_open_fails_and_the_dialog_is_closed(tmp_path: Path) -> None:
    body = """
        from PySide6.QtWidgets import QApplication, QDialog

        KEPT = []  # as a page's dialog is kept by its parent window

        def test_leaves_a_dialog_open(qapp):
            dialog = QDialog()
            dialog.setWindowTitle("Left behind")
            dialog.open()  # window-modal, as pages open theirs
            KEPT.append(dialog)

        def test_after_it_no_modal_window_is_left(qapp):
            assert not [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.isModal()]
    """
    result = run_pytest_on(tmp_path, "modal_left", body, "--timeout=60")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "the test left modal dialog(s) open: QDialog 'Left behind'" in output, output
    assert "2 passed, 1 error" in output, output  # the one that left it open errs at teardown; the next is clean


def test_a_hanging_test_on_a_pytest_xdist_worker_fails_with_every_threads_stack_too(tmp_path: Path) -> None:
    """`make test` runs two workers: a worker's terminal writer dies with it, so its report goes to its stderr."""
    result = run_pytest_on(
        tmp_path, "event_loop", HANGING_TESTS["event_loop"], f"--timeout={HANG_TIMEOUT_S}",
        "-n", "2", "-p", "tests.support.worker_display",
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"test_parks_in_the_qt_event_loop did not finish within {HANG_TIMEOUT_S} s" in output, output
    assert "Stack of MainThread" in output and "Stack of parked-worker" in output, output  # every thread
