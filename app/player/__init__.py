"""Playback without Qt: the loopback stream server (decrypting locked files in memory), the VLC wrapper, the
playback façade that turns a bundle's file into a stream URL, and resume positions. See docs/CONTRACTS.md."""

from app.player.errors import LicenseRequiredError, PlayerError, StreamServerError, VideoBackendError
from app.player.items import Offer, OfferKind, PlayItem
from app.player.playback import FileProgress, Playback
from app.player.resume import ResumePositions
from app.player.server import StreamServer
from app.player.video import VideoBackend, VideoPlayer

__all__ = [
    "FileProgress",
    "LicenseRequiredError",
    "Offer",
    "OfferKind",
    "PlayItem",
    "Playback",
    "PlayerError",
    "ResumePositions",
    "StreamServer",
    "StreamServerError",
    "VideoBackend",
    "VideoBackendError",
    "VideoPlayer",
]
