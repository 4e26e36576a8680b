"""The VLC wrapper: one libvlc instance for the app, a media player per page, typed playback events.

libvlc is not re-entrant (FIELD-NOTES): its event callbacks run on VLC's own threads and may not call back
into libvlc, so each callback only turns the VLC event into a small frozen ``PlaybackEvent`` and hands it to
``on_event`` — which must itself only enqueue (the player page emits a queued Qt signal; tests put it in a
queue). Every control verb is called from the owner's thread (the UI thread in the app).

The video is drawn into a native window by its id (``set_xwindow`` / ``set_hwnd`` / ``set_nsobject``), or
nowhere when the instance is headless (``--vout=dummy --aout=dummy``, for tests and benchmarks).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.player.errors import VideoBackendError

log = logging.getLogger(__name__)

# VLC buffers 1 s of a network stream by default; ours is on loopback and the server already waits for the swarm.
# Measured at 2x bitrate (bench/stream.py), seek to first frame: 1,000 ms -> 3.1 s, 300 -> 2.5 s, 100 -> 2.0 s.
DEFAULT_NETWORK_CACHING_MS = 100
# A live stream: how much late data VLC may absorb by raising its own delay. VLC raises it by each late PCR and never
# lowers it (5,000 ms allowed by default): every stall of the swarm's play-out added to the picture's delay for the
# rest of the broadcast, while the play-out itself gave the lag back by skipping. Past this, VLC resets its clock
# to the base delay instead (the picture, frozen by the stall anyway, resumes at the live edge).
LIVE_CLOCK_JITTER_MS = 150


@dataclass(frozen=True, slots=True)
class PlaybackEvent:
    """Base of every event the video player reports."""


@dataclass(frozen=True, slots=True)
class Opening(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True)
class Buffering(PlaybackEvent):
    percent: float


@dataclass(frozen=True, slots=True)
class Playing(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True)
class Paused(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True)
class Stopped(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True)
class VideoStarted(PlaybackEvent):
    """A video output exists: the first picture is being shown (a far better signal than the first time tick)."""


@dataclass(frozen=True, slots=True)
class FrameShown(PlaybackEvent):
    """A picture reached the (probe) display; only with ``probe_frames`` — benchmarks and tests."""


@dataclass(frozen=True, slots=True)
class TimeChanged(PlaybackEvent):
    time_ms: int


@dataclass(frozen=True, slots=True)
class LengthChanged(PlaybackEvent):
    length_ms: int


@dataclass(frozen=True, slots=True)
class EndReached(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True)
class PlaybackFailed(PlaybackEvent):
    message: str


EventSink = Callable[[PlaybackEvent], None]


class VideoBackend:
    """The app's one libvlc instance. Build it once in the composition root and share it."""

    def __init__(
        self, *, headless: bool = False, network_caching_ms: int = DEFAULT_NETWORK_CACHING_MS, args: Sequence[str] = ()
    ) -> None:
        try:
            import vlc
        except (ImportError, OSError) as error:
            log.warning("libvlc cannot be loaded: %s", error)
            raise VideoBackendError("VLC is not available on this computer. Install VLC to play.") from error
        self._vlc: Any = vlc
        argv = ["--no-video-title-show", "--quiet", *args]
        if headless:
            argv += ["--vout=dummy", "--aout=dummy"]
        self._instance: Any = vlc.Instance(argv)
        if self._instance is None:
            raise VideoBackendError("VLC could not start. Reinstalling VLC usually fixes this.")
        self._network_caching_ms = network_caching_ms

    def create_player(self, on_event: EventSink, *, probe_frames: bool = False) -> VideoPlayer:
        """A new media player whose events go to ``on_event`` (called on a VLC thread: enqueue only).

        ``probe_frames`` renders into a small memory buffer instead of a window and reports each picture
        shown as ``FrameShown`` — the exact first-frame moment the benchmark needs (VLC's vout event fires
        once per output, not after a seek).
        """
        player = VideoPlayer(self._vlc, self._instance, on_event, self._network_caching_ms)
        if probe_frames:
            player.probe_frames()
        return player

    def release(self) -> None:
        self._instance.release()


