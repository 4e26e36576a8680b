"""Keeps the seek bar's downloaded and playable ranges and the *Buffering… about N s* line up to date while a
file plays: every half second it asks ``Playback.progress`` on the task runner (the engine's range query
blocks) and shows the answer on the main thread, one question at a time.

Main thread; the query runs on the task runner.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel

from app.player.items import PlayItem
from app.player.playback import FileProgress, Playback
from app.ui.player.seek_bar import SeekBar
from app.ui.tasks import TaskRunner

POLL_MS = 500


class ProgressPoller(QObject):
    def __init__(
        self, playback: Playback, tasks: TaskRunner, seek_bar: SeekBar, buffering_label: QLabel,
        *, current_item: Callable[[], PlayItem | None], quiet: Callable[[], bool],
    ) -> None:
        """``quiet()`` is True when no buffering line may show (the offer or the end panel is up)."""
        super().__init__(seek_bar)
        self._playback, self._tasks = playback, tasks
        self._seek_bar, self._label = seek_bar, buffering_label
        self._current_item, self._quiet = current_item, quiet
        self._pending = False
        self.last: FileProgress | None = None
        self.vlc_buffering = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def reset(self) -> None:
        self.last = None

    def show_buffering(self) -> None:
        progress, item = self.last, self._current_item()
        starving = bool(
            progress and item and item.file.bitrate and progress.buffering_s
            and progress.buffered_ahead < item.file.bitrate / 8
        )  # fmt: skip
        if self._quiet() or not (self.vlc_buffering or starving):
            self._label.hide()
            return
        estimate = progress.buffering_s if progress else None
        self._label.setText(f"Buffering… about {max(1, round(estimate))} s" if estimate else "Buffering…")
        self._label.show()

    def _poll(self) -> None:
        item = self._current_item()
        if item is None or self._pending:
            return
        self._pending = True
        fraction = self._seek_bar.position
        self._tasks.run(
            lambda: self._playback.progress(item, fraction),
            on_done=lambda progress: self._on_progress(item, progress),
            on_error=lambda _error: setattr(self, "_pending", False),
        )

    def _on_progress(self, item: PlayItem, progress: FileProgress) -> None:
        self._pending = False
        if item is not self._current_item():
            return
        self.last = progress
        self._seek_bar.set_ranges(progress.downloaded, progress.playable)
        self.show_buffering()
