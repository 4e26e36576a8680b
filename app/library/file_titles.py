"""How a bundle's files read to a fan: titles instead of paths, in release order.

A file that came with a release reads as the release's title ("Pilot: First Light", "Episode 1: The Long
Orbit") and files are listed in the order of the releases (the pilot first); a subtitle file follows its video
("Pilot: First Light — subtitles (English)"); any other file reads as its name made readable ("01 - Low Tide
Signal", "Cover"). Pure; any thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Protocol, TypeVar

from app.library.companion_files import SUBTITLE_SUFFIXES, language_name


class ListedFile(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def release(self) -> str | None: ...


class ListedRelease(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...


def readable_title(path: str) -> str:
    """A file's name as a title: "01 - Low Tide Signal.mp3" stays as written, "episode-01.mp4" reads "Episode 01"."""
    stem = PurePosixPath(path).name.rsplit(".", 1)[0]
    if " " in stem:
        return stem
    words = stem.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else stem


F = TypeVar("F", bound=ListedFile)


def titled_in_release_order(files: Sequence[F], releases: Sequence[ListedRelease]) -> list[tuple[str, F]]:
    """(title, file) for every file, in the releases' order; subtitle files right after their video."""
    rank = {release.id: n for n, release in enumerate(releases)}
    release_title = {release.id: release.title for release in releases}
    videos = {str(PurePosixPath(f.path).with_suffix("")): f for f in files
              if not f.path.lower().endswith(SUBTITLE_SUFFIXES)}

    def video_of(entry: F) -> F | None:
        if not entry.path.lower().endswith(SUBTITLE_SUFFIXES):
            return None
        stem = str(PurePosixPath(entry.path).with_suffix(""))
        while "." in PurePosixPath(stem).name:
            stem = stem.rsplit(".", 1)[0]
            if stem in videos:
                return videos[stem]
        return None

    def title_of(entry: F) -> str:
        return release_title.get(entry.release or "") or readable_title(entry.path)

    def order(entry: F) -> tuple[int, str, int, str]:
        owner = video_of(entry) or entry
        return (rank.get(owner.release or "", len(rank)), owner.path, 0 if owner is entry else 1, entry.path)

    titled = []
    for entry in sorted(files, key=order):
        owner = video_of(entry)
        if owner is None:
            titled.append((title_of(entry), entry))
        else:
            suffixes = PurePosixPath(entry.path).suffixes
            language = suffixes[-2][1:] if len(suffixes) > 1 else ""
            titled.append((f"{title_of(owner)} — subtitles ({language_name(language)})", entry))
    return titled
