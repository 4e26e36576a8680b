"""The engine's events: small immutable classes published to subscribers.

Subscribers are called on the engine's alert thread; they must return quickly and never block
(the UI bridge re-emits them as queued Qt signals).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.types import SessionTotals, TorrentId, TorrentSnapshot, TorrentState


@dataclass(frozen=True, slots=True)
class EngineEvent:
    """Base of every engine event."""


@dataclass(frozen=True, slots=True)
class TorrentAdded(EngineEvent):
    torrent_id: TorrentId
    name: str


@dataclass(frozen=True, slots=True)
class MetadataReceived(EngineEvent):
    torrent_id: TorrentId
    name: str


@dataclass(frozen=True, slots=True)
class TorrentFinished(EngineEvent):
    torrent_id: TorrentId
    name: str


@dataclass(frozen=True, slots=True)
class TorrentRemoved(EngineEvent):
    torrent_id: TorrentId


@dataclass(frozen=True, slots=True)
class TorrentErrored(EngineEvent):
    torrent_id: TorrentId
    message: str


@dataclass(frozen=True, slots=True)
class StateChanged(EngineEvent):
    torrent_id: TorrentId
    old: TorrentState
    new: TorrentState


@dataclass(frozen=True, slots=True)
class PieceFinished(EngineEvent):
    torrent_id: TorrentId
    piece: int


@dataclass(frozen=True, slots=True)
class StatsUpdated(EngineEvent):
    """A batch of snapshots (only torrents that changed since the last batch) plus session totals."""

    snapshots: tuple[TorrentSnapshot, ...]
    totals: SessionTotals
