"""The torrent engine: one libtorrent session behind the ``Engine`` façade. No Qt, nothing else of ours.

Public API (docs/CONTRACTS.md): ``Engine``, ``TorrentStream``, the value types, the events, the errors and
``EngineSettings``.
"""

from app.engine.engine import Engine
from app.engine.errors import (
    EngineError,
    InvalidMagnetError,
    InvalidTorrentError,
    StorageError,
    StreamClosedError,
    StreamTimeoutError,
    UnknownTorrentError,
)
from app.engine.events import (
    EngineEvent,
    MetadataReceived,
    PieceFinished,
    StateChanged,
    StatsUpdated,
    TorrentAdded,
    TorrentErrored,
    TorrentFinished,
    TorrentRemoved,
)
from app.engine.hybrid_hashes import FileHasher, hybrid_torrent
from app.engine.inspect import TorrentFileInfo, TorrentInfo, inspect_torrent
from app.engine.labels import Category, LabelBook, LabelError, Labels
from app.engine.seed_limits import LimitChoice, SeedLimitBook, SeedLimitError, SeedLimits
from app.engine.settings import EncryptionPolicy, EngineSettings, SeedLimitAction
from app.engine.stream import TorrentStream
from app.engine.torrent_maker import TorrentMakingCancelled, create_torrent
from app.engine.types import (
    ByteRange,
    FileEntry,
    PeerEntry,
    SessionTotals,
    TorrentId,
    TorrentSnapshot,
    TorrentState,
    TrackerEntry,
)

__all__ = [
    "ByteRange",
    "Category",
    "EncryptionPolicy",
    "Engine",
    "EngineError",
    "EngineEvent",
    "EngineSettings",
    "FileEntry",
    "FileHasher",
    "InvalidMagnetError",
    "InvalidTorrentError",
    "LabelBook",
    "LabelError",
    "Labels",
    "LimitChoice",
    "MetadataReceived",
    "PeerEntry",
    "PieceFinished",
    "SeedLimitAction",
    "SeedLimitBook",
    "SeedLimitError",
    "SeedLimits",
    "SessionTotals",
    "StateChanged",
    "StatsUpdated",
    "StorageError",
    "StreamClosedError",
    "StreamTimeoutError",
    "TorrentAdded",
    "TorrentErrored",
    "TorrentFileInfo",
    "TorrentFinished",
    "TorrentId",
    "TorrentInfo",
    "TorrentMakingCancelled",
    "TorrentRemoved",
    "TorrentSnapshot",
    "TorrentState",
    "TorrentStream",
    "TrackerEntry",
    "UnknownTorrentError",
    "create_torrent",
    "hybrid_torrent",
    "inspect_torrent",
]
