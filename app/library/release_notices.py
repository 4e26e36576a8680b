"""A fan's app learning of new releases on its own: ``ReleaseWatcher.check`` asks the store about the bundles the
fan owns or backed (at launch, every few hours, when the Library opens — the caller decides when), compares their
releases with the ones already seen (kept in a small JSON file written atomically) and returns a notice per new one
("Episode 3 of Lumen Drift is out"). ``auto_download`` fetches the grown bundle's .torrent, checks it against the
store-signed manifest, and adds it to the engine on the same save path: the files already there are kept (libtorrent
checks them), only the new release's pieces are fetched, and the fan's season license opens them.

Blocking (store HTTP, engine); runs on a worker thread. The first check of a bundle records its releases quietly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.bundle import SignedManifest, verify_manifest
from app.engine import Engine, TorrentId
from app.store import StoreClient
from app.store.errors import StoreError


class ReleaseCheckError(Exception):
    """A new release could not be fetched; ``str(error)`` says why in a sentence."""


@dataclass(frozen=True, slots=True)
class ReleaseNotice:
    bundle_id: str
    bundle_title: str
    release_id: str
    release_title: str

    @property
    def text(self) -> str:
        return f"{self.release_title} of {self.bundle_title} is out"


class ReleaseWatcher:
    def __init__(self, client: StoreClient, state_file: Path) -> None:
        self._client = client
        self._state_file = state_file

    def _seen(self) -> dict[str, list[str]]:
        if not self._state_file.is_file():
            return {}
        data = json.loads(self._state_file.read_text(encoding="utf-8"))
        return {str(k): [str(r) for r in v] for k, v in data.items()}

    def _save(self, seen: dict[str, list[str]]) -> None:
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._state_file.with_name(self._state_file.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(seen, fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self._state_file)

    def check(self, bundle_ids: Iterable[str]) -> list[ReleaseNotice]:
        """New releases of these bundles since the last check (none the first time a bundle is seen).
        A bundle the store cannot answer for right now is skipped until the next check."""
        seen = self._seen()
        notices: list[ReleaseNotice] = []
        for bundle_id in bundle_ids:
            try:
                detail = self._client.bundle(bundle_id)
            except StoreError:
                continue
            current = [r.id for r in detail.releases]
            if bundle_id in seen:
                notices.extend(
                    ReleaseNotice(bundle_id, detail.title, r.id, r.title)
                    for r in detail.releases
                    if r.id not in seen[bundle_id]
                )
            seen[bundle_id] = current
        self._save(seen)
        return notices

    def auto_download(
        self, notice: ReleaseNotice, engine: Engine, save_path: Path, store_key: Ed25519PublicKey
    ) -> TorrentId:
        """Add the grown bundle to the engine where the fan's copy is; returns the new torrent's id."""
        try:
            detail = self._client.bundle(notice.bundle_id)
            manifest = verify_manifest(SignedManifest(detail.manifest.payload, detail.manifest.signature), store_key)
            torrent = self._client.download_torrent(notice.bundle_id)
        except StoreError as exc:
            raise ReleaseCheckError(f"{notice.text}, but the store could not send it now: {exc.user_message}") from exc
        if not any(f.release == notice.release_id for f in manifest.files):
            raise ReleaseCheckError(f"{notice.text}, but the store's bundle does not list its files yet.")
        tid = engine.add_torrent_bytes(torrent, save_path)
        if tid != manifest.info_hash_v1:  # a hybrid torrent's id is its v1 hash
            engine.remove(tid)
            raise ReleaseCheckError(f"{notice.text}, but the store sent a torrent its manifest does not name.")
        return tid
