"""The files that go with the one playing: its subtitle files (added to VLC, chosen from the menu) and, for
music, the bundle's cover read from the torrent when the host gave none.

Main thread; the cover is read on the task runner.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox

from app.bundle import License
from app.player.items import PlayItem
from app.player.playback import Playback
from app.player.video import VideoPlayer
from app.ui.player.controls import ControlsBar
from app.ui.tasks import TaskRunner


class SideFiles:
    def __init__(self, player: VideoPlayer, playback: Playback, tasks: TaskRunner, controls: ControlsBar) -> None:
        self._player, self._playback, self._tasks, self._controls = player, playback, tasks, controls
        self.subtitle_labels: list[str] = []
        controls.subtitles.currentIndexChanged.connect(self._on_subtitle_chosen)

    @property
    def menu(self) -> QComboBox:
        return self._controls.subtitles

    def add_subtitles(self, item: PlayItem, license: License | None) -> None:
        """Give VLC the item's subtitle files (the first one shown) and list them in the menu."""
        urls = self._playback.subtitle_urls(item, license) if item.subtitles else []
        for number, (_label, url) in enumerate(urls):
            self._player.add_subtitle(url, select=number == 0)
        self.subtitle_labels = [label for label, _url in urls]
        self._controls.show_subtitles(self.subtitle_labels)

    def choose(self, number: int) -> None:
        """Show subtitle file ``number`` (in the menu's order), or none with -1."""
        self.menu.setCurrentIndex(number + 1)

    def _on_subtitle_chosen(self, menu_index: int) -> None:
        # VLC lists the files' tracks once they are loaded, in the order they were added.
        number = int(self.menu.itemData(menu_index)) if menu_index >= 0 else -1
        tracks = self._player.subtitle_tracks()
        if number < 0:
            self._player.set_subtitle_track(-1)
        elif number < len(tracks):
            self._player.set_subtitle_track(tracks[number][0])

    def fetch_artwork(self, item: PlayItem, show: Callable[[bytes], None]) -> None:
        """Read the item's artwork from the torrent on a worker and ``show`` it."""

        def on_done(data: bytes | None) -> None:
            if data:
                show(data)

        self._tasks.run(lambda: self._playback.read_artwork(item), on_done, lambda _error: None)
