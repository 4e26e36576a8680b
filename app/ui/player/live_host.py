"""The Live section: *Watch* on a live bundle → the broadcast plays in the app's VLC, with LIVE, the delay behind
the source and the share of bytes from peers updated every second.

``watch(bundle_id)`` sends the preparation to the task runner — ``load(bundle_id)`` reads the signed manifest and the
ticket (``app.ui.player.live_session.load_live_plan``), then the ``LiveWatchSession`` joins the swarm on a thread of
its own — and, back on the main thread, opens the session's loopback URL in a VLC player of the app's one libvlc
instance (its network cache is the app's small one: the stream server hands over blocks as they are played out).
A paid broadcast without a ticket shows the offer; the session still relays the stream. A one-second timer reads
``LiveWatchSession.figures`` (counters only) for the line under the picture. ``set_sharing(False)`` (a metered
connection, wired to the transfer automation) makes the running session relay nothing and the line say so.
Stopping and the window's close hook leave the swarm on a worker or, at shutdown, synchronously. Signals:
``show_requested`` (bring the Live tab forward), ``status`` (a sentence), ``offer_requested(bundle_id)``. Main
thread; the joining runs on the runner.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from app.player.errors import PlayerError
from app.player.playback import Playback
from app.player.video import PlaybackEvent, PlaybackFailed, VideoBackend
from app.ui.errors import user_message
from app.ui.player.live_session import LiveWatchPlan, LiveWatchSession
from app.ui.player.live_view import LiveView
from app.ui.tasks import TaskRunner

FIGURES_EVERY_MS = 1000
RELAYING_SENTENCE = "Your app still passes the broadcast on to other viewers while this page is open."


class LiveWatchHost(QObject):
    show_requested = Signal()
    status = Signal(str)
    offer_requested = Signal(str)
    _vlc_event = Signal(object)

    def __init__(
        self,
        view: LiveView,
        playback: Playback,
        video: VideoBackend,
        tasks: TaskRunner,
        load: Callable[[str], LiveWatchPlan],
        *,
        kept_root: Path | None = None,
        upload_bps: Callable[[], float | None] = lambda: None,  # the Settings' live upload cap, read at each Watch
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self._playback, self._tasks, self._load, self._kept_root = playback, tasks, load, kept_root
        self._upload_bps = upload_bps
        self.sharing = True  # False while the connection is metered and the Settings say not to upload there
        self.session: LiveWatchSession | None = None
        self._player = video.create_player(self._on_vlc_thread)
        self._vlc_event.connect(self._on_vlc_event)
        self._timer = QTimer(self)
        self._timer.setInterval(FIGURES_EVERY_MS)
        self._timer.timeout.connect(self._show_figures)
        self._generation = 0  # a newer Watch makes an older preparation's result stale
        view.offer_requested.connect(self.offer_requested)
        view.stop_requested.connect(self.stop)

    def watch(self, bundle_id: str) -> None:
        """Join the broadcast of the live bundle ``bundle_id`` and play it (or show its ticket offer)."""
        self.stop()
        self._generation += 1
        generation = self._generation
        self.view.show_title("Joining the broadcast…")
        self.show_requested.emit()
        load, playback, kept_root = self._load, self._playback, self._kept_root
        upload_bps, sharing = self._upload_bps(), self.sharing

        def prepare() -> LiveWatchSession:  # on a worker: store, keyring, joining the swarm
            session = LiveWatchSession(load(bundle_id), playback, upload_bps=upload_bps, sharing=sharing,
                                       kept_root=kept_root)  # fmt: skip
            session.start()
            return session

        self._tasks.run(prepare, lambda session: self._started(session, generation), self._failed)

    def _started(self, session: LiveWatchSession, generation: int) -> None:
        if generation != self._generation:  # the fan watched something else meanwhile
            self._tasks.run(session.stop)
            return
        self.session = session
        session.set_sharing(self.sharing)  # the connection may have changed while it joined
        session.set_upload_cap(self._upload_bps())  # and the Settings
        self.view.show_title(f"{session.plan.title} — live")
        self._timer.start()
        if session.url is None:
            self.view.show_offer(session.plan.offer, RELAYING_SENTENCE)
            return
        self.view.show_waiting()
        self._player.set_window(int(self.view.video.winId()))
        try:
            self._player.open(session.url, live=True)
        except PlayerError as error:
            self.status.emit(str(error))

    def set_sharing(self, allowed: bool) -> None:
        """Uploads allowed or not (``TransferAutomation.uploads_allowed_changed``: a metered connection): the
        running session relays nothing, or again, without rejoining; the line says so at once."""
        self.sharing = allowed
        if self.session is not None:
            self.session.set_sharing(allowed)  # never waits: handed to the viewer's loop
            self._show_figures()

    def set_upload_cap(self, upload_bps: float | None) -> None:
        """The Settings' live upload cap changed (``TransferAutomation.live_upload_changed``): the running session
        relays at most that much from now on, without rejoining (the next Watch reads the Settings anyway)."""
        if self.session is not None:
            self.session.set_upload_cap(upload_bps)  # never waits: handed to the viewer's loop

    def _failed(self, error: BaseException) -> None:
        self.view.show_ended(f"The broadcast could not be joined: {user_message(error)}")
        self.status.emit(user_message(error))

    def _show_figures(self) -> None:
        session = self.session
        if session is None:
            return
        figures = session.figures()
        self.view.show_figures(
            playing=figures.playing,
            delay_s=figures.delay_s,
            peer_share=figures.peer_share,
            relayed=figures.relayed,
            stalled_s=figures.stalled_s,
            sharing=self.sharing,  # the viewer follows within a loop turn (figures.sharing may lag it)
        )

    def stop(self) -> None:
        """Stop playing and leave the swarm (on a worker)."""
        self._generation += 1
        self._timer.stop()
        session, self.session = self.session, None
        if session is None:
            return
        self._player.stop()
        self.view.show_ended("You left the broadcast.")
        self._tasks.run(session.stop)

    def shutdown(self) -> None:
        """The window closes: free VLC, leave the swarm now."""
        self._timer.stop()
        session, self.session = self.session, None
        self._player.release()
        if session is not None:
            session.stop()

    def _on_vlc_thread(self, event: PlaybackEvent) -> None:
        # On a VLC thread: only hand the event over (queued to the main thread; libvlc is not re-entrant).
        with contextlib.suppress(RuntimeError):
            self._vlc_event.emit(event)

    def _on_vlc_event(self, event: PlaybackEvent) -> None:
        if isinstance(event, PlaybackFailed):
            self.status.emit("The live picture could not be shown.")
