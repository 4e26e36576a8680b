"""The player's exceptions, with messages a fan can act on. The UI shows ``str(error)``."""

from __future__ import annotations


class PlayerError(Exception):
    """Base of every player error."""


class LicenseRequiredError(PlayerError):
    """A locked file was asked for without a license that opens it."""

    def __init__(self, file_path: str) -> None:
        super().__init__(f"“{file_path}” is locked. Buy or back this bundle to unlock it.")
        self.file_path = file_path


class VideoBackendError(PlayerError):
    """libvlc could not be loaded or could not start."""


class StreamServerError(PlayerError):
    """The loopback stream server could not start or serve."""
