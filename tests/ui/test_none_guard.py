"""PySide6 6.12.0 on CPython 3.11 drops a reference to ``None`` on many void calls: the window's process must
survive far more of them than a long session makes (``app.ui`` keeps ``None``, ``True`` and ``False`` alive)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAINT_A_LOT = """
import sys
import app.ui  # noqa: F401  (the guard runs on import)
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtCore import QRect
application = QGuiApplication([])
image = QImage(64, 64, QImage.Format.Format_RGB32)
painter = QPainter(image)
for _ in range(200_000):
    painter.save()
    painter.fillRect(QRect(0, 0, 8, 8), QColor("#123456"))
    painter.restore()
painter.end()
print("painted")
"""


def test_the_window_process_survives_a_long_sessions_worth_of_leaking_calls() -> None:
    result = subprocess.run([sys.executable, "-c", PAINT_A_LOT], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "painted"
