"""Why the embedded demo store did not start, as an `EmbeddedStoreFailed` whose sentence says what to do.

`EmbeddedStore.start` meets its failures in two places: preparing its folders and log on this side (an `OSError`:
a folder that is a dangling link, one it may not write to, a full disk, a read-only disk) and in the child process,
which exits with the cause in its log (the same causes, or its port taken). Both come here and leave as one typed
error: `user_message` is a sentence a fan can act on, `detail` (logs only) keeps the path, errno and log tail.
Pure functions; any thread.
"""

from __future__ import annotations

import errno
from pathlib import Path

from app.store.errors import EmbeddedStoreFailed

_LOG_HINT = "The log in Bundlecast's data folder has the details."


def _dangling_link(path: Path) -> Path | None:
    """``path`` or the first of its parents that is a symbolic link to nothing."""
    for candidate in (path, *path.parents):
        if candidate.is_symlink() and not candidate.exists():
            return candidate
    return None


def failure_from_os_error(exc: OSError, folder: Path) -> EmbeddedStoreFailed:
    """The store's folder ``folder`` (data or cache) could not be prepared on this side."""
    where = Path(exc.filename) if exc.filename else folder
    detail = f"{type(exc).__name__} [errno {exc.errno}] on {where}: {exc.strerror or exc}"
    link = _dangling_link(where) or _dangling_link(folder)
    if link is not None:
        sentence = (f"The built-in store's folder {link} is a link to a folder that doesn't exist. Create that "
                    "folder or remove the link, then try again.")
    elif exc.errno in (errno.EACCES, errno.EPERM):
        place = where if where.is_dir() else where.parent  # the folder refused a new file (or a new folder)
        sentence = (f"Bundlecast isn't allowed to write in the built-in store's folder {place}. Make that folder "
                    "writable for you, then try again.")
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        sentence = "The disk is full, so the built-in store can't start. Free some space, then try again."
    elif exc.errno == errno.EROFS:
        sentence = (f"The built-in store's folder {where} is on a read-only disk. Make it writable, then try "
                    "again.")
    elif exc.errno in (errno.EEXIST, errno.ENOTDIR):
        sentence = (f"The built-in store needs a folder at {where}, but something else is there. Move it away, "
                    "then try again.")
    else:
        sentence = f"The built-in store couldn't prepare its folder {where}. {_LOG_HINT}"
    return EmbeddedStoreFailed(sentence, detail=detail)


# What the store's own log says when it stops on a cause the fan can remove (lower case), and the sentence.
_CHILD_CAUSES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("no space left on device", "disk quota exceeded"),
     "The disk is full, so the built-in store can't start. Free some space, then try again."),
    (("permission denied", "operation not permitted"),
     "The built-in store isn't allowed to write in its folders. Make Bundlecast's data and cache folders "
     "writable for you, then try again."),
    (("read-only file system",),
     "The built-in store's folders are on a read-only disk. Make them writable, then try again."),
    (("address already in use", "cannot assign requested address"),
     "The built-in store couldn't open its port on this computer. Close what uses it, then try again."),
)


def failure_from_child_log(what_happened: str, log_tail: str) -> EmbeddedStoreFailed:
    """The child process stopped (or never got ready); its log tail names the cause when it is one we know."""
    lowered = log_tail.lower()
    for marks, sentence in _CHILD_CAUSES:
        if any(mark in lowered for mark in marks):
            return EmbeddedStoreFailed(sentence, detail=f"{what_happened}: {log_tail}")
    return EmbeddedStoreFailed(detail=f"{what_happened}: {log_tail}")