class VideoPlayer:
    """One media player: open a URL, play, pause, seek, volume, draw into a window."""

    def __init__(self, vlc: Any, instance: Any, on_event: EventSink, network_caching_ms: int) -> None:
        self._vlc = vlc
        self._instance = instance
        self._on_event = on_event
        self._network_caching_ms = network_caching_ms
        self._player: Any = instance.media_player_new()
        self._attach_events()

    def _attach_events(self) -> None:
        kinds = self._vlc.EventType
        manager = self._player.event_manager()
        table: dict[Any, Callable[[Any], PlaybackEvent]] = {
            kinds.MediaPlayerOpening: lambda _e: Opening(),
            kinds.MediaPlayerBuffering: lambda e: Buffering(float(e.u.new_cache)),
            kinds.MediaPlayerPlaying: lambda _e: Playing(),
            kinds.MediaPlayerPaused: lambda _e: Paused(),
            kinds.MediaPlayerStopped: lambda _e: Stopped(),
            kinds.MediaPlayerVout: lambda e: VideoStarted(),
            kinds.MediaPlayerTimeChanged: lambda e: TimeChanged(int(e.u.new_time)),
            kinds.MediaPlayerLengthChanged: lambda e: LengthChanged(int(e.u.new_length)),
            kinds.MediaPlayerEndReached: lambda _e: EndReached(),
            kinds.MediaPlayerEncounteredError: lambda _e: PlaybackFailed("The video could not be played."),
        }
        for kind, make in table.items():
            manager.event_attach(kind, self._forward, make)

    def _forward(self, event: Any, make: Callable[[Any], PlaybackEvent]) -> None:
        # On a VLC thread: build the message and hand it over, nothing else (libvlc is not re-entrant).
        if event.type == self._vlc.EventType.MediaPlayerVout and int(event.u.new_count) == 0:
            return
        try:
            self._on_event(make(event))
        except Exception:  # a failing sink must not unwind into libvlc
            log.exception("player event sink failed")

    def probe_frames(self) -> None:
        """Render into a 160x90 RV32 buffer and report every displayed picture as ``FrameShown``."""
        import ctypes

        width, height = 160, 90
        buffer = ctypes.create_string_buffer(width * height * 4)
        address = ctypes.addressof(buffer)
        decorators = self._vlc.CallbackDecorators

        @decorators.VideoLockCb
        def lock(_opaque: Any, planes: Any) -> None:
            planes[0] = address

        @decorators.VideoUnlockCb
        def unlock(_opaque: Any, _picture: Any, _planes: Any) -> None:
            return None

        @decorators.VideoDisplayCb
        def display(_opaque: Any, _picture: Any) -> None:
            self._on_event(FrameShown())

        # ctypes callbacks must outlive the player: keep them on the object.
        self._probe = (buffer, lock, unlock, display)
        self._player.video_set_callbacks(lock, unlock, display, None)
        self._player.video_set_format("RV32", width, height, width * 4)

    def tap_pictures(self, width: int, height: int, on_picture: Callable[[bytes], None]) -> None:
        """Render into a ``width`` x ``height`` RV32 buffer and hand a copy of every displayed picture to
        ``on_picture`` (on a VLC thread: enqueue only) — how a test or the live bench reads a clock in the picture.
        """
        import ctypes

        buffer = ctypes.create_string_buffer(width * height * 4)
        address = ctypes.addressof(buffer)
        decorators = self._vlc.CallbackDecorators

        @decorators.VideoLockCb
        def lock(_opaque: Any, planes: Any) -> None:
            planes[0] = address

        @decorators.VideoUnlockCb
        def unlock(_opaque: Any, _picture: Any, _planes: Any) -> None:
            return None

        @decorators.VideoDisplayCb
        def display(_opaque: Any, _picture: Any) -> None:
            try:
                on_picture(buffer.raw)
            except Exception:  # a failing sink must not unwind into libvlc
                log.exception("picture tap failed")

        self._probe = (buffer, lock, unlock, display)
        self._player.video_set_callbacks(lock, unlock, display, None)
        self._player.video_set_format("RV32", width, height, width * 4)

    def open(self, url: str, *, start_s: float = 0.0, live: bool = False) -> None:
        """Load ``url`` (starting at ``start_s`` seconds) and start playing; ``live``: a live broadcast, whose
        delay VLC must not let grow (``LIVE_CLOCK_JITTER_MS``)."""
        media = self._instance.media_new(url)
        media.add_option(f":network-caching={self._network_caching_ms}")
        if live:
            media.add_option(f":clock-jitter={LIVE_CLOCK_JITTER_MS}")
        # A seek shows the keyframe at or before the target at once instead of decoding up to the exact moment:
        # after a seek into a part still downloading, that is one piece of the torrent to wait for, not two
        # (bench/stream.py: first picture after a seek 2.49 -> 1.51 s, medians of 15 and 30; FIELD-NOTES-FOUND).
        media.add_option(":input-fast-seek")
        if start_s > 0:
            media.add_option(f":start-time={start_s:.3f}")
        self._player.set_media(media)
        media.release()
        if self._player.play() != 0:
            raise VideoBackendError("VLC refused to start playing this file.")

    def play(self) -> None:
        self._player.set_pause(0)

    def pause(self) -> None:
        self._player.set_pause(1)

    def stop(self) -> None:
        self._player.stop()

    def seek_fraction(self, fraction: float) -> None:
        """Jump to ``fraction`` (0…1) of the file's duration."""
        self._player.set_position(min(max(fraction, 0.0), 0.999))

    def seek_ms(self, time_ms: int) -> None:
        self._player.set_time(max(0, int(time_ms)))

    @property
    def time_ms(self) -> int:
        return int(self._player.get_time())

    @property
    def length_ms(self) -> int:
        return int(self._player.get_length())

    @property
    def is_playing(self) -> bool:
        return bool(self._player.is_playing())

    @property
    def volume(self) -> int:
        return int(self._player.audio_get_volume())

    def set_volume(self, volume: int) -> None:
        self._player.audio_set_volume(min(max(int(volume), 0), 100))

    @property
    def muted(self) -> bool:
        return bool(self._player.audio_get_mute())

    def set_muted(self, muted: bool) -> None:
        self._player.audio_set_mute(bool(muted))

    @property
    def rate(self) -> float:
        return float(self._player.get_rate())

    def set_rate(self, rate: float) -> None:
        """Playback speed (1.0 normal); VLC keeps the pitch."""
        self._player.set_rate(float(rate))

    def add_subtitle(self, url: str, *, select: bool) -> bool:
        """Add a subtitle file (SRT, WebVTT …) by URL to what plays now; ``select`` shows it at once."""
        return int(self._player.add_slave(self._vlc.MediaSlaveType.subtitle, url, bool(select))) == 0

    def subtitle_tracks(self) -> list[tuple[int, str]]:
        """The subtitle tracks VLC knows for what plays now, as (id, name), without "Disable"."""
        tracks = self._player.video_get_spu_description() or []
        return [(int(track_id), _text(name)) for track_id, name in tracks if int(track_id) >= 0]

    @property
    def subtitle_track(self) -> int:
        """The id of the subtitle track shown, -1 when none is."""
        return int(self._player.video_get_spu())

    def set_subtitle_track(self, track_id: int) -> bool:
        """Show the track ``track_id`` (from ``subtitle_tracks``), or none with -1."""
        return int(self._player.video_set_spu(int(track_id))) == 0

    def set_window(self, handle: int) -> None:
        """Draw the video into the native window ``handle`` (Qt: ``int(widget.winId())``)."""
        # The window's owner (Qt) handles the mouse and keys: VLC would swallow them over the picture.
        self._player.video_set_mouse_input(False)
        self._player.video_set_key_input(False)
        if sys.platform.startswith("linux"):
            self._player.set_xwindow(handle)
        elif sys.platform == "win32":
            self._player.set_hwnd(handle)
        elif sys.platform == "darwin":
            self._player.set_nsobject(handle)

    def release(self) -> None:
        """Stop and free the player; no event is delivered after this returns."""
        kinds = self._vlc.EventType
        manager = self._player.event_manager()
        for kind in (
            kinds.MediaPlayerOpening,
            kinds.MediaPlayerBuffering,
            kinds.MediaPlayerPlaying,
            kinds.MediaPlayerPaused,
            kinds.MediaPlayerStopped,
            kinds.MediaPlayerVout,
            kinds.MediaPlayerTimeChanged,
            kinds.MediaPlayerLengthChanged,
            kinds.MediaPlayerEndReached,
            kinds.MediaPlayerEncounteredError,
        ):
            manager.event_detach(kind)
        self._player.stop()
        self._player.release()


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
