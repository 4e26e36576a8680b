"""The window's own exceptions. Store errors (``app.store.errors``) and engine errors (``app.engine.errors``) keep
their classes; these are the few failures the UI itself finds. Their messages are sentences a fan can act on."""

from __future__ import annotations


class UiError(Exception):
    """Base of the window's own errors."""


class TorrentMetaError(UiError, ValueError):
    """The bytes are not a usable .torrent."""


class ExportError(UiError):
    """A decrypted copy could not be made; the message says what to do."""
