"""Making a hybrid (v1+v2) torrent from a folder — the creator's side of publishing (the engine is the only
libtorrent importer, so the app's publishing code asks here).

``create_torrent`` hashes every file under ``top_dir`` (libtorrent reads them in its own disk threads; the
caller's thread waits) and returns the bencoded .torrent. ``progress(done_pieces, total_pieces)`` is called from
libtorrent's hashing loop; a set ``cancel`` event stops it with ``TorrentMakingCancelled``. Multi-file always
(even for one file), so a web seed URL names the folder holding ``top_dir`` (BEP 19). Runs on the caller's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import libtorrent as lt

from app.engine.errors import EngineError

CREATOR = "Bundlecast"


class TorrentMakingCancelled(EngineError):  # noqa: N818 - a cancellation, not an error
    """The caller cancelled hashing."""


def create_torrent(
    top_dir: Path,
    *,
    piece_size: int,
    tracker_url: str | None = None,
    web_seed_url: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> bytes:
    """The hybrid .torrent of ``top_dir`` (named after it), bencoded."""
    if not top_dir.is_dir():
        raise EngineError(f"{top_dir} is not a folder.")
    entries = lt.list_files(str(top_dir))  # the non-deprecated way (add_files/file_storage are deprecated)
    if not entries:
        raise EngineError(f"{top_dir} holds no files.")
    maker = lt.create_torrent(entries, piece_size)  # flags 0: hybrid v1+v2
    total = maker.num_pieces()
    cancelled = False

    def on_piece(index: int) -> None:
        nonlocal cancelled
        if cancel is not None and cancel.is_set():
            cancelled = True
            raise TorrentMakingCancelled("Hashing was cancelled.")
        if progress is not None:
            progress(index + 1, total)

    try:
        lt.set_piece_hashes(maker, str(top_dir.parent), on_piece)
    except TorrentMakingCancelled:
        raise
    except RuntimeError as exc:
        if cancelled:
            raise TorrentMakingCancelled("Hashing was cancelled.") from exc
        raise EngineError(
            "Cannot read the files to hash them. Check that they are all still there and that you may open them."
        ) from exc
    maker.set_creator(CREATOR)
    if tracker_url:
        maker.add_tracker(tracker_url)
    if web_seed_url:
        maker.add_url_seed(web_seed_url)
    # generate_buf() returns garbage in the 2.1.1 Python bindings (FIELD-NOTES); bencode the generated dict.
    return bytes(lt.bencode(maker.generate()))
