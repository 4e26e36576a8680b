"""The publishing use case's errors: each message is a sentence the creator can act on."""

from __future__ import annotations


class PublishError(Exception):
    """Publishing stopped; ``str(error)`` says why."""


class PublishInputError(PublishError):
    """What the creator chose cannot be published (empty folder, unreadable file, bad price, title too long...)."""


class PublishCancelled(PublishError):  # noqa: N818 - a cancellation, not a failure
    """The creator cancelled; everything made so far was removed."""
