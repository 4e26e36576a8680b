"""The demo catalog's recipe: five bundles with our own names, their gates, texts, palettes and media plans.

Pure data. The builder (`storefront.demo.build`) turns it into files and publishes them; the media cache is keyed
by a hash of this recipe, so changing a line here rebuilds exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.bundle import BundleKind
from storefront.demo.raster import Palette

SERIES_ID = "lumen-drift"
ALBUM_ID = "harbor-lights"
BOOK_ID = "field-guide-small-stars"
TOOL_ID = "pocket-orrery"
FILM_ID = "paper-moons"

CAMPAIGN_PRICE_CENTS = 995
CAMPAIGN_GOAL_BACKERS = 250_000
CAMPAIGN_DAYS = 42
CAMPAIGN_PLEDGES_IN = 61_482  # backers already in when the demo store opens
# The account every demo bundle belongs to (its sales report, its subscribers). Sign-in is disabled for it:
# ".invalid" can never receive mail, and nobody should hold a password to a creator account shipped with the app.
CREATOR_EMAIL = "creator@demo.bundlecast.invalid"


@dataclass(frozen=True, slots=True)
class SubtitlePlan:
    """A subtitle file shipped beside a video: ``<video stem>.<language>.<srt|vtt>``, cues of (start s, end s, text)."""

    language: str
    format: str  # "srt" or "vtt"
    cues: tuple[tuple[float, float, str], ...]


@dataclass(frozen=True, slots=True)
class VideoPlan:
    path: str
    title: str
    subtitle: str
    seconds: float
    chord_root_hz: float
    release: str | None = None
    subtitle_files: tuple[SubtitlePlan, ...] = ()


@dataclass(frozen=True, slots=True)
class TrackPlan:
    path: str
    title: str
    seconds: float
    root_hz: float
    melody: tuple[int, ...]
    bpm: int


@dataclass(frozen=True, slots=True)
class DemoBundle:
    bundle_id: str
    title: str
    creator: str
    kind: BundleKind
    gate: str  # free | email | paid | pwyw | campaign
    price: str | None  # dollars: the price, or the minimum for pwyw
    summary: str
    description: str
    palette: Palette
    lock: tuple[str, ...] = ()
    videos: tuple[VideoPlan, ...] = ()
    tracks: tuple[TrackPlan, ...] = ()
    releases: tuple[tuple[str, str], ...] = ()  # (release id, title)
    extras: tuple[str, ...] = field(default=())  # generated files by name: "ebook", "tool", "cover"


_PILOT_LINES_EN = (
    "Petrel, this is the lighthouse. Do you read?", "It's drifting. Nobody builds lighthouses out here.",
    "Then somebody lost one.", "Tow lines ready. We follow it home.", "Home is forty light-years the wrong way.",
    "Then we'd better start now.",
)
_PILOT_LINES_ES = (
    "Petrel, aquí el faro. ¿Me recibe?", "Va a la deriva. Nadie construye faros aquí fuera.",
    "Entonces alguien perdió uno.", "Cables listos. Lo seguimos a casa.", "Casa está a cuarenta años luz al revés.",
    "Pues mejor empezar ya.",
)


def _cues(lines: tuple[str, ...], seconds: float) -> tuple[tuple[float, float, str], ...]:
    """One line every few seconds for the whole video, so a subtitle is on screen at any moment."""
    step = seconds / 30
    return tuple((n * step, (n + 1) * step - 0.2, lines[n % len(lines)]) for n in range(30))


_EPISODES = (
    "The Long Orbit",
    "Salt and Static",
    "A Map of Quiet",
    "Drift Protocol",
    "Glass Harvest",
    "The Lantern Fleet",
    "Undertow",
    "First Landfall",
)

DEMO_BUNDLES: tuple[DemoBundle, ...] = (
    DemoBundle(
        bundle_id=SERIES_ID,
        title="Lumen Drift: Season One",
        creator="Kestrel Nine Studio",
        kind=BundleKind.SERIES,
        gate="campaign",
        price="9.95",
        summary="A salvage crew follows a drifting lighthouse across a dark sea of stars. Pilot free; "
        "eight episodes get made if 250,000 fans back them.",
        description="Lumen Drift follows the crew of the Petrel, a salvage tug that finds a lighthouse adrift "
        "between the stars and decides to follow it home. The pilot is free for everyone. Eight more episodes "
        "are produced only if 250,000 backers pledge $9.95 before the deadline: all or nothing, nobody pays "
        "if the goal is missed. Backers get every episode as it is released.",
        palette=Palette((6, 10, 38), (70, 24, 96), (240, 140, 50)),
        lock=("episodes/*",),
        videos=(
            VideoPlan("pilot.mp4", "LUMEN DRIFT", "PILOT - FIRST LIGHT", 120, 110.0, "pilot", (
                SubtitlePlan("en", "srt", _cues(_PILOT_LINES_EN, 120)),
                SubtitlePlan("es", "vtt", _cues(_PILOT_LINES_ES, 120)),
            )),
            *(
                VideoPlan(
                    f"episodes/episode-{n:02d}.mp4",
                    "LUMEN DRIFT",
                    f"EPISODE {n} - {name}",
                    20,
                    110.0 * 2 ** (n / 12),
                    f"e{n:02d}",
                )
                for n, name in enumerate(_EPISODES, start=1)
            ),
        ),
        releases=(
            ("pilot", "Pilot: First Light"),
            *((f"e{n:02d}", f"Episode {n}: {name}") for n, name in enumerate(_EPISODES, start=1)),
        ),
        extras=("cover",),
    ),
    DemoBundle(
        bundle_id=ALBUM_ID,
        title="Harbor Lights",
        creator="The Quiet Orbitals",
        kind=BundleKind.MUSIC,
        gate="paid",
        price="7.00",
        summary="Four warm synth instrumentals for late ferries and long nights. First track free.",
        description="Harbor Lights is the second album by The Quiet Orbitals: four short instrumentals built "
        "from plucked leads and slow bass lines. The opening track is free to stream; buy the album to unlock "
        "the other three.",
        palette=Palette((8, 40, 60), (10, 90, 110), (250, 210, 120)),
        lock=("0[2-9]*",),
        tracks=(
            TrackPlan("01 - Low Tide Signal.mp3", "Low Tide Signal", 30, 220.0, (0, 4, 7, 12, 7, 4, 2, 4), 108),
            TrackPlan("02 - Ferry at Nine.mp3", "Ferry at Nine", 30, 196.0, (0, 3, 7, 10, 7, 3, 5, 3), 96),
            TrackPlan("03 - Lanterns.mp3", "Lanterns", 30, 246.9, (0, 2, 4, 7, 9, 7, 4, 2), 120),
            TrackPlan("04 - Breakwater.mp3", "Breakwater", 30, 174.6, (0, 5, 7, 12, 10, 7, 5, 0), 90),
        ),
        extras=("cover",),
    ),
    DemoBundle(
        bundle_id=BOOK_ID,
        title="A Field Guide to Small Stars",
        creator="Ines Varga",
        kind=BundleKind.BOOK,
        gate="email",
        price=None,
        summary="A pocket guide to red dwarfs, brown dwarfs and the other quiet lights of the sky. "
        "Free for your e-mail address.",
        description="Most stars are small, dim and long-lived. This short illustrated e-book (EPUB) walks "
        "through them one by one, with notes for backyard observers. Free: leave your e-mail address and "
        "confirm it.",
        palette=Palette((20, 16, 30), (120, 40, 40), (255, 180, 90)),
        lock=("*.epub",),
        extras=("ebook", "cover"),
    ),
    DemoBundle(
        bundle_id=TOOL_ID,
        title="Pocket Orrery",
        creator="Tern Lab",
        kind=BundleKind.SOFTWARE,
        gate="free",
        price=None,
        summary="A tiny command-line orrery: where the planets are tonight, drawn in your terminal.",
        description="Pocket Orrery prints the positions of the eight planets around the Sun for any date, as "
        "a text drawing. One Python file, no dependencies, public domain.",
        palette=Palette((10, 30, 20), (20, 90, 60), (170, 240, 160)),
        extras=("tool", "cover"),
    ),
    DemoBundle(
        bundle_id=FILM_ID,
        title="Paper Moons",
        creator="Alder & Finch",
        kind=BundleKind.FILM,
        gate="pwyw",
        price="1.00",
        summary="A short film about two kids who hang paper moons over a sleeping town. Pay what you want.",
        description="Paper Moons is a half-minute animated short by Alder & Finch. Pay what you want, from "
        "$1.00; every cent goes to their next film, minus the store's small fee.",
        palette=Palette((30, 30, 60), (200, 170, 120), (255, 250, 230)),
        lock=("*.mp4",),
        videos=(VideoPlan("paper-moons.mp4", "PAPER MOONS", "A SHORT FILM BY ALDER & FINCH", 30, 130.8),),
        extras=("cover",),
    ),
)
