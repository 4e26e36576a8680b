"""The demo e-book's text, "A Field Guide to Small Stars" (written for Bundlecast's demo catalog). Pure data."""

from __future__ import annotations

BOOK_CHAPTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Why Small Stars",
        (
            "Look up on a clear night and almost every star you see is bigger and brighter than the Sun. "
            "That is a trick of distance: bright stars are visible from far away, dim ones only from nearby.",
            "Count the stars within thirty light-years instead and the picture turns over. Three out of four "
            "are red dwarfs, too faint to see without a telescope, quietly burning for trillions of years.",
            "This guide is about them, and about the even dimmer objects that never quite became stars.",
        ),
    ),
    (
        "Red Dwarfs",
        (
            "A red dwarf has between a tenth and half the mass of the Sun. Its core is cool enough that it "
            "spends its hydrogen slowly, and its interior churns, so fresh fuel keeps reaching the centre.",
            "The result is a star that outlives everything: none of the red dwarfs born since the Big Bang "
            "has yet had time to grow old.",
            "Observer's note: the nearest, Proxima Centauri, shines at magnitude eleven. A small telescope "
            "and a dark southern sky will show it as a faint orange point.",
        ),
    ),
    (
        "Brown Dwarfs",
        (
            "Below about eight percent of the Sun's mass, a ball of gas never lights hydrogen for good. "
            "It glows from the heat of its own contraction and fades over billions of years.",
            "The coolest brown dwarfs known are no warmer than a summer afternoon, and their light is almost "
            "all infrared. They were found by space telescopes, not by eye.",
        ),
    ),
    (
        "Flares and Planets",
        (
            "Small stars are restless. Their magnetic fields tangle and snap, and a red dwarf can brighten "
            "several times over in minutes during a flare.",
            "Many of them have planets, some in orbits where water could stay liquid. Whether those worlds "
            "can keep their air under such a temperamental star is one of the open questions of our time.",
            "Next clear night, find the faintest star you can, and remember: it is probably the common kind.",
        ),
    ),
)
