"""The fan's shelf: every bundle in the library as the Library page shows it — pure values built from the index,
the licenses and the watch state.

A bundle is on the shelf when the fan holds a license for it, watched its pilot (it is in the index), or backed
its campaign (from this app: the index says so; anywhere else: the store's list of the account's pledges).
Each ``ShelfBundle`` lists its files in release order as ``ShelfEpisode``s (title, not path: the release's title
when the release holds that one episode, else the file's name as a title) with their progress and watched state;
``continue_episode`` is the one started most recently and not finished, ``up_next`` the first unwatched one after
the last watched; ``new_episode`` says a release newer than anything the fan watched is waiting. Pure; built on a
worker by ``Library.shelf``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.bundle import License, Manifest
from app.library.fan_folders import BOOK_TYPES
from app.library.index import LibraryRecord
from app.library.playlist import file_title, is_media, may_play, release_order
from app.player.resume import WatchState


@dataclass(frozen=True, slots=True)
class ShelfEpisode:
    path: str
    title: str
    media_type: str
    duration_s: float | None
    release_title: str
    released_at: int
    playable: bool  # free, or opened by one of the fan's licenses
    position_s: float
    watched: bool
    played_at: float

    @property
    def progress(self) -> float:
        """0 … 1: watched is 1, a started file its share, else 0."""
        if self.watched:
            return 1.0
        if self.duration_s and self.position_s:
            return min(1.0, self.position_s / self.duration_s)
        return 0.0

    @property
    def started(self) -> bool:
        return self.position_s > 0 and not self.watched


@dataclass(frozen=True, slots=True)
class ShelfBook:
    """A book of the bundle (EPUB, PDF …): it opens in the system's reader, not in the player."""

    path: str
    title: str
    readable: bool  # free, or opened by one of the fan's licenses


@dataclass(frozen=True, slots=True)
class ShelfBundle:
    bundle_id: str
    title: str
    kind: str
    creator: str
    cover_url: str
    torrent_id: str | None  # None until it was added on this computer
    owned: bool  # holds a license
    backed: bool
    added_at: float
    episodes: tuple[ShelfEpisode, ...]  # media files in release order ("tracks" for music)
    other_files: tuple[str, ...]  # archives, documents … by title (neither media nor books)
    books: tuple[ShelfBook, ...] = ()  # in release order

    @property
    def first_readable_book(self) -> ShelfBook | None:
        return next((b for b in self.books if b.readable), None)

    @property
    def last_played_at(self) -> float:
        return max((e.played_at for e in self.episodes), default=0.0)

    @property
    def continue_episode(self) -> ShelfEpisode | None:
        started = [e for e in self.episodes if e.started and e.playable]
        return max(started, key=lambda e: e.played_at) if started else None

    @property
    def up_next(self) -> ShelfEpisode | None:
        watched = [i for i, e in enumerate(self.episodes) if e.watched]
        start = watched[-1] + 1 if watched else 0
        return next((e for e in self.episodes[start:] if not e.watched and e.playable), None)

    @property
    def new_episode(self) -> bool:
        """A playable, unwatched file from a release newer than every file the fan watched."""
        watched = [e.released_at for e in self.episodes if e.watched]
        if not watched:
            return False
        newest_watched = max(watched)
        return any(e.playable and not e.watched and e.released_at > newest_watched for e in self.episodes)


def shelf_bundle(
    bundle_id: str,
    record: LibraryRecord | None,
    manifest: Manifest | None,
    license: License | None,
    watch: WatchState,
    *,
    title: str,
    creator: str = "",
    kind: str = "",
    cover_url: str = "",
    owned: bool,
    backed: bool = False,
) -> ShelfBundle:
    episodes: list[ShelfEpisode] = []
    others: list[str] = []
    books: list[ShelfBook] = []
    if manifest is not None:
        releases = {r.id: r for r in manifest.releases}
        media_per_release: dict[str, int] = {}
        for entry in manifest.files:
            if is_media(entry) and entry.release:
                media_per_release[entry.release] = media_per_release.get(entry.release, 0) + 1
        for entry in release_order(manifest):
            if entry.media_type in BOOK_TYPES:
                books.append(ShelfBook(entry.path, file_title(entry.path), may_play(entry, license)))
                continue
            if not is_media(entry):
                if not entry.media_type.startswith("image/"):
                    others.append(file_title(entry.path))
                continue
            release = releases.get(entry.release or "")
            key = f"{bundle_id}/{entry.path}"  # PlayItem.resume_key
            # A release of one episode names it ("Episode 1: The Signal"); otherwise the file's name does.
            named = release is not None and media_per_release.get(release.id) == 1
            episodes.append(ShelfEpisode(
                path=entry.path, title=release.title if named and release else file_title(entry.path),
                media_type=entry.media_type,
                duration_s=entry.duration_s, release_title=release.title if release else "",
                released_at=release.released_at if release else 0, playable=may_play(entry, license),
                position_s=watch.positions.get(key, 0.0), watched=key in watch.watched,
                played_at=watch.played_at.get(key, 0.0)))
    return ShelfBundle(
        bundle_id=bundle_id, title=title, kind=kind or (manifest.kind.value if manifest else ""),
        creator=creator or (manifest.creator if manifest else ""), cover_url=cover_url,
        torrent_id=record.torrent_id if record else None, owned=owned,
        backed=backed or bool(record and record.backed),
        added_at=record.added_at if record else 0.0, episodes=tuple(episodes), other_files=tuple(others),
        books=tuple(books))
