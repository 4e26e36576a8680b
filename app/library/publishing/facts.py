"""What the Publish page lists for a folder: every file with its size, media type and media facts — duration,
bitrate, and whether it streams well (an MP4 whose index, the ``moov`` box, comes after the media data must be
downloaded to its end before a player can start; the fix is one lossless ffmpeg command).

``scan_folder`` walks the folder (hidden files and links skipped, as ``storefront publish`` does) and probes
audio and video with PyAV; a file that cannot be read is reported with a sentence, not skipped silently.
Blocking (disk, FFmpeg); runs on a worker thread.
"""

from __future__ import annotations

import mimetypes
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from app.library.publishing.errors import PublishInputError

FASTSTART_FIX = "ffmpeg -i IN.mp4 -c copy -movflags +faststart OUT.mp4"
_EXTRA_TYPES = {".epub": "application/epub+zip", ".mp4": "video/mp4", ".m4a": "audio/mp4", ".mp3": "audio/mpeg"}
_MP4_LIKE = {".mp4", ".m4a", ".m4v", ".mov"}


@dataclass(frozen=True, slots=True)
class FileFacts:
    path: str  # '/'-separated, relative to the folder
    size: int
    media_type: str
    duration_s: float | None = None
    bitrate: int | None = None  # bits per second
    streams_well: bool | None = None  # None: not a streamable media file
    advice: str = ""  # how to fix one that does not stream well


def media_type_of(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def moov_before_mdat(path: Path) -> bool | None:
    """True for a faststart MP4 (moov first), False when mdat comes first, None when neither box is found."""
    with path.open("rb") as fh:
        offset, size = 0, path.stat().st_size
        while offset + 8 <= size:
            fh.seek(offset)
            header = fh.read(16)
            box_size, kind = struct.unpack(">I4s", header[:8])
            if box_size == 1 and len(header) == 16:
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:
                box_size = size - offset
            if kind == b"moov":
                return True
            if kind == b"mdat":
                return False
            if box_size < 8:
                return None
            offset += box_size
    return None


def _probe(full: Path, media_type: str) -> tuple[float | None, int | None]:
    import av  # PyAV: imported on first probe (it loads FFmpeg)

    try:
        with av.open(str(full)) as container:
            duration = (container.duration or 0) / 1_000_000
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise PublishInputError(
            f"{full.name} looks like {media_type.split('/', maxsplit=1)[0]} but cannot be read as media. "
            "It may be damaged, or in a format Bundlecast does not know."
        ) from exc
    if not duration:
        return None, None
    return round(duration, 3), int(full.stat().st_size * 8 / duration)


def facts_of(folder: Path, rel: str) -> FileFacts:
    full = folder / rel
    media_type = media_type_of(rel)
    size = full.stat().st_size
    if not os.access(full, os.R_OK):
        raise PublishInputError(f"{rel} cannot be read (permission denied). Check the file's permissions.")
    try:
        with full.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise PublishInputError(f"{rel} cannot be read: {exc.strerror or exc}.") from exc
    if media_type.split("/")[0] not in ("video", "audio"):
        return FileFacts(rel, size, media_type)
    duration, bitrate = _probe(full, media_type)
    streams_well: bool | None = True
    advice = ""
    if Path(rel).suffix.lower() in _MP4_LIKE and moov_before_mdat(full) is False:
        streams_well = False
        advice = (
            "This MP4 keeps its index at the end, so fans must download all of it before it plays. "
            f"Move the index to the front without re-encoding: {FASTSTART_FIX}"
        )
    return FileFacts(rel, size, media_type, duration, bitrate, streams_well, advice)


def list_folder(folder: Path) -> list[str]:
    if not folder.is_dir():
        raise PublishInputError(f"{folder} is not a folder.")
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            full = Path(root) / name
            if name.startswith(".") or full.is_symlink() or not full.is_file():
                continue
            found.append(full.relative_to(folder).as_posix())
    if not found:
        raise PublishInputError(f"The folder {folder.name} has no files in it. Choose a folder with your files.")
    return found


def scan_folder(folder: Path) -> list[FileFacts]:
    """Every publishable file of ``folder`` with its facts; ``PublishInputError`` for an empty folder or a file
    that cannot be read."""
    return [facts_of(folder, rel) for rel in list_folder(folder)]
