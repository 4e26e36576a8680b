"""What the app remembers about the bundles it has added to the engine: ``library.json`` in the data folder.

One record per bundle — title, kind, the torrent id (the info-hash the signed manifest pins), where it was
saved, and the signed manifest itself (so the Library can show, play and export a bundle while the store is
unreachable; the manifest is re-verified against the pinned store key before it is trusted for export).
No secrets: keys stay in the licenses, in the keyring. Written atomically (temp file, fsync, rename).

Pure Python; its methods are called from worker threads and the main thread, guarded by a lock.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

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
            return {r["bundle_id"]: LibraryRecord(**r) for r in raw.get("bundles", [])}
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
        with self._lock:
            self._records[record.bundle_id] = record
            self._save()

    def remove(self, bundle_id: str) -> None:
        with self._lock:
            if self._records.pop(bundle_id, None) is not None:
                self._save()

    def _save(self) -> None:
        payload = {"version": 1, "bundles": [asdict(r) for r in self._records.values()]}
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".library-", suffix=".tmp", dir=self._path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).replace(self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
