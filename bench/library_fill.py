"""A Library of N bundles for bench/ui_lag.py: shelf values tied to the bench's torrents, each with its own cover.

``FilledLibrary`` stands in for ``app.library.Library`` where the Library page reads its shelf (``shelf``): N
series, each with eight episodes (some watched, one started — so *Continue watching* is full), torrent ids equal
to the bench's torrents (every stats batch touches every card), and a distinct PNG cover per bundle served by
``cover_png`` as the store would (the page's cover cache decodes them on its workers).
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage, QPainter

from app.library import ShelfBundle, ShelfEpisode

EPISODES = 8


def cover_png(number: int) -> bytes:
    """A 300x400 PNG of its own colour with its number drawn on it."""
    image = QImage(300, 400, QImage.Format.Format_RGB32)
    image.fill(QColor.fromHsv(number * 37 % 360, 160, 200))
    painter = QPainter(image)
    painter.drawText(20, 200, f"Bundle {number}")
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def make_shelf(torrent_ids: list[str]) -> list[ShelfBundle]:
    shelf = []
    for number, torrent_id in enumerate(torrent_ids):
        watched = number % (EPISODES + 1)
        episodes = tuple(
            ShelfEpisode(path=f"episodes/episode-{e:02d}.mp4", title=f"Episode {e}", media_type="video/mp4",
                         duration_s=1200.0, release_title="", released_at=e, playable=True,
                         position_s=300.0 if e == watched + 1 else 0.0, watched=e <= watched,
                         played_at=float(number * 10 + e) if e <= watched + 1 else 0.0)
            for e in range(1, EPISODES + 1))
        shelf.append(ShelfBundle(bundle_id=f"bundle-{number:04d}", title=f"Series {number:04d}", kind="series",
                                 creator=f"Creator {number % 50}", cover_url=f"http://store.invalid/covers/{number}",
                                 torrent_id=torrent_id, owned=True, backed=number % 7 == 0, added_at=float(number),
                                 episodes=episodes, other_files=()))
    return shelf


class FilledLibrary:
    """What the Library page asks of ``app.library.Library`` here: its shelf (on a worker) — empty until ``fill``,
    so the baseline is measured with an empty Library and the filling is a phase of its own."""

    def __init__(self, shelf: list[ShelfBundle]) -> None:
        self.size = len(shelf)
        self._shelf = shelf
        self._filled = False

    def fill(self) -> None:
        self._filled = True

    def shelf(self, *, sync: bool = True) -> list[ShelfBundle]:
        del sync  # no store to ask here
        return list(self._shelf) if self._filled else []
