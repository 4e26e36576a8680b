"""The fan's own media folders — Music, Videos, Books — where playable copies of owned bundles go.

The platform's places (platformdirs: XDG user dirs on Linux; Books is a folder in Documents, as no platform
names one). ``BUNDLECAST_HOME`` puts them under that folder instead (``Music``, ``Videos``, ``Books``), like
every other path of the app (``app.paths``), so tests never write into a real home.

Pure; any thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs


@dataclass(frozen=True, slots=True)
class FanFolders:
    music: Path
    videos: Path
    books: Path

    @classmethod
    def from_environment(cls) -> FanFolders:
        home = os.environ.get("BUNDLECAST_HOME")
        if home:
            root = Path(home).expanduser()
            return cls(music=root / "Music", videos=root / "Videos", books=root / "Books")
        return cls(
            music=Path(platformdirs.user_music_dir()),
            videos=Path(platformdirs.user_videos_dir()),
            books=Path(platformdirs.user_documents_dir()) / "Books",
        )

    def folder_for(self, media_type: str) -> Path | None:
        """Where a file of that media type belongs; None for what is neither music, video nor a book."""
        if media_type.startswith("audio/"):
            return self.music
        if media_type.startswith("video/"):
            return self.videos
        if media_type in BOOK_TYPES:
            return self.books
        return None

    def all(self) -> tuple[Path, ...]:
        return (self.music, self.videos, self.books)


BOOK_TYPES = frozenset({
    "application/epub+zip", "application/pdf", "application/x-mobipocket-ebook", "application/vnd.comicbook+zip",
})
