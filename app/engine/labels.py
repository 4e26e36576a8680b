"""Categories (each with its own save path) and tags of the torrents, kept beside the resume files.

``LabelBook`` holds which categories and tags exist and which torrent carries which; every change is written at once
to ``state_dir/labels.json`` (temp file → fsync → rename → fsync(dir), like the resume files), so a change the caller
saw succeed survives a kill or a restart. Reads hand out one immutable ``Labels`` value whose ``version`` grows with
every change: a UI can compare versions on each stats batch instead of subscribing. Like qBittorrent's session, the
book is Qt-free, so the desktop window, the headless seedbox and the remote API share it.

Any thread: every verb takes the book's lock; writes touch the disk (call them from a worker, not the UI thread).
A file that cannot be read is set aside (``labels.json.corrupt-<time>``) with a log line, and the book starts empty.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.engine.errors import EngineError, StorageError, UnknownTorrentError
from app.engine.resume_store import atomic_write
from app.engine.types import TorrentId

log = logging.getLogger(__name__)

LABELS_FILE_NAME = "labels.json"
_FORMAT_VERSION = 1
_MAX_NAME = 100


class LabelError(EngineError):
    """A category or tag name that cannot be used, or an unknown category; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    save_path: str  # "" = the default download folder


@dataclass(frozen=True, slots=True)
class Labels:
    """Every category and tag, and each torrent's; one immutable value per change (``version`` grows)."""

    version: int = 0
    categories: Mapping[str, Category] = field(default_factory=lambda: MappingProxyType({}))
    tags: tuple[str, ...] = ()
    category_of: Mapping[TorrentId, str] = field(default_factory=lambda: MappingProxyType({}))
    tags_of: Mapping[TorrentId, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))

    def category(self, torrent_id: TorrentId) -> str:
        """The torrent's category, "" for none."""
        return self.category_of.get(torrent_id, "")

    def torrent_tags(self, torrent_id: TorrentId) -> frozenset[str]:
        return self.tags_of.get(torrent_id, frozenset())


def checked_category_name(name: str) -> str:
    """A category name as stored, or LabelError: qBittorrent's rules (no empty parts, no leading or trailing /)."""
    clean = name.strip()
    if not clean:
        raise LabelError("A category needs a name.")
    if len(clean) > _MAX_NAME:
        raise LabelError(f"A category name can have at most {_MAX_NAME} characters.")
    if any(ord(ch) < 32 for ch in clean) or clean.startswith("/") or clean.endswith("/") or "//" in clean:
        raise LabelError(f"“{clean}” cannot be a category name: no control characters, and no / at either end.")
    return clean


def checked_tag_name(name: str) -> str:
    """A tag as stored, or LabelError: no commas (the remote API separates tags with them), not empty."""
    clean = name.strip()
    if not clean:
        raise LabelError("A tag needs a name.")
    if len(clean) > _MAX_NAME:
        raise LabelError(f"A tag can have at most {_MAX_NAME} characters.")
    if "," in clean or any(ord(ch) < 32 for ch in clean):
        raise LabelError(f"“{clean}” cannot be a tag: no commas and no control characters.")
    return clean


def check_writable_folder(path: Path) -> str:
    """Create ``path`` if needed and make sure files can be written there; the resolved path, or StorageError."""
    target = path.expanduser().resolve()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Cannot create the folder {target}: {exc.strerror or exc}.") from exc
    if not target.is_dir() or not os.access(target, os.W_OK | os.X_OK):
        raise StorageError(f"Bundlecast cannot write to the folder {target}; choose another one.")
    return str(target)


