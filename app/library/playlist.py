"""What to play: a bundle's media files in release order, as the player's items, with the license and the offer.

``release_order`` sorts a manifest's files the way a fan expects them — by the release that added them (the
original bundle first), the free preview (a pilot, a free track) before the paid files of the same release, then
by name with numbers read as numbers (episode 2 before episode 10). ``plan_items`` maps those files to the
torrent's file indices and keeps the ones this fan may play; ``offer_for`` is the paygate the player shows where
the free part ends. Pure; any thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.bundle import GateType, License, Manifest, ManifestFile
from app.engine.types import TorrentId
from app.library.companion_files import artwork_for, subtitles_for
from app.library.money import format_price
from app.player.items import Offer, OfferKind, PlayItem

_NUMBER = re.compile(r"(\d+)")


@dataclass(frozen=True, slots=True)
class PlayPlan:
    """What the player is handed: the items, the license that opens the locked ones, the offer, where to start."""

    items: tuple[PlayItem, ...]
    license: License | None
    offer: Offer | None
    start_index: int = 0
    added: bool = False  # the bundle had to be added to the engine first


def is_media(entry: ManifestFile) -> bool:
    return entry.media_type.startswith(("video/", "audio/"))


def _natural(path: str) -> tuple[object, ...]:
    return tuple(int(part) if part.isdigit() else part.casefold() for part in _NUMBER.split(path))


def release_order(manifest: Manifest) -> list[ManifestFile]:
    """The manifest's files in the order a fan reads them (see the module's docstring)."""
    released_at = {release.id: release.released_at for release in manifest.releases}
    return sorted(manifest.files, key=lambda f: (released_at.get(f.release or "", 0), f.locked, _natural(f.path)))


def file_title(path: str) -> str:
    """A file's name as a title: "01 - Low Tide Signal.mp3" stays as written, "episode-01.mp4" reads "Episode 01"."""
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if " " in stem:
        return stem
    words = stem.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else stem


def may_play(entry: ManifestFile, license: License | None) -> bool:
    return not entry.locked or (license is not None and license.file_key(entry.path) is not None)


def offer_for(manifest: Manifest) -> Offer | None:
    gate = manifest.gate
    if gate.type is GateType.CAMPAIGN:
        label = f"Pledge — {format_price(gate.price_cents or 0, gate.currency)}"
        headline = "Enjoyed the pilot? Back the season and it gets made."
        return Offer(manifest.bundle_id, OfferKind.PLEDGE, label, headline)
    if gate.type in (GateType.PAID, GateType.PWYW):
        price = gate.price_cents if gate.type is GateType.PAID else gate.min_cents
        return Offer(manifest.bundle_id, OfferKind.BUY, f"Buy — {format_price(price or 0, gate.currency)}",
                     f"Enjoyed it? Get all of “{manifest.title}”.")
    return None


def plan_items(
    manifest: Manifest,
    torrent_id: TorrentId,
    torrent_files: list[tuple[int, str]],
    license: License | None,
    *,
    pilot_only: bool,
) -> list[PlayItem]:
    """The media files to play, in release order: the pilot alone, or every file this fan may play.

    ``torrent_files`` are (torrent file index, path) pairs as the engine lists them — pad files are left out
    of that list, so a file's position in it is not its index.
    """
    index_of: dict[str, int] = {}
    for index, path in torrent_files:
        index_of[path] = index
        index_of.setdefault(path.split("/", 1)[-1], index)  # manifest paths omit the torrent's top folder
    playable = [f for f in release_order(manifest) if is_media(f) and may_play(f, license)]
    if pilot_only:
        playable = [f for f in playable if not f.locked and f.media_type.startswith("video/")][:1]
    return [
        PlayItem(torrent_id, index_of[entry.path], entry, title=file_title(entry.path), bundle_id=manifest.bundle_id,
                 bundle_title=manifest.title, subtitles=subtitles_for(manifest, entry, index_of),
                 artwork=artwork_for(manifest, index_of))
        for entry in playable
        if entry.path in index_of
    ]
