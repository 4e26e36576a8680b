"""The player page: the video (or an album's cover), play/pause, the seek bar with downloaded and playable
ranges (and a legend), time, mute, volume, speed, subtitles, a true fullscreen, a *Buffering… about N s* line, a
playlist for albums, the paygate, and *Watch again* / *Up next* at a file's end.

Keys (on the page and in fullscreen): Space play/pause, ←/→ seek 10 s, ↑/↓ volume, M mute, F fullscreen, Esc
leaves fullscreen.

The host (the main window) calls ``play_bundle_file`` or ``play_playlist`` and listens to ``offer_requested``.
VLC reports on its own threads; ``_on_vlc_thread`` only emits ``_vlc_event``, which Qt queues to the main
thread (libvlc is not re-entrant). Range and rate queries to the engine run on the task runner, never here.
Positions are remembered on pause, on switching files and on shutdown; a file starts where it was left.
Main thread only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.bundle import License
from app.player.errors import LicenseRequiredError, PlayerError
from app.player.items import Offer, PlayItem
from app.player.playback import Playback
from app.player.resume import ResumePositions
from app.player.video import (
    Buffering,
    EndReached,
    LengthChanged,
    Paused,
    PlaybackEvent,
    PlaybackFailed,
    Playing,
    TimeChanged,
    VideoBackend,
)
from app.ui.player.controls import SPEEDS, ControlsBar
from app.ui.player.fullscreen import FullscreenMode
from app.ui.player.offer_panel import OfferPanel
from app.ui.player.progress_poller import ProgressPoller
from app.ui.player.side_files import SideFiles
from app.ui.tasks import TaskRunner

_VIDEO, _COVER, _OFFER = 0, 1, 2
# An end reported this far before the known length is a broken stream, not the end of the file.
_EARLY_END_MS = 5_000
SEEK_STEP_MS = 10_000
VOLUME_STEP = 5
UP_NEXT_AFTER_MS = 5_000  # a video's end shows *Up next* this long before the next one starts by itself


class PlayerPage(QWidget):
    """Plays bundle files streamed by ``Playback``; shows the bundle's offer where the free part ends."""

    offer_requested = Signal(str)
    playback_failed = Signal(str)
    _vlc_event = Signal(object)

    def __init__(
        self,
        playback: Playback,
        backend: VideoBackend,
        resume: ResumePositions,
        tasks: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._playback, self._resume, self._tasks = playback, resume, tasks
        self._items: list[PlayItem] = []
        self._index = -1
        self._license: License | None = None
        self._offer: Offer | None = None
        self._time_ms = self._length_ms = 0
        self._ended = False
        self._up_next = QTimer(self)
        self._up_next.setSingleShot(True)
        self._up_next.setInterval(UP_NEXT_AFTER_MS)
        self._up_next.timeout.connect(self.play_next)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._key_actions: dict[Qt.Key, Callable[[], None]] = {
            Qt.Key.Key_Space: self.toggle_pause,
            Qt.Key.Key_Left: lambda: self.seek_by(-SEEK_STEP_MS),
            Qt.Key.Key_Right: lambda: self.seek_by(SEEK_STEP_MS),
            Qt.Key.Key_Up: lambda: self.change_volume(VOLUME_STEP),
            Qt.Key.Key_Down: lambda: self.change_volume(-VOLUME_STEP),
            Qt.Key.Key_M: lambda: self.set_muted(not self.muted),
            Qt.Key.Key_F: self.toggle_fullscreen,
        }
        self._build()
        self._vlc_event.connect(self._on_vlc_event)
        self._player = backend.create_player(self._on_vlc_thread)
        self._side = SideFiles(self._player, playback, tasks, self.controls)
        self._player.set_volume(self.volume.value())
        self._fullscreen = FullscreenMode(self, (self.title_label, self.playlist, self.buffering_label), self.controls)
        self._progress = ProgressPoller(playback, tasks, self.seek_bar, self.buffering_label,
                                     current_item=lambda: self.current_item,
                                     quiet=lambda: self.showing_offer)

    def _build(self) -> None:
        self.video = QFrame()
        self.video.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)  # VLC draws into its window id
        self.video.setStyleSheet("background: black;")
        self.cover = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.cover.setStyleSheet("background: #111111;")
        self.offer_panel = OfferPanel()
        self.offer_panel.offer_requested.connect(self.offer_requested)
        self.offer_panel.watch_again_requested.connect(self.watch_again)
        self.offer_panel.next_requested.connect(self.play_next)
        self.stack = QStackedWidget()
        pages: tuple[QWidget, ...] = (self.video, self.cover, self.offer_panel)
        for page in pages:
            self.stack.addWidget(page)
        self.playlist = QListWidget()
        self.playlist.setMaximumWidth(260)
        self.playlist.itemActivated.connect(lambda item: self._start(self.playlist.row(item)))
        self.controls = ControlsBar()
        self.play_button, self.seek_bar = self.controls.play_button, self.controls.seek_bar
        self.time_label, self.volume = self.controls.time_label, self.controls.volume
        self.play_button.clicked.connect(self.toggle_pause)
        self.seek_bar.seek_requested.connect(self.seek)
        self.volume.valueChanged.connect(self._on_volume_changed)
        self.controls.fullscreen_button.clicked.connect(self.toggle_fullscreen)
        self.controls.mute_button.toggled.connect(self.set_muted)
        self.controls.speed.currentIndexChanged.connect(lambda i: self._player.set_rate(SPEEDS[i]))
        for child in self.controls.findChildren(QWidget):
            child.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the page keeps the keys (Space is not "click this")
        self.title_label = QLabel("Nothing playing — press Play or Watch pilot on a bundle in the Store or Library.")
        self.buffering_label = QLabel()
        self.buffering_label.hide()
        body = QHBoxLayout()
        body.addWidget(self.stack, 1)
        body.addWidget(self.playlist)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addLayout(body, 1)
        layout.addWidget(self.buffering_label)
        layout.addWidget(self.controls)
        self.playlist.hide()

    # --- public API for the host ---

    def play_bundle_file(self, item: PlayItem, *, license: License | None = None, offer: Offer | None = None) -> None:
        """Play one file of a bundle (the pilot, an episode, a film)."""
        self.play_playlist([item], license=license, offer=offer)

    def play_playlist(
        self,
        items: Sequence[PlayItem],
        *,
        license: License | None = None,
        offer: Offer | None = None,
        cover: bytes | None = None,
        start_index: int = 0,
    ) -> None:
        """Play ``items`` in order (an album: with its cover), from ``start_index``."""
        self._leave_current()
        self._items, self._license, self._offer = list(items), license, offer
        self.playlist.clear()
        self.playlist.addItems([item.title for item in self._items])
        self.playlist.setVisible(len(self._items) > 1)
        self._show_cover(cover)
        self._start(start_index)

    @property
    def current_item(self) -> PlayItem | None:
        return self._items[self._index] if 0 <= self._index < len(self._items) else None

    @property
    def showing_offer(self) -> bool:
        return self.stack.currentIndex() == _OFFER

    @property
    def time_ms(self) -> int:
        return self._time_ms

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def fullscreen(self) -> bool:
        return self._fullscreen.active

    @property
    def fullscreen_mode(self) -> FullscreenMode:
        return self._fullscreen

    @property
    def subtitle_labels(self) -> list[str]:
        return list(self._side.subtitle_labels)

    def toggle_pause(self) -> None:
        if self.current_item is None:
            return
        if self._ended:
            self.watch_again()
        elif self._player.is_playing:
            self._player.pause()
        else:
            self._player.play()

    def seek(self, fraction: float) -> None:
        if self.current_item is None:
            return
        if self._ended:  # VLC ignores seeks once a file has ended: play it again from there
            self._start(self._index, start_s=fraction * self._length_ms / 1000)
        elif not self.showing_offer:
            self._player.seek_fraction(fraction)

    def seek_by(self, delta_ms: int) -> None:
        if self.current_item is not None and not self._ended and not self.showing_offer:
            target = min(max(self._time_ms + delta_ms, 0), max(self._length_ms - 500, 0))
            self._player.seek_ms(target)
            self._time_ms = target
            self._show_time()

    def watch_again(self) -> None:
        """Play the current (or last) file again from its start."""
        if 0 <= self._index < len(self._items):
            self._start(self._index, start_s=0.0)

    def play_next(self) -> None:
        self._up_next.stop()
        if self._index + 1 < len(self._items):
            self._start(self._index + 1)

    def set_muted(self, muted: bool) -> None:
        self._player.set_muted(muted)
        self.controls.mute_button.setChecked(muted)
        self.controls.mute_button.setText("Unmute" if muted else "Mute")

    @property
    def muted(self) -> bool:
        return self.controls.mute_button.isChecked()

    def change_volume(self, delta: int) -> None:
        self.volume.setValue(min(max(self.volume.value() + delta, 0), 100))

    def choose_subtitle(self, number: int) -> None:
        """Show subtitle file ``number`` (in the menu's order), or none with -1."""
        self._side.choose(number)

    def toggle_fullscreen(self) -> None:
        """The picture alone on the whole screen (controls on mouse move), or back into the window."""
        if self._fullscreen.active:
            self._fullscreen.leave()
        else:
            self._fullscreen.enter()
        self.setFocus()

    def handle_key(self, event: QKeyEvent) -> bool:
        """The player's keys; True when the key was one of them."""
        key = event.key()
        if key == Qt.Key.Key_Escape and self.fullscreen:
            self.toggle_fullscreen()
            return True
        action = self._key_actions.get(Qt.Key(key)) if key != Qt.Key.Key_Escape else None
        if action is not None:
            action()
        return action is not None

    def shutdown(self) -> None:
        """Remember where the user is, stop, and free the VLC player (the app is closing)."""
        if self.fullscreen:
            self.toggle_fullscreen()
        # _leave_current lifts the throttle before the engine saves resume data: a per-torrent limit left in
        # place would be saved with the other torrents and keep them slow after a restart.
        self._leave_current()
        self._player.release()

    # --- internals ---

    def _start(self, index: int, *, start_s: float | None = None) -> None:
        self._leave_current()
        self._up_next.stop()
        if not 0 <= index < len(self._items):
            return
        self._index = index
        item = self._items[index]
        self.playlist.setCurrentRow(index)
        self.title_label.setText(item.heading)
        self._time_ms, self._length_ms = 0, int((item.file.duration_s or 0) * 1000)
        self._progress.reset()
        self._ended = False
        try:
            url = self._playback.stream_url(item, self._license)
        except LicenseRequiredError as error:
            self._show_offer(str(error))
            return
        audio = item.file.media_type.startswith("audio/")
        self.stack.setCurrentIndex(_COVER if audio else _VIDEO)
        if audio and item.artwork is not None and self.cover.pixmap().isNull():
            self._side.fetch_artwork(item, lambda data: self._show_cover(data) if item in self._items else None)
        self._player.set_window(int(self.video.winId()))
        try:
            self._player.open(url, start_s=self._resume.position(item.resume_key) if start_s is None else start_s)
        except PlayerError as error:
            self.playback_failed.emit(str(error))
            return
        self._player.set_muted(self.muted)
        self._player.set_rate(SPEEDS[self.controls.speed.currentIndex()])
        self._side.add_subtitles(item, self._license)
        # Directly, not on the task runner: pool threads could run it before the previous file's stop_watching,
        # and libtorrent's per-torrent limit setters only post a message (they never block).
        self._playback.start_watching(item)
        self._progress.start()

    def _leave_current(self) -> None:
        item = self.current_item
        if item is None:
            return
        self._remember_position()
        self._progress.stop()
        self._player.stop()
        self._playback.release(item)
        self._playback.stop_watching()
        self._index = -1

    def _remember_position(self) -> None:
        item = self.current_item
        if item is not None and (not item.file.locked or self._license is not None):
            self._resume.remember(item.resume_key, self._time_ms / 1000, self._length_ms / 1000 or None)

    def _on_volume_changed(self, value: int) -> None:
        self._player.set_volume(value)

    def _show_cover(self, cover: bytes | None) -> None:
        pixmap = QPixmap()
        if cover:
            pixmap.loadFromData(cover)
        self.cover.setPixmap(pixmap.scaled(480, 480, Qt.AspectRatioMode.KeepAspectRatio) if cover else pixmap)
        if not cover:
            item = self.current_item or (self._items[0] if self._items else None)
            self.cover.setText(f"♪\n{item.bundle_title or item.title}" if item else "♪")

    def _show_offer(self, reason: str) -> None:
        self._progress.stop()
        self.buffering_label.hide()
        self.offer_panel.show_offer(self._offer, reason)
        self.stack.setCurrentIndex(_OFFER)

    def _on_vlc_thread(self, event: PlaybackEvent) -> None:
        # On a VLC thread: only hand the event over (queued to the main thread).
        with contextlib.suppress(RuntimeError):  # the page was deleted before VLC fell silent
            self._vlc_event.emit(event)

    def _on_vlc_event(self, event: PlaybackEvent) -> None:
        if isinstance(event, Playing):
            self.play_button.setText("Pause")
            self._progress.vlc_buffering = False
        elif isinstance(event, Paused):
            self.play_button.setText("Play")
            self._remember_position()
        elif isinstance(event, Buffering):
            self._progress.vlc_buffering = event.percent < 100
        elif isinstance(event, TimeChanged):
            self._time_ms = event.time_ms
        elif isinstance(event, LengthChanged) and event.length_ms > 0:
            self._length_ms = event.length_ms
        elif isinstance(event, EndReached):
            self._on_end_reached()
        elif isinstance(event, PlaybackFailed):
            self.playback_failed.emit(event.message)
        self._show_time()

    def _on_end_reached(self) -> None:
        if self._length_ms > 0 and self._time_ms < self._length_ms - _EARLY_END_MS:
            # VLC ends a stream whose body was cut (the swarm gave nothing for the server's read timeout):
            # that is not the end of the pilot, so no offer — say what happened and keep the position.
            self._remember_position()
            self.play_button.setText("Play")
            self.playback_failed.emit("Playback stopped: no peer sent the rest of this file. Try again later.")
            return
        self._time_ms = self._length_ms
        self._remember_position()
        self._ended = True
        item = self.current_item
        has_next = self._index + 1 < len(self._items)
        if has_next and item is not None and item.file.media_type.startswith("audio/"):
            QTimer.singleShot(0, self.play_next)  # an album plays on
            return
        self._playback.stop_watching()
        self.play_button.setText("Play")
        if self._offer is not None and item is not None and not item.file.locked and not has_next:
            self._progress.stop()
            self.offer_panel.show_offer(self._offer, "The free part has ended. Unlock the rest to keep watching.",
                                        can_watch_again=True)
        elif item is not None:
            following = self._items[self._index + 1].title if has_next else None
            self.offer_panel.show_end(item.heading, following)
            if has_next:
                self._up_next.start()
        self.stack.setCurrentIndex(_OFFER)
        self.buffering_label.hide()

    def _show_time(self) -> None:
        self.controls.show_time(self._time_ms, self._length_ms)
        self._progress.show_buffering()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self.handle_key(event):
            super().keyPressEvent(event)
