"""The engine's exceptions. libtorrent errors are translated into these once, inside the engine.

Messages are sentences a user can act on ("The .torrent file is truncated", "The disk is full").
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every engine error."""


class InvalidTorrentError(EngineError):
    """A .torrent file or buffer that cannot be used; the message says why."""


class InvalidMagnetError(EngineError):
    """A magnet URI that cannot be used; the message says why."""


class UnknownTorrentError(EngineError):
    """No torrent with that id in this session."""


class StorageError(EngineError):
    """Disk full, permission denied, missing folder …"""


class StreamClosedError(EngineError):
    """A read on a stream that was closed (or whose torrent was removed)."""


class StreamTimeoutError(EngineError):
    """A read that waited longer than its timeout for verified bytes."""
