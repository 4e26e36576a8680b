"""The files of a bundle that go with the one played: subtitle files with a video (``pilot.en.srt`` and
``pilot.vtt`` go with ``pilot.mp4`` — same folder, same name before the language — labelled by their language),
and the bundle's cover with its music.

Pure; any thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from app.bundle import Manifest, ManifestFile
from app.player.items import SubtitleFile

SUBTITLE_SUFFIXES = (".srt", ".vtt")
_LANGUAGES = {
    "en": "English", "es": "Español", "fr": "Français", "de": "Deutsch", "it": "Italiano", "pt": "Português",
    "nl": "Nederlands", "ja": "日本語", "zh": "中文", "ko": "한국어", "ru": "Русский", "pl": "Polski", "sv": "Svenska",
}


def is_subtitle(entry: ManifestFile) -> bool:
    return entry.path.lower().endswith(SUBTITLE_SUFFIXES)


def subtitle_label(video: ManifestFile, subtitle: ManifestFile) -> str:
    """"English" for ``pilot.en.srt``; "Subtitles" for a file without a language; the code for an unknown one."""
    video_stem = PurePosixPath(video.path).stem
    middle = PurePosixPath(subtitle.path).stem[len(video_stem):].lstrip(".")
    if not middle:
        return "Subtitles"
    return language_name(middle)


def language_name(code: str) -> str:
    """"English" for "en" (or "en-GB"); the code itself for one not listed; "Subtitles" for none."""
    if not code:
        return "Subtitles"
    return _LANGUAGES.get(code.split(".", maxsplit=1)[0].split("-", maxsplit=1)[0].lower(), code)


def subtitles_for(manifest: Manifest, video: ManifestFile, index_of: Mapping[str, int]) -> tuple[SubtitleFile, ...]:
    """The subtitle files beside ``video`` (torrent file indices from ``index_of``: manifest path → index)."""
    video_path = PurePosixPath(video.path)
    found = []
    for entry in manifest.files:
        path = PurePosixPath(entry.path)
        if not is_subtitle(entry) or path.parent != video_path.parent or entry.path not in index_of:
            continue
        if path.stem == video_path.stem or path.stem.startswith(video_path.stem + "."):
            found.append(SubtitleFile(index_of[entry.path], entry, subtitle_label(video, entry)))
    return tuple(sorted(found, key=lambda s: (s.label != "English", s.label)))


def artwork_for(manifest: Manifest, index_of: Mapping[str, int]) -> SubtitleFile | None:
    """The bundle's free picture (an album's ``cover.png``, folder art): what the player shows while music plays."""
    images = [f for f in manifest.files if f.media_type.startswith("image/") and not f.locked and f.path in index_of]
    preferred = sorted(images, key=lambda f: (PurePosixPath(f.path).stem.lower() not in ("cover", "folder"), f.path))
    return SubtitleFile(index_of[preferred[0].path], preferred[0], "Cover") if preferred else None
