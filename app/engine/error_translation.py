"""Translates libtorrent's errors into ours: error codes into sentences a user can act on (disk full,
permission denied …), and exceptions raised by the bindings into the engine's exceptions (``translated``).

Pure functions, any thread. libtorrent reports storage trouble as ``error_code`` values of the system
category (errno numbers); everything else keeps libtorrent's own message.
"""

from __future__ import annotations

import errno
import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import libtorrent as lt

from app.engine.errors import EngineError, UnknownTorrentError

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

_ERRNO_SENTENCES: dict[int, str] = {
    errno.ENOSPC: "The disk is full. Free some space, then resume the torrent.",
    errno.EDQUOT: "Your disk quota is used up. Free some space, then resume the torrent.",
    errno.EACCES: "Permission denied: Bundlecast may not write to the download folder. Choose another folder.",
    errno.EPERM: "Permission denied: Bundlecast may not write to the download folder. Choose another folder.",
    errno.EROFS: "The download folder is on a read-only disk. Choose another folder.",
    errno.ENOENT: "A file or folder of this torrent is missing. Check the download folder, then recheck.",
    errno.EIO: "The disk reported an input/output error.",
    errno.ENOTDIR: "Part of the download folder's path is a file, not a folder. Choose another folder.",
    errno.ENAMETOOLONG: "A file name of this torrent is too long for this disk.",
}


def describe_error(code: lt.error_code, file_hint: str = "") -> str:
    """One sentence for an error code; ``file_hint`` names the file involved when known."""
    category = code.category().name()
    sentence = None
    if category in ("system", "generic"):
        sentence = _ERRNO_SENTENCES.get(code.value())
    if sentence is None:
        sentence = code.message().rstrip(".") + "."
        sentence = sentence[:1].upper() + sentence[1:]
    if file_hint:
        return f"{sentence} ({file_hint})"
    return sentence


def is_storage_errno(code: lt.error_code) -> bool:
    """True when the code is one of the disk errors listed above."""
    return code.category().name() in ("system", "generic") and code.value() in _ERRNO_SENTENCES


def translated(method: Callable[P, R]) -> Callable[P, R]:
    """Decorator for Engine verbs: libtorrent's exceptions (RuntimeError from boost.python) become ours."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except RuntimeError as exc:
            if "invalid torrent handle" in str(exc):
                # The torrent was removed between looking it up and using it.
                raise UnknownTorrentError("That torrent was just removed.") from exc
            log.warning("%s failed in libtorrent: %s", method.__name__, exc)
            raise EngineError("The download engine could not do that just now. Try again; if it keeps "
                              "failing, restart Bundlecast.") from exc

    return wrapper
