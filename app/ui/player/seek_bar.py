"""The seek bar: the play position over the file's downloaded ranges and the run playable from here.

Paints three layers — the whole file (dark), what is downloaded (grey), what plays without waiting from the
position (accent) — and the position as a knob. A click or drag asks for a seek with ``seek_requested``.
Main thread only.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

TRACK_COLOR = QColor("#3a3a3a")
DOWNLOADED_COLOR = QColor("#8a8a8a")
PLAYABLE_COLOR = QColor("#3d8bfd")
_KNOB = QColor("#ffffff")
SEEK_BAR_HELP = (
    "Blue: from here, plays without waiting. Grey: downloaded. Dark: not downloaded yet — "
    "you can still jump there; it plays as soon as those parts arrive."
)


class SeekBar(QWidget):
    """Position 0…1 over downloaded and playable fractions of the file."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._position = 0.0
        self._downloaded: tuple[tuple[float, float], ...] = ()
        self._playable: tuple[float, float] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName("Seek bar")
        self.setToolTip(SEEK_BAR_HELP)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(400, 18)

    @property
    def position(self) -> float:
        return self._position

    @property
    def downloaded(self) -> tuple[tuple[float, float], ...]:
        return self._downloaded

    @property
    def playable(self) -> tuple[float, float] | None:
        return self._playable

    def set_position(self, fraction: float) -> None:
        self._position = min(max(fraction, 0.0), 1.0)
        self.update()

    def set_ranges(self, downloaded: Sequence[tuple[float, float]], playable: tuple[float, float] | None) -> None:
        self._downloaded = tuple(downloaded)
        self._playable = playable
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = self.width() - 8
        top, height = self.height() / 2 - 3, 6.0

        def span(start: float, end: float, color: QColor) -> None:
            painter.fillRect(QRectF(4 + start * width, top, max(1.0, (end - start) * width), height), color)

        span(0.0, 1.0, TRACK_COLOR)
        for start, end in self._downloaded:
            span(start, end, DOWNLOADED_COLOR)
        if self._playable is not None:
            span(*self._playable, PLAYABLE_COLOR)
        painter.setBrush(_KNOB)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(QRectF(4 + self._position * width - 6, self.height() / 2 - 6, 12, 12))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._seek_to(event.position().x())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._seek_to(event.position().x())

    def _seek_to(self, x: float) -> None:
        fraction = min(max((x - 4) / max(1, self.width() - 8), 0.0), 1.0)
        self.set_position(fraction)
        self.seek_requested.emit(fraction)
