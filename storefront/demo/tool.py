"""The demo's free software bundle: "Pocket Orrery", a one-file command-line orrery, zipped with its README.

The program inside is real and runs with any Python 3: it places the planets on circular orbits from their
J2000 mean longitudes and mean daily motions, and draws them as text. Pure; runs on the demo builder's thread.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

ORRERY_PY = '''"""Pocket Orrery: where the planets are on a date, drawn in the terminal. Public domain (CC0)."""
import datetime
import math
import sys

# name, symbol, semi-major axis (AU), mean longitude at J2000 (deg), mean motion (deg/day)
PLANETS = [
    ("Mercury", "m", 0.387, 252.25, 4.09233), ("Venus", "v", 0.723, 181.98, 1.60213),
    ("Earth", "E", 1.000, 100.46, 0.98561), ("Mars", "M", 1.524, 355.43, 0.52403),
    ("Jupiter", "J", 5.203, 34.35, 0.08309), ("Saturn", "S", 9.537, 50.08, 0.03346),
    ("Uranus", "U", 19.19, 314.06, 0.01173), ("Neptune", "N", 30.07, 304.35, 0.00598),
]
J2000 = datetime.date(2000, 1, 1)


def positions(day):
    days = (day - J2000).days
    for name, symbol, axis, longitude, motion in PLANETS:
        angle = math.radians((longitude + motion * days) % 360)
        yield name, symbol, axis, angle


def draw(day, size=23):
    grid = [[" "] * (2 * size + 1) for _ in range(size + 1)]
    grid[size // 2][size] = "*"
    for _name, symbol, axis, angle in positions(day):
        radius = math.log1p(axis) / math.log1p(30.07) * (size // 2)
        x = size + round(2 * radius * math.cos(angle))
        y = size // 2 - round(radius * math.sin(angle))
        grid[y][x] = symbol
    return "\\n".join("".join(row) for row in grid)


if __name__ == "__main__":
    when = datetime.date.fromisoformat(sys.argv[1]) if len(sys.argv) > 1 else datetime.date.today()
    print(f"The solar system on {when} (log scale, * is the Sun)")
    print(draw(when))
    for name, _symbol, _axis, angle in positions(when):
        print(f"{name:8} {math.degrees(angle):6.1f} deg")
'''

README = """Pocket Orrery 1.0 - by Tern Lab

Where are the planets tonight? Run:

    python3 orrery.py            # today
    python3 orrery.py 2031-07-04 # any date

Circular orbits from J2000 mean elements: good to a few degrees, which is plenty for a
terminal. Public domain (CC0 1.0): copy, change and share it freely.
"""


def write_tool_zip(path: Path) -> None:
    """Write the tool's release zip (fixed timestamps, so the bytes are the same on every build)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("pocket-orrery/orrery.py", ORRERY_PY), ("pocket-orrery/README.txt", README)):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), text)


def readme_text() -> str:
    return README
