"""The Player section: the player engineer's ``PlayerPage`` and the verbs that hand it a bundle to play.

*Play* (a bundle's page, the Library, *Continue watching*) and *Watch pilot* are queries: a worker asks the
``Library`` what to play (``Library.what_to_play``: the index's torrent id, the verified manifest, the license,
the engine's file list — the bundle is added first only if it was never added here), and the page starts on the
main thread. Built by ``app.ui.assembly`` with explicit dependencies; it knows no other section and not the shell.
Signals: ``show_requested`` (bring the Player tab forward), ``status`` (a sentence for the status bar),
``offer_requested(bundle_id)`` (the offer's *Buy*/*Pledge*), ``library_changed`` (playing added a bundle).

Main thread; the preparation runs on the task runner.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.library import Library, PlayPlan
from app.ui.errors import user_message
from app.ui.player.page import PlayerPage
from app.ui.tasks import TaskRunner


class PlayerHost(QObject):
    show_requested = Signal()
    status = Signal(str)
    offer_requested = Signal(str)  # bundle id
    library_changed = Signal()

    def __init__(self, page: PlayerPage, library: Library, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self._library = library
        self._tasks = tasks
        page.offer_requested.connect(self.offer_requested)
        page.playback_failed.connect(self.status)

    def play(self, bundle_id: str, start_path: str | None = None) -> None:
        """Play everything of the bundle this fan may play, from ``start_path`` (its saved position) or the first."""
        self._prepare(bundle_id, pilot_only=False, start_path=start_path)

    def play_pilot(self, bundle_id: str) -> None:
        self._prepare(bundle_id, pilot_only=True, start_path=None)

    def _prepare(self, bundle_id: str, *, pilot_only: bool, start_path: str | None) -> None:
        library = self._library
        self._tasks.run(lambda: library.what_to_play(bundle_id, pilot_only=pilot_only, start_path=start_path),
                        self._start, lambda exc: self.status.emit(user_message(exc)))

    def _start(self, plan: PlayPlan) -> None:
        if plan.added:
            self.library_changed.emit()
        if not plan.items:
            self.status.emit("There is nothing to play in this bundle.")
            return
        self.show_requested.emit()
        if len(plan.items) == 1:
            self.page.play_bundle_file(plan.items[0], license=plan.license, offer=plan.offer)
        else:
            self.page.play_playlist(plan.items, license=plan.license, offer=plan.offer, start_index=plan.start_index)

    def shutdown(self) -> None:
        self.page.shutdown()
