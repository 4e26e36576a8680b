"""A fan's app learning of new releases on its own: ``ReleaseWatcher.check`` asks the store about the bundles the
fan owns or backed (at launch, every few hours, when the Library opens — the caller decides when), compares their
releases with the ones already seen (kept in a small JSON file written atomically) and returns a notice per new one
("Episode 3 of Lumen Drift is out"). Fetching a release is the Library's (``Library.follow_release``: the grown
bundle added onto the fan's copy through the bundle adder, so the files already there keep their names and only the
new release's pieces are fetched).

Blocking (store HTTP); runs on a worker thread. The first check of a bundle records its releases quietly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.store import StoreClient
from app.store.errors import StoreError


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
