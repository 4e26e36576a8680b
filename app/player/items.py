"""What the player is asked to play: one file of a bundle's torrent, and the offer to show when it is locked.

Frozen values built by the UI from the store's bundle detail and the engine's torrent id; safe on any thread.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.bundle import ManifestFile
from app.engine.types import TorrentId


class OfferKind(enum.Enum):
    BUY = "buy"
    PLEDGE = "pledge"


@dataclass(frozen=True, slots=True)
class Offer:
    """The bundle's paygate as the player shows it: *Buy* or *Pledge*, with its label (e.g. "Buy — $4.99")."""

    bundle_id: str
    kind: OfferKind
    label: str
    headline: str = "Enjoyed the pilot? Unlock the whole series."
    progress_text: str = ""  # a campaign's progress ("61,482 of 250,000 backers · 42 days left"), if any
    progress: float | None = None  # 0…1 of the campaign's goal


@dataclass(frozen=True, slots=True)
class SubtitleFile:
    """A file that goes with the one played — a subtitle file beside a video, or an album's cover: its torrent file
    index, manifest entry and a label."""

    file_index: int
    file: ManifestFile
    label: str  # what the subtitle menu shows ("English")


@dataclass(frozen=True, slots=True)
class PlayItem:
    """One file of a torrent to play: where it is in the torrent, and what the signed manifest says of it."""

    torrent_id: TorrentId
    file_index: int
    file: ManifestFile
    title: str
    bundle_id: str | None = None
    bundle_title: str = ""
    subtitles: tuple[SubtitleFile, ...] = ()
    artwork: SubtitleFile | None = None  # the bundle's picture (an album's cover.png) shown while music plays

    @property
    def heading(self) -> str:
        """What the player shows above the picture: the bundle and the file."""
        return f"{self.bundle_title} — {self.title}" if self.bundle_title else self.title

    @property
    def stream_id(self) -> str:
        """The file's id on the stream server (URL-safe)."""
        return f"{self.torrent_id[:20]}-{self.file_index}"

    @property
    def resume_key(self) -> str:
        """Where the playback position of this file is remembered."""
        return f"{self.bundle_id or self.torrent_id}/{self.file.path}"