class LabelBook:
    """Thread-safe categories and tags, saved to one JSON file on every change."""

    def __init__(self, state_dir: Path, has_torrent: Callable[[TorrentId], bool]) -> None:
        self._path = state_dir / LABELS_FILE_NAME
        self._has_torrent = has_torrent
        self._lock = threading.RLock()
        self._categories: dict[str, Category] = {}
        self._tags: set[str] = set()
        self._category_of: dict[TorrentId, str] = {}
        self._tags_of: dict[TorrentId, set[str]] = {}
        self._view = Labels()

    # --- reads --------------------------------------------------------------------------------------------
    def current(self) -> Labels:
        """The labels as of the last change; cheap (one reference), never touches the disk."""
        return self._view

    def save_path_of(self, category: str) -> Path | None:
        """The category's own save path, None when it has none (or does not exist)."""
        found = self._view.categories.get(category)
        return Path(found.save_path) if found is not None and found.save_path else None

    # --- categories ---------------------------------------------------------------------------------------
    def create_category(self, name: str, save_path: Path | None = None) -> Category:
        """Add a category (its folder must be writable); LabelError if it exists already."""
        clean = checked_category_name(name)
        path = check_writable_folder(save_path) if save_path is not None and str(save_path) else ""
        with self._lock:
            if clean in self._categories:
                raise LabelError(f"The category “{clean}” exists already.")
            self._categories[clean] = Category(clean, path)
            self._commit()
            return self._categories[clean]

    def edit_category(self, name: str, save_path: Path | None) -> Category:
        """Change a category's save path (None or "" = the default folder); torrents stay where they are."""
        clean = checked_category_name(name)
        path = check_writable_folder(save_path) if save_path is not None and str(save_path) else ""
        with self._lock:
            if clean not in self._categories:
                raise LabelError(f"There is no category “{clean}”.")
            self._categories[clean] = Category(clean, path)
            self._commit()
            return self._categories[clean]

    def remove_categories(self, names: Iterable[str]) -> None:
        """Delete categories; their torrents keep their files and lose the category."""
        with self._lock:
            gone = {name.strip() for name in names} & set(self._categories)
            for name in gone:
                del self._categories[name]
            for tid in [tid for tid, cat in self._category_of.items() if cat in gone]:
                del self._category_of[tid]
            self._commit()

    def set_category(self, torrent_id: TorrentId, name: str | None) -> None:
        """Put a torrent in a category ("" or None: in none). The files do not move (see ``Engine.move_storage``)."""
        self._require_torrent(torrent_id)
        with self._lock:
            if name:
                clean = checked_category_name(name)
                if clean not in self._categories:
                    raise LabelError(f"There is no category “{clean}”; create it first.")
                self._category_of[torrent_id] = clean
            else:
                self._category_of.pop(torrent_id, None)
            self._commit()

    # --- tags ---------------------------------------------------------------------------------------------
    def create_tags(self, names: Iterable[str]) -> None:
        """Add tags to the list (existing ones are kept as they are)."""
        clean = {checked_tag_name(name) for name in names}
        with self._lock:
            self._tags |= clean
            self._commit()

    def delete_tags(self, names: Iterable[str]) -> None:
        """Remove tags from the list and from every torrent."""
        gone = {name.strip() for name in names}
        with self._lock:
            self._tags -= gone
            self._tags_of = {tid: tags - gone for tid, tags in self._tags_of.items() if tags - gone}
            self._commit()

    def add_tags(self, torrent_id: TorrentId, names: Iterable[str]) -> None:
        """Give a torrent tags; a tag not in the list yet is created."""
        self._require_torrent(torrent_id)
        clean = {checked_tag_name(name) for name in names}
        with self._lock:
            self._tags |= clean
            self._tags_of.setdefault(torrent_id, set()).update(clean)
            self._commit()

    def remove_tags(self, torrent_id: TorrentId, names: Iterable[str]) -> None:
        """Take tags off one torrent (they stay in the list)."""
        with self._lock:
            tags = self._tags_of.get(torrent_id)
            if tags is None:
                return
            tags -= {name.strip() for name in names}
            if not tags:
                del self._tags_of[torrent_id]
            self._commit()

    # --- engine hooks -------------------------------------------------------------------------------------
    def forget(self, torrent_id: TorrentId) -> None:
        """A removed torrent leaves its category and tags (they stay in the lists)."""
        with self._lock:
            if torrent_id in self._category_of or torrent_id in self._tags_of:
                self._category_of.pop(torrent_id, None)
                self._tags_of.pop(torrent_id, None)
                self._commit()

    def load(self, known: Iterable[TorrentId]) -> None:
        """Read the saved labels; torrents no longer in the session are dropped."""
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            categories, tags, category_of, tags_of = _parsed(raw)
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, KeyError, LabelError) as exc:
            target = self._path.with_name(f"{LABELS_FILE_NAME}.corrupt-{int(time.time())}")
            log.error("categories and tags unreadable (%s); moved aside to %s", exc, target.name)
            self._path.replace(target)
            return
        alive = set(known)
        with self._lock:
            self._categories = categories
            self._tags = tags
            self._category_of = {t: c for t, c in category_of.items() if t in alive and c in categories}
            self._tags_of = {t: s for t, s in tags_of.items() if t in alive and s}
            self._publish()

    # --- internals ----------------------------------------------------------------------------------------
    def _require_torrent(self, torrent_id: TorrentId) -> None:
        if not self._has_torrent(torrent_id):
            raise UnknownTorrentError(f"No torrent {torrent_id} in this session.")

    def _commit(self) -> None:
        """Save, then publish the new view (lock held). A failed save undoes nothing in memory but says so."""
        payload = {
            "version": _FORMAT_VERSION,
            "categories": {name: {"save_path": cat.save_path} for name, cat in sorted(self._categories.items())},
            "tags": sorted(self._tags),
            "torrents": {
                tid: {"category": self._category_of.get(tid, ""), "tags": sorted(self._tags_of.get(tid, ()))}
                for tid in sorted(set(self._category_of) | set(self._tags_of))
            },
        }
        self._publish()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self._path, json.dumps(payload, indent=1, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            raise StorageError(f"Cannot save categories and tags to {self._path}: {exc.strerror or exc}.") from exc

    def _publish(self) -> None:
        self._view = Labels(
            version=self._view.version + 1,
            categories=MappingProxyType(dict(self._categories)),
            tags=tuple(sorted(self._tags, key=str.casefold)),
            category_of=MappingProxyType(dict(self._category_of)),
            tags_of=MappingProxyType({tid: frozenset(tags) for tid, tags in self._tags_of.items()}),
        )


def _parsed(
    raw: Any,
) -> tuple[dict[str, Category], set[str], dict[TorrentId, str], dict[TorrentId, set[str]]]:
    if not isinstance(raw, dict) or raw.get("version") != _FORMAT_VERSION:
        raise ValueError("not a labels file of a known version")
    categories = {}
    for name, entry in dict(raw["categories"]).items():
        clean = checked_category_name(str(name))
        categories[clean] = Category(clean, str(entry.get("save_path", "")))
    tags = {checked_tag_name(str(tag)) for tag in raw["tags"]}
    category_of: dict[TorrentId, str] = {}
    tags_of: dict[TorrentId, set[str]] = {}
    for tid, entry in dict(raw["torrents"]).items():
        if entry.get("category"):
            category_of[str(tid)] = str(entry["category"])
        torrent_tags = {checked_tag_name(str(tag)) for tag in entry.get("tags", ())}
        if torrent_tags:
            tags_of[str(tid)] = torrent_tags
            tags |= torrent_tags
    return categories, tags, category_of, tags_of
