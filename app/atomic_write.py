"""Atomic file writes for everything outside the engine: a file is either its old self or its new self, never half.

``write_atomically(path, data)`` writes a temp file in the same folder, fsyncs it, renames it over ``path`` and
fsyncs the folder (without that last step a power cut can lose the rename itself). ``publish_atomically(partial,
path)`` does the last three steps for a file written in pieces (an export's ``.part``). The engine keeps its own
resume-file writer (it adds the "never fewer pieces" guard). Blocking disk I/O: call it where blocking is allowed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Replace ``path`` by ``data`` (str is written as UTF-8); ``mode`` sets the permissions (e.g. 0o600)."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_folder(folder)


def publish_atomically(partial: Path, path: Path) -> None:
    """Rename a fully written ``partial`` file to ``path`` durably (its data fsynced first)."""
    with partial.open("rb+") as handle:
        os.fsync(handle.fileno())
    partial.replace(path)
    fsync_folder(path.parent)
