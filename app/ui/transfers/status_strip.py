"""The line under the Transfers table: total shown rates, the number of torrents, DHT nodes and the free space on
the download disk. Rates come from the page's ``RateBoard`` (what the rows show, summed as the batches arrive); DHT
nodes and free space are read on a worker every ``FACTS_INTERVAL_MS`` (both may block: libtorrent, the disk).

Main thread; the look-ups on the task runner's pool.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from app.ui.shown_rates import RateBoard
from app.ui.tasks import TaskRunner
from app.ui.units import format_rate, format_size

FACTS_INTERVAL_MS = 5000


def free_space(folder: Path) -> int:
    """Free bytes on the disk of ``folder`` (its nearest existing parent)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


class StatusStrip(QLabel):
    """Totals, DHT nodes and free disk space in one line."""

    def __init__(
        self,
        tasks: TaskRunner,
        dht_nodes: Callable[[], int],
        download_dir: Callable[[], Path],
        rates: RateBoard,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._dht_nodes = dht_nodes
        self._download_dir = download_dir
        self.rates = rates
        self._count = 0
        self._facts: tuple[int, int | None] = (0, None)
        self._timer = QTimer(self)
        self._timer.setInterval(FACTS_INTERVAL_MS)
        self._timer.timeout.connect(self.look_up_facts)
        self._timer.start()
        self.look_up_facts()

    def show_count(self, count: int) -> None:
        """The board's rates changed (a batch, a removal) and there are ``count`` torrents."""
        self._count = count
        self._show()

    def look_up_facts(self) -> None:
        folder = self._download_dir()
        self._tasks.run(lambda: (self._dht_nodes(), free_space(folder)), self._on_facts, lambda _exc: None)

    def _on_facts(self, facts: tuple[int, int]) -> None:
        self._facts = facts
        self._show()

    def _show(self) -> None:
        down, up = self.rates.totals()
        nodes, free = self._facts
        text = f"↓ {format_rate(down)}   ↑ {format_rate(up)}   ·   {self._count} torrents   ·   DHT: {nodes} nodes"
        if free is not None:
            text += f"   ·   Free space: {format_size(free)}"
        if self.text() != text:
            self.setText(text)
