"""Hosts the player engineer's ``PlayerPage`` in the window and hands it bundles to play.

*Watch pilot* (Store), *Play* (a bundle's page, the Library) first make sure the bundle is in the engine
(``StoreActions`` adds it with the right file priorities); when ``bundle_added`` says it is, a worker works out
the play items — the signed manifest's media files mapped to the torrent's file indices, the license that
opens the locked ones, and the offer (*Buy* / *Pledge*) to show where the free part ends — and the page starts
playing on the main thread. The page's ``offer_requested`` opens the bundle's page in the Store.

Main thread; the preparation (engine file list, keyring, manifest check) runs on the task runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.bundle import GateType, License, Manifest
from app.engine.types import TorrentId
from app.player.items import Offer, OfferKind, PlayItem
from app.player.playback import Playback
from app.player.resume import ResumePositions
from app.player.video import VideoBackend
from app.ui.player.page import PlayerPage
from app.ui.store.actions import user_message
from app.ui.units import format_price

if TYPE_CHECKING:
    from app.ui.desktop import Desktop
    from app.ui.store_section import PlayerHook, StoreSection


@dataclass(frozen=True, slots=True)
class PlayPlan:
    items: tuple[PlayItem, ...]
    license: License | None
    offer: Offer | None


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


def file_title(path: str) -> str:
    """A file's name as a title: "01 - Low Tide Signal.mp3" stays as written, "episode-01.mp4" reads "Episode 01"."""
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if " " in stem:
        return stem
    words = stem.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else stem


def plan_items(
    manifest: Manifest,
    torrent_id: TorrentId,
    torrent_files: list[tuple[int, str]],
    license: License | None,
    *,
    pilot_only: bool,
) -> list[PlayItem]:
    """The media files to play, in manifest order: the pilot alone, or every file this fan may play.

    ``torrent_files`` are (torrent file index, path) pairs as the engine lists them — pad files are left out
    of that list, so a file's position in it is not its index.
    """
    index_of: dict[str, int] = {}
    for index, path in torrent_files:
        index_of[path] = index
        index_of.setdefault(path.split("/", 1)[-1], index)  # manifest paths omit the torrent's top folder
    media = [f for f in manifest.files if f.media_type.startswith(("video/", "audio/"))]
    playable = [f for f in media if not f.locked or (license is not None and license.file_key(f.path) is not None)]
    if pilot_only:
        playable = [f for f in playable if not f.locked and f.media_type.startswith("video/")][:1]
    items = []
    for entry in playable:
        if entry.path in index_of:
            title = file_title(entry.path)
            items.append(PlayItem(torrent_id, index_of[entry.path], entry, title=title, bundle_id=manifest.bundle_id,
                                  bundle_title=manifest.title))
    return items


class PlayerHost(QObject):
    def __init__(self, section: StoreSection, desktop: Desktop, page: PlayerPage) -> None:
        super().__init__(section)
        self.section = section
        self.desktop = desktop
        self.page = page
        self._wanted: dict[str, bool] = {}  # bundle id → pilot only, waiting for the engine
        actions = section.actions
        actions.bundle_added.connect(self._on_bundle_added)
        section.store_page.bundle_page.play_requested.connect(self.play)
        section.library.play_requested.connect(self.play)
        page.offer_requested.connect(self._show_offer)
        page.playback_failed.connect(desktop.window.set_store_status)

    def play(self, bundle_id: str) -> None:
        """Play everything of the bundle this fan may play (adding it to the engine first if needed)."""
        self._wanted[bundle_id] = False
        self.section.actions.download(bundle_id)

    def _on_bundle_added(self, bundle_id: str, torrent_id: str, pilot_only: bool) -> None:
        if pilot_only:
            self._wanted[bundle_id] = True
        if bundle_id not in self._wanted:
            return  # a plain download
        pilot = self._wanted.pop(bundle_id)
        section, engine = self.section, self.desktop.engine

        def prepare() -> PlayPlan:
            record = section.index.get(bundle_id)
            if record is None:
                raise LookupError("This bundle is not in your library yet.")
            manifest = section.adder.verified_manifest(record.manifest_payload, record.manifest_signature)
            licenses = section.backend.licenses_for_bundle(bundle_id)
            license = licenses[0] if licenses else None
            files = [(entry.index, entry.path) for entry in engine.files(torrent_id)]
            items = plan_items(manifest, torrent_id, files, license, pilot_only=pilot)
            return PlayPlan(tuple(items), license, None if license else offer_for(manifest))

        self.desktop.tasks.run(prepare, self._start, lambda exc: self.desktop.window.set_store_status(
            user_message(exc)))

    def _start(self, plan: PlayPlan) -> None:
        if not plan.items:
            self.desktop.window.set_store_status("There is nothing to play in this bundle.")
            return
        self.desktop.window.show_page(self.page)
        if len(plan.items) == 1:
            self.page.play_bundle_file(plan.items[0], license=plan.license, offer=plan.offer)
        else:
            self.page.play_playlist(plan.items, license=plan.license, offer=plan.offer)

    def _show_offer(self, bundle_id: str) -> None:
        self.desktop.window.show_page(self.section.store_page)
        self.section.actions.open_bundle(bundle_id)


def player_hook(playback: Playback, video: VideoBackend, resume: ResumePositions) -> PlayerHook:
    """The StoreSection hook that builds the Player tab from the composition root's player parts."""

    def build(section: StoreSection, desktop: Desktop) -> QWidget:
        page = PlayerPage(playback, video, resume, desktop.tasks, parent=desktop.window)
        section.player_host = PlayerHost(section, desktop, page)
        desktop.add_close_hook(page.shutdown)
        return page

    return build
