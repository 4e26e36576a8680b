"""The player's control row: play/pause, the seek bar (with a legend of its colours), the clock, mute, volume,
speed, subtitles and fullscreen.

Only widgets and their layout; the page connects them to playback. Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from app.ui.player.seek_bar import DOWNLOADED_COLOR, PLAYABLE_COLOR, SEEK_BAR_HELP, TRACK_COLOR, SeekBar

SPEEDS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
SUBTITLES_OFF = "Subtitles off"


def format_clock(ms: int) -> str:
    """``m:ss``, or ``h:mm:ss`` past an hour."""
    seconds = max(ms, 0) // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _swatch(color: str, text: str) -> QLabel:
    label = QLabel(f"<span style='color:{color}'>■</span> {text}")
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class ControlsBar(QWidget):
    """play_button, seek_bar, time_label, mute_button, volume (0 to 100), speed, subtitles, fullscreen_button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_button = QToolButton()
        self.play_button.setText("Play")
        self.play_button.setToolTip("Play or pause (Space)")
        self.seek_bar = SeekBar()
        self.time_label = QLabel("0:00 / 0:00")
        self.mute_button = QToolButton()
        self.mute_button.setCheckable(True)
        self.mute_button.setText("Mute")
        self.mute_button.setToolTip("Mute or unmute (M)")
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(80)
        self.volume.setMaximumWidth(100)
        self.volume.setAccessibleName("Volume")
        self.volume.setToolTip("Volume (↑ and ↓)")
        self.speed = QComboBox()
        self.speed.setAccessibleName("Speed")
        self.speed.setToolTip("Playback speed")
        for rate in SPEEDS:
            self.speed.addItem(f"{rate:g}x", rate)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.subtitles = QComboBox()
        self.subtitles.setAccessibleName("Subtitles")
        self.subtitles.addItem(SUBTITLES_OFF, -1)
        self.subtitles.hide()  # shown when the file has subtitles
        self.fullscreen_button = QToolButton()
        self.fullscreen_button.setText("Fullscreen")
        self.fullscreen_button.setToolTip("Fullscreen (F; Esc leaves it)")
        self.legend = QWidget()
        legend_row = QHBoxLayout(self.legend)
        legend_row.setContentsMargins(0, 0, 0, 0)
        for color, text in ((PLAYABLE_COLOR.name(), "plays without waiting"),
                            (DOWNLOADED_COLOR.name(), "downloaded"), (TRACK_COLOR.name(), "not downloaded yet")):
            legend_row.addWidget(_swatch(color, text))
        legend_row.addStretch(1)
        self.legend.setToolTip(SEEK_BAR_HELP)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        widgets: tuple[QWidget, ...] = (
            self.play_button, self.seek_bar, self.time_label, self.mute_button, self.volume, self.speed,
            self.subtitles, self.fullscreen_button,
        )  # fmt: skip
        for widget in widgets:
            row.addWidget(widget)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(self.legend)

    def show_time(self, time_ms: int, length_ms: int) -> None:
        self.time_label.setText(f"{format_clock(time_ms)} / {format_clock(length_ms)}")
        if length_ms > 0:
            self.seek_bar.set_position(time_ms / length_ms)

    def show_subtitles(self, labels: list[str]) -> None:
        """The subtitle menu: "Subtitles off" plus one entry per file (hidden when there are none)."""
        self.subtitles.blockSignals(True)
        self.subtitles.clear()
        self.subtitles.addItem(SUBTITLES_OFF, -1)
        for number, label in enumerate(labels):
            self.subtitles.addItem(label, number)
        self.subtitles.setCurrentIndex(1 if labels else 0)
        self.subtitles.blockSignals(False)
        self.subtitles.setVisible(bool(labels))
