"""The player's control row: play/pause, the seek bar, the clock, volume and fullscreen.

Only widgets and their layout; the page connects them to playback. Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from app.ui.player.seek_bar import SeekBar


def format_clock(ms: int) -> str:
    """``m:ss``, or ``h:mm:ss`` past an hour."""
    seconds = max(ms, 0) // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ControlsBar(QWidget):
    """play_button, seek_bar, time_label, volume (0 to 100) and fullscreen_button in one row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_button = QToolButton()
        self.play_button.setText("Play")
        self.seek_bar = SeekBar()
        self.time_label = QLabel("0:00 / 0:00")
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(80)
        self.volume.setMaximumWidth(100)
        self.volume.setAccessibleName("Volume")
        self.fullscreen_button = QToolButton()
        self.fullscreen_button.setText("Fullscreen")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        widgets: tuple[QWidget, ...] = (
            self.play_button, self.seek_bar, self.time_label, self.volume, self.fullscreen_button
        )  # fmt: skip
        for widget in widgets:
            row.addWidget(widget)

    def show_time(self, time_ms: int, length_ms: int) -> None:
        self.time_label.setText(f"{format_clock(time_ms)} / {format_clock(length_ms)}")
        if length_ms > 0:
            self.seek_bar.set_position(time_ms / length_ms)
