"""SOURCE strings a creator types after ``bundlecast live broadcast``, turned into a frame source.

``pattern`` — the test pattern with its clock; ``screen`` or ``screen:DISPLAY`` — an X11 screen (``$DISPLAY`` when
not named); ``camera`` or ``camera:/dev/videoN``, optionally ``,mic:DEVICE`` — a V4L2 camera with an ALSA microphone
(``camera`` alone is ``/dev/video0`` without sound); anything else — a media file played out in real time (looping).
``describe`` says in a sentence what will be broadcast. Pure parsing; opening happens on the encoder's thread when
the source's frames are first asked for (a missing camera is reported by ``open_source`` at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.live.capture import CaptureSource, camera_input, microphone_input, screen_input
from app.live.encoder import FrameSource
from app.live.errors import SourceError
from app.live.sources import MediaFileSource, PictureFormat, TestPattern

DEFAULT_CAMERA = "/dev/video0"


@dataclass(frozen=True, slots=True)
class SourceSpec:
    kind: str  # "pattern" | "screen" | "camera" | "file"
    target: str = ""  # the display, the camera device or the file path
    microphone: str = ""  # an ALSA device, cameras only


def parse_source(text: str) -> SourceSpec:
    """The SOURCE string's meaning; ``SourceError`` with a sentence when it cannot mean anything."""
    value = text.strip()
    if not value:
        raise SourceError("Say what to broadcast: pattern, screen, camera or a media file.")
    if value == "pattern":
        return SourceSpec("pattern")
    if value == "screen" or value.startswith("screen:"):
        return SourceSpec("screen", value.partition(":")[2])
    if value == "camera" or value.startswith(("camera:", "camera,")):
        head, _, tail = value.partition(",")
        device = head.partition(":")[2] or DEFAULT_CAMERA
        microphone = ""
        if tail:
            if not tail.startswith("mic:") or not tail[4:]:
                raise SourceError("Name the microphone after the camera as mic:DEVICE, as in camera,mic:hw:0.")
            microphone = tail[4:]
        return SourceSpec("camera", device, microphone)
    return SourceSpec("file", value)


def describe(spec: SourceSpec) -> str:
    if spec.kind == "pattern":
        return "the test pattern with its clock"
    if spec.kind == "screen":
        return f"the screen {spec.target}" if spec.target else "this screen"
    if spec.kind == "camera":
        sound = f" with the microphone {spec.microphone}" if spec.microphone else " without sound"
        return f"the camera {spec.target}{sound}"
    return f"the file {Path(spec.target).name}"


def open_source(spec: SourceSpec, fmt: PictureFormat) -> FrameSource:
    """The frame source for ``spec`` (a missing file or camera is a ``SourceError`` now, not mid-broadcast)."""
    if spec.kind == "pattern":
        return TestPattern(fmt)
    if spec.kind == "screen":
        return CaptureSource(screen_input(spec.target or None, fmt.fps), fmt)
    if spec.kind == "camera":
        sound = microphone_input(spec.microphone) if spec.microphone else None
        return CaptureSource(camera_input(spec.target, fmt.fps), fmt, sound=sound)
    return MediaFileSource(Path(spec.target), fmt, loop=True)
