"""The library's own failures, each a sentence a fan can act on (``user_message``, as the store's errors have).

``BundleCheckError`` is a ``StoreError``: the store's bundle did not match what it signed. ``ExportError`` and
``NotInLibraryError`` are the library's own. Pure.
"""

from __future__ import annotations

from app.store.errors import StoreError


class BundleCheckError(StoreError):
    """The store's bundle does not match its signed manifest (tampered, or a broken store)."""

    default_message = "This bundle's files don't match what the store signed, so Bundlecast won't download it."


class LibraryError(Exception):
    """Base of the library's own errors; the message is the sentence to show."""

    @property
    def user_message(self) -> str:
        return str(self)


class ExportError(LibraryError):
    """A decrypted copy could not be made; the message says what to do."""


class NotInLibraryError(LibraryError):
    """The bundle has never been added on this computer (nothing to play until it is downloaded)."""
