"""The bundle format's exceptions."""

from __future__ import annotations


class BundleError(Exception):
    """Base of every bundle-format error."""


class MalformedError(BundleError):
    """Bytes that are not a well-formed manifest, license token or key."""


class InvalidSignatureError(BundleError):
    """A signature that does not verify against the store's key: forged, altered or from another store."""
