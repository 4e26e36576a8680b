"""The Library page on its own, over shelf values (no store): search, sort, badges, Continue watching and
double-clicking an episode — what the fan sees and what each gesture asks for."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.engine.types import TorrentSnapshot, TorrentState
from app.library import ShelfBook, ShelfBundle, ShelfEpisode
from app.ui.library.model import BADGES_ROLE
from app.ui.library.page import LibraryPage
from app.ui.tasks import SynchronousTaskRunner


def _episode(number: int, *, position: float = 0.0, watched: bool = False, played_at: float = 0.0,
             released_at: int = 0) -> ShelfEpisode:
    return ShelfEpisode(path=f"episodes/e{number}.mp4", title=f"Episode {number}", media_type="video/mp4",
                        duration_s=600.0, release_title="", released_at=released_at, playable=True,
                        position_s=position, watched=watched, played_at=played_at)


def _bundle(bundle_id: str, title: str, episodes: tuple[ShelfEpisode, ...], *, added_at: float = 0.0,
            backed: bool = False) -> ShelfBundle:
    return ShelfBundle(bundle_id=bundle_id, title=title, kind="series", creator="Kestrel", cover_url="",
                       torrent_id=bundle_id * 4, owned=True, backed=backed, added_at=added_at, episodes=episodes,
                       other_files=())


class Shelf:
    def __init__(self, bundles: list[ShelfBundle]) -> None:
        self.bundles = bundles

    def shelf(self, *, sync: bool = True) -> list[ShelfBundle]:
        return list(self.bundles)


def _snapshot(torrent_id: str, progress: float, state: TorrentState) -> TorrentSnapshot:
    fields = TorrentSnapshot.__dataclass_fields__
    values: dict[str, object] = {name: 0 for name in fields}
    values.update(id=torrent_id, name=torrent_id, state=state, progress=progress, paused=False, error=None,
                  save_path="/dl")
    return TorrentSnapshot(**{k: v for k, v in values.items() if k in fields})  # type: ignore[arg-type]


def test_search_sort_badges_continue_watching_and_double_click(qtbot: QtBot) -> None:
    started = _bundle("aaaa", "Lumen Drift", (_episode(1, watched=True, played_at=50.0),
                                              _episode(2, position=125.0, played_at=60.0),
                                              _episode(3, released_at=10)), added_at=1.0)
    new = _bundle("bbbb", "Harbor Lights", (_episode(1, watched=True, played_at=10.0),
                                            _episode(2, released_at=5)), added_at=3.0, backed=True)
    fresh = _bundle("cccc", "Paper Moons", (_episode(1),), added_at=2.0)
    page = LibraryPage(Shelf([started, new, fresh]), SynchronousTaskRunner())  # type: ignore[arg-type]
    qtbot.addWidget(page)
    page.refresh()
    assert page.titles() == ["Harbor Lights", "Lumen Drift", "Paper Moons"]

    page.search.setText("moon")
    assert page.titles() == ["Paper Moons"]
    page.search.setText("KESTREL")  # the creator matches too
    assert len(page.titles()) == 3
    page.search.clear()
    page.sort.setCurrentIndex(page.sort.findText("Sort: Last played"))
    assert page.titles() == ["Lumen Drift", "Harbor Lights", "Paper Moons"]
    page.sort.setCurrentIndex(page.sort.findText("Sort: Recently added"))
    assert page.titles() == ["Harbor Lights", "Paper Moons", "Lumen Drift"]

    page.apply_stats((_snapshot("aaaa" * 4, 0.4, TorrentState.DOWNLOADING),
                      _snapshot("bbbb" * 4, 1.0, TorrentState.SEEDING)))
    assert page.grid_index_of("Lumen Drift").data(BADGES_ROLE) == ["Downloading", "New episode"]  # episode 3
    assert page.grid_index_of("Harbor Lights").data(BADGES_ROLE) == ["Ready", "Backed", "New episode"]
    assert page.grid_index_of("Paper Moons").data(BADGES_ROLE) == []
    assert page.state_of("Lumen Drift") == "Downloading 40%"

    strip = page.continue_strip
    assert [strip.item(i).text() for i in range(strip.count())] == ["Lumen Drift\nEpisode 2 · 21%"]
    assert page.select_title("Lumen Drift")
    assert page.view.episode_rows() == [("Episode 1", "Watched ✓"), ("Episode 2", "2:05 of 10:00 (21%)"),
                                        ("Episode 3", "")]
    assert page.view.continue_button.text() == "▶ Continue “Episode 2” from 2:05"
    assert page.view.up_next_button.isHidden()  # up next is the one to continue
    asked: list[tuple[str, str]] = []
    page.play_requested.connect(lambda bundle_id, path: asked.append((bundle_id, path)))
    episodes = page.view.episodes
    page.show()
    qtbot.waitExposed(page)
    rect = episodes.visualItemRect(episodes.topLevelItem(2))
    qtbot.mouseClick(episodes.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(episodes.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    page.view.continue_button.click()
    assert asked == [("aaaa", "episodes/e3.mp4"), ("aaaa", "episodes/e2.mp4")]


def test_a_book_is_read_not_played_from_its_row_the_read_button_and_its_cover(qtbot: QtBot) -> None:
    books = (ShelfBook("guide.epub", "Guide", readable=True), ShelfBook("extra.pdf", "Extra", readable=False))
    book = replace(_bundle("dddd", "Small Stars", ()), books=books)
    locked = replace(_bundle("eeee", "Locked Book", ()), books=books[1:])
    page = LibraryPage(Shelf([book, locked]), SynchronousTaskRunner())  # type: ignore[arg-type]
    qtbot.addWidget(page)
    page.refresh()
    read: list[tuple[str, str]] = []
    played: list[tuple[str, str]] = []
    page.read_requested.connect(lambda bundle_id, path: read.append((bundle_id, path)))
    page.play_requested.connect(lambda bundle_id, path: played.append((bundle_id, path)))
    page.show()
    qtbot.waitExposed(page)
    assert page.select_title("Small Stars")
    view = page.view
    assert view.episode_rows() == [("Guide", "Read"), ("Extra", "Locked")]
    assert view.play_button.isHidden() and not view.read_button.isHidden()
    view.read_button.click()
    episodes = view.episodes
    for row in (0, 1):  # the locked one asks for nothing
        where = episodes.visualItemRect(episodes.topLevelItem(row)).center()
        qtbot.mouseClick(episodes.viewport(), Qt.MouseButton.LeftButton, pos=where)
        qtbot.mouseDClick(episodes.viewport(), Qt.MouseButton.LeftButton, pos=where)
    page.grid.activated.emit(page.grid_index_of("Small Stars"))  # double-click on the cover
    assert read == [("dddd", "guide.epub")] * 3 and played == []
    assert page.select_title("Locked Book")
    assert view.read_button.isHidden()
