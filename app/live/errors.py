"""The live package's exceptions: bad blocks, bad peers, a source that cannot be encoded."""

from __future__ import annotations


class LiveError(Exception):
    """Base of every live-broadcast error."""


class MalformedBlockError(LiveError):
    """Bytes that are not a well-formed live block (or a protocol frame): refused before any signature work."""


class ForgedBlockError(LiveError):
    """A block whose signature does not match the stream key, or that belongs to another stream."""


class ProtocolError(LiveError):
    """A peer broke the block protocol (bad frame, oversize frame, wrong stream): it is dropped."""


class SourceError(LiveError):
    """A broadcast source (media file, camera, test pattern) that cannot be opened or encoded."""
