"""The app's icon and style: the SVG in ``resources/icons`` (else the same mark drawn in code), lock icons, and
the style sheet in ``resources/styles``. Main thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QLinearGradient, QPainter, QPen, QPixmap

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
APP_ICON_PATH = RESOURCES / "icons" / "bundlecast.svg"
STYLE_PATH = RESOURCES / "styles" / "bundlecast.qss"


def app_style_sheet() -> str:
    """The app's few style rules ("" when the resources folder is not installed: the platform style is fine)."""
    try:
        return STYLE_PATH.read_text(encoding="utf-8")
    except OSError:
        return ""


def _drawn_icon(size: int = 64) -> QIcon:
    # An installed package may not carry resources/; the window and tray still need an icon.
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    gradient = QLinearGradient(0, 0, size, size)
    gradient.setColorAt(0, QColor("#6d5efc"))
    gradient.setColorAt(1, QColor("#1fb6c9"))
    painter.setBrush(gradient)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRectF(2, 2, size - 4, size - 4), size / 5, size / 5)
    painter.setPen(QPen(QColor("white"), size / 16))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(QRectF(size * 0.22, size * 0.28, size * 0.56, size * 0.47), 3, 3)
    painter.end()
    return QIcon(pixmap)


def app_icon() -> QIcon:
    icon = QIcon(str(APP_ICON_PATH)) if APP_ICON_PATH.exists() else QIcon()
    return icon if not icon.isNull() else _drawn_icon()


def lock_icon(locked: bool, size: int = 16) -> QIcon:
    """A padlock, closed (grey) or open (green), drawn in code: emoji locks are missing from many fonts."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = QColor("#6b7280") if locked else QColor("#15803d")
    painter.setPen(QPen(color, max(1.5, size / 9)))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    shackle = QRectF(size * 0.28, size * 0.08, size * 0.44, size * 0.5)
    if locked:
        painter.drawArc(shackle, 0, 180 * 16)
        painter.drawLine(int(shackle.left()), int(size * 0.33), int(shackle.left()), int(size * 0.5))
    else:
        painter.drawArc(shackle.translated(size * 0.2, -size * 0.04), 0, 180 * 16)
    painter.drawLine(int(shackle.right()), int(size * 0.33), int(shackle.right()), int(size * 0.5))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRoundedRect(QRectF(size * 0.16, size * 0.45, size * 0.68, size * 0.5), 2, 2)
    painter.end()
    return QIcon(pixmap)
