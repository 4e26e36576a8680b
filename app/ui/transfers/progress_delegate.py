"""Paints the Progress column as a progress bar (main thread, called by the view while painting)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar, QStyleOptionViewItem

from app.engine.types import TorrentSnapshot
from app.ui.transfers.model import SNAPSHOT_ROLE


class ProgressDelegate(QStyledItemDelegate):
    """Draws the row's ``progress`` (0…1) as a native progress bar with the percentage on it."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        snap = index.data(SNAPSHOT_ROLE)
        if not isinstance(snap, TorrentSnapshot):
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum = 0
        bar.maximum = 1000
        bar.progress = round(snap.progress * 1000)
        bar.text = f"{snap.progress * 100:.1f}%"
        bar.textVisible = True
        bar.state = option.state
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
