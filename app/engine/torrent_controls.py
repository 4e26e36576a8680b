"""The per-torrent knobs of a qBittorrent-style right-click menu: reannounce now, the magnet link, the queue
position, sequential download, first and last pieces first — and reading them back.

``TorrentControls`` works on the engine's registry (no session needed) and is handed out as ``Engine.controls``.
Sequential download is a libtorrent flag and travels in the resume data. "First and last pieces first" is what
qBittorrent does: the first and last piece of every wanted file get the top piece priority (7), so a player can
read a file's head and its index at the tail early; turning it off gives the pieces their files' priorities back.
The choice is kept in ``first_last_book`` (``state_dir/first_last_pieces.json``) and applied again when the engine
starts (``restore``), so it survives a restart like categories and tags.

Any thread; every verb calls into libtorrent and may wait briefly on its network thread — the UI calls from a worker.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from pathlib import Path

import libtorrent as lt

from app.engine.error_translation import translated
from app.engine.errors import UnknownTorrentError
from app.engine.first_last_book import FirstLastBook
from app.engine.registry import Registry
from app.engine.types import TorrentId

log = logging.getLogger(__name__)

_SEQUENTIAL = lt.torrent_flags.sequential_download
_TOP_PRIORITY = 7


class QueueMove(enum.Enum):
    TOP = "top"
    UP = "up"
    DOWN = "down"
    BOTTOM = "bottom"


@dataclass(frozen=True, slots=True)
class TorrentOptions:
    sequential: bool
    first_last_pieces: bool
    queue_position: int  # 0 first; -1 when the torrent is not in the download queue (complete, seeding)


class TorrentControls:
    """Menu verbs on one torrent each; raise ``UnknownTorrentError`` for an id that is gone."""

    def __init__(self, registry: Registry, state_dir: Path) -> None:
        self._registry = registry
        self._first_last = FirstLastBook(state_dir)

    def restore(self) -> None:
        """Engine start: read the saved choices and give those torrents their first and last pieces' priority."""
        for tid in self._first_last.load(self._registry.ids()):
            try:
                self._prioritize_first_last(tid, True)
            except (RuntimeError, UnknownTorrentError) as exc:  # one torrent's trouble must not stop the start
                log.warning("first and last pieces of %s not prioritized again: %s", tid, exc)

    @translated
    def force_reannounce(self, tid: TorrentId) -> None:
        """Announce to every tracker now, even before the tracker's minimum interval has passed."""
        handle = self._registry.get(tid).handle
        handle.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)

    @translated
    def magnet_uri(self, tid: TorrentId) -> str:
        """The torrent's magnet link (info-hash, name, trackers)."""
        return str(lt.make_magnet_uri(self._registry.get(tid).handle))

    @translated
    def move_in_queue(self, tid: TorrentId, move: QueueMove) -> None:
        """Move the torrent in the download queue (only downloading torrents are queued)."""
        handle = self._registry.get(tid).handle
        {
            QueueMove.TOP: handle.queue_position_top,
            QueueMove.UP: handle.queue_position_up,
            QueueMove.DOWN: handle.queue_position_down,
            QueueMove.BOTTOM: handle.queue_position_bottom,
        }[move]()

    @translated
    def set_sequential(self, tid: TorrentId, on: bool) -> None:
        """Download pieces in order (kept in the resume data)."""
        handle = self._registry.get(tid).handle
        if on:
            handle.set_flags(_SEQUENTIAL)
        else:
            handle.unset_flags(_SEQUENTIAL)
        handle.save_resume_data(lt.torrent_handle.only_if_modified)

    @translated
    def set_first_last_pieces(self, tid: TorrentId, on: bool) -> None:
        """Give the first and last piece of every wanted file the top priority, or their files' priority back.
        The choice is saved (it writes a small file: call from a worker)."""
        self._prioritize_first_last(tid, on)
        self._first_last.set(tid, on)

    def _prioritize_first_last(self, tid: TorrentId, on: bool) -> None:
        handle = self._registry.get(tid).handle
        info = handle.torrent_file()
        if info is None:
            return  # a magnet without metadata: nothing to prioritize yet
        file_priorities = handle.get_file_priorities()
        if not on:
            handle.prioritize_files(file_priorities)  # resets every piece to its file's priority
            return
        priorities = list(handle.get_piece_priorities())
        layout = info.layout()
        piece_length = info.piece_length()
        for index in range(layout.num_files()):
            size = layout.file_size(index)
            if size == 0 or file_priorities[index] == 0 or layout.file_flags(index) & lt.file_storage.flag_pad_file:
                continue
            offset = layout.file_offset(index)
            for piece in {offset // piece_length, (offset + size - 1) // piece_length}:
                priorities[piece] = _TOP_PRIORITY
        handle.prioritize_pieces(priorities)

    @translated
    def hold_for_metadata(self, tid: TorrentId, on: bool) -> None:
        """While on, a magnet fetches its metadata but no data (upload mode): the add dialog shows its files first."""
        handle = self._registry.get(tid).handle
        if on:
            handle.set_flags(lt.torrent_flags.upload_mode)
        else:
            handle.unset_flags(lt.torrent_flags.upload_mode)

    @translated
    def options(self, tid: TorrentId) -> TorrentOptions:
        """What the menu shows as checked, and the queue position."""
        handle = self._registry.get(tid).handle
        return TorrentOptions(
            sequential=bool(handle.flags() & _SEQUENTIAL),
            first_last_pieces=self._first_last.is_on(tid),
            queue_position=int(handle.queue_position()),
        )

    def forget(self, tid: TorrentId) -> None:
        self._first_last.forget(tid)
