"""The fan's new-release notice: a bar that says "Episode 3 of Lumen Drift is out" and, for owners and backers who
chose auto-download (``auto_download_on``: the Settings page's choice, read each time a release is found), starts
fetching it; with the choice off the release is only told.

``check_now()`` runs the Qt-free ``ReleaseWatcher.check`` (via the ``check`` verb) on the task runner's workers — at
launch, when the Library opens, and every ``interval_ms`` (default three hours) from a ``QTimer``; auto-downloads
also run on workers. Results come back on the main thread; a failed check stays quiet until the next one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.library.release_notices import ReleaseNotice
from app.ui.tasks import TaskRunner

THREE_HOURS_MS = 3 * 3600 * 1000


class ReleaseNoticeBar(QWidget):
    released = Signal(object)  # a ReleaseNotice, once per new release

    def __init__(
        self,
        runner: TaskRunner,
        check: Callable[[], list[ReleaseNotice]],
        auto_download: Callable[[ReleaseNotice], object] | None = None,
        *,
        auto_download_on: Callable[[], bool] = lambda: True,
        interval_ms: int = THREE_HOURS_MS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._check = check
        self._auto_download = auto_download
        self._auto_download_on = auto_download_on  # the fan's setting, read when a release is found
        self.text = QLabel()
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.dismiss)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check_now)
        self.timer.start()
        self.hide()

    def check_now(self) -> None:
        self._runner.run(self._check, self._show, lambda _exc: None)

    def _show(self, notices: list[ReleaseNotice]) -> None:
        if not notices:
            return
        lines = [n.text for n in notices]
        if self._auto_download is not None and self._auto_download_on():
            lines = [f"{line} — downloading" for line in lines]
            for notice in notices:
                self._runner.run(functools.partial(self._auto_download, notice), None, lambda _exc: None)
        self.text.setText("\n".join(lines))
        self.show()
        for notice in notices:
            self.released.emit(notice)
