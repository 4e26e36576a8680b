"""What the app remembers about the bundles it has added to the engine: ``library.json`` in the data folder.

One record per bundle — title, kind, the torrent id (the info-hash the signed manifest pins), where it was
saved, its cover's URL, whether the fan backed its campaign, and the signed manifest itself (so the Library can
show, play and export a bundle while the store is
unreachable; the manifest is re-verified against the pinned store key before it is trusted for export).
No secrets: keys stay in the licenses, in the keyring. Written atomically (``app.atomic_write``).

Pure Python; its methods are called from worker threads and the main thread, guarded by a lock.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from app.atomic_write import write_atomically

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LibraryRecord:
    bundle_id: str
    title: str
    kind: str
    torrent_id: str
    save_path: str
    manifest_payload: str
    manifest_signature: str
    top_folder: str = ""  # the torrent's top folder under save_path ("" for a single-file torrent)
    cover_url: str = ""  # the store's cover URL (the cover cache keeps the image on disk)
    backed: bool = False  # the fan pledged to its campaign
    added_at: float = 0.0  # unix time it first entered the library

    @property
    def content_root(self) -> Path:
        return Path(self.save_path) / self.top_folder


class LibraryIndex:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._records: dict[str, LibraryRecord] = self._load()

    def _load(self) -> dict[str, LibraryRecord]:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            known = set(LibraryRecord.__dataclass_fields__)
            records = (LibraryRecord(**{k: v for k, v in r.items() if k in known}) for r in raw.get("bundles", []))
            return {r.bundle_id: r for r in records}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("Library index %s is unreadable (%s); it will be rebuilt from your licenses", self._path, exc)
            return {}

    @property
    def path(self) -> Path:
        return self._path

    def get(self, bundle_id: str) -> LibraryRecord | None:
        with self._lock:
            return self._records.get(bundle_id)

    def by_torrent(self, torrent_id: str) -> LibraryRecord | None:
        with self._lock:
            return next((r for r in self._records.values() if r.torrent_id == torrent_id), None)

    def all(self) -> list[LibraryRecord]:
        with self._lock:
            return list(self._records.values())

    def put(self, record: LibraryRecord) -> None:
        """Add or update a bundle; it stays backed once backed, and keeps the time it was first added."""
        with self._lock:
            old = self._records.get(record.bundle_id)
            if old is not None:
                record = replace(record, backed=record.backed or old.backed, added_at=old.added_at or record.added_at)
            self._records[record.bundle_id] = record
            self._save()

    def remove(self, bundle_id: str) -> None:
        with self._lock:
            if self._records.pop(bundle_id, None) is not None:
                self._save()

    def _save(self) -> None:
        payload = {"version": 1, "bundles": [asdict(r) for r in self._records.values()]}
        write_atomically(self._path, json.dumps(payload, indent=1))
