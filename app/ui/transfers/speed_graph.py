"""The Transfers page's speed graph: download and upload over the last minutes, in total or for the selected torrent.

``SpeedHistory`` keeps one sample a second (``SAMPLE_MS``) of the total shown rates and of the selected torrent's,
read from the page's ``RateBoard`` (kept from the stats batches, summed as they arrive — a sample never walks the
torrents), ``HISTORY_SAMPLES`` long (five minutes). A torrent's history starts when it is selected — the page does
not keep 10,000 histories. ``SpeedGraph`` draws them with pyqtgraph and redraws only while it is visible.

Main thread only.
"""

from __future__ import annotations

from collections import deque

import pyqtgraph as pg  # type: ignore[import-untyped]  # no stubs, no py.typed
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QVBoxLayout, QWidget

from app.engine.types import TorrentId
from app.ui.shown_rates import RateBoard

HISTORY_SAMPLES = 300
SAMPLE_MS = 1000


class SpeedHistory:
    """Rates over time: the total, and one torrent's since it was chosen."""

    def __init__(self, length: int = HISTORY_SAMPLES) -> None:
        self.total_down: deque[int] = deque(maxlen=length)
        self.total_up: deque[int] = deque(maxlen=length)
        self.torrent_down: deque[int] = deque(maxlen=length)
        self.torrent_up: deque[int] = deque(maxlen=length)
        self._torrent: TorrentId | None = None

    @property
    def torrent(self) -> TorrentId | None:
        return self._torrent

    def follow(self, torrent_id: TorrentId | None) -> None:
        if torrent_id != self._torrent:
            self._torrent = torrent_id
            self.torrent_down.clear()
            self.torrent_up.clear()

    def add(self, rates: RateBoard) -> None:
        """One sample: the total shown rates, and the followed torrent's."""
        down, up = rates.totals()
        self.total_down.append(down)
        self.total_up.append(up)
        if self._torrent is None:
            return
        down, up = rates.rates_of(self._torrent)
        self.torrent_down.append(down)
        self.torrent_up.append(up)


class SpeedGraph(QWidget):
    """Two curves (download, upload) in KiB/s over the last samples."""

    def __init__(self, rates: RateBoard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = SpeedHistory()
        self._rates = rates
        self.scope = QComboBox(self)
        self.scope.addItems(["All torrents", "Selected torrent"])
        self.scope.currentIndexChanged.connect(lambda _i: self.redraw())
        self.plot = pg.PlotWidget(self)
        self.plot.setLabel("left", "KiB/s")
        self.plot.setLabel("bottom", "seconds ago")
        self.plot.addLegend()
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.down_curve = self.plot.plot([], [], name="Download", pen=pg.mkPen("#2a7ab0", width=2))
        self.up_curve = self.plot.plot([], [], name="Upload", pen=pg.mkPen("#3a9a3a", width=2))
        layout = QVBoxLayout(self)
        layout.addWidget(self.scope)
        layout.addWidget(self.plot, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(SAMPLE_MS)
        self._timer.timeout.connect(self.add_sample)
        self._timer.start()

    def add_sample(self) -> None:
        self.history.add(self._rates)
        if self.isVisible():
            self.redraw()

    def follow(self, torrent_id: TorrentId | None) -> None:
        self.history.follow(torrent_id)

    def shown_series(self) -> tuple[list[int], list[int]]:
        """(download, upload) samples the graph shows now, oldest first."""
        if self.scope.currentIndex() == 1:
            return list(self.history.torrent_down), list(self.history.torrent_up)
        return list(self.history.total_down), list(self.history.total_up)

    def redraw(self) -> None:
        down, up = self.shown_series()
        xs = [index - len(down) + 1 for index in range(len(down))]
        self.down_curve.setData(xs, [value / 1024 for value in down])
        self.up_curve.setData(xs, [value / 1024 for value in up])
