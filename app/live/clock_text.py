"""A clock a person can read, drawn into a picture's luminance: ``HH:MM:SS.t`` (UTC) in a blocky 3x5 font.

The test pattern shows it under the machine-readable band (``app.live.clock_stamp``), so whoever watches a test
broadcast sees the time it was captured next to their own clock. Pure; any thread.
"""

from __future__ import annotations

import time

# Each glyph: five rows of three cells, "#" lit.
_GLYPHS = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", ".#.", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ":": ("...", ".#.", "...", ".#.", "..."),
    ".": ("...", "...", "...", "...", ".#."),
}
WHITE, BLACK = 235, 16


def clock_text(capture_ms: int) -> str:
    """``HH:MM:SS.t`` of a unix time in milliseconds (UTC, tenths of a second)."""
    seconds = capture_ms // 1000
    return time.strftime("%H:%M:%S", time.gmtime(seconds)) + f".{capture_ms % 1000 // 100}"


def draw_text(luma: bytearray, width: int, text: str, *, x: int, y: int, scale: int) -> None:
    """Draw ``text`` (digits, ':' and '.') white on black into a ``width``-wide luminance plane at (x, y).

    Nothing is drawn when the text does not fit (the plane's size never changes)."""
    cell = scale
    box_w = (len(text) * 4 + 1) * cell
    box_h = 7 * cell
    if x + box_w > width or (y + box_h) * width > len(luma):
        return
    black_row = bytes([BLACK]) * min(box_w, width - x)
    for row in range(box_h):
        start = (y + row) * width + x
        luma[start : start + len(black_row)] = black_row
    for index, char in enumerate(text):
        glyph = _GLYPHS.get(char)
        if glyph is None:
            continue
        left = x + (1 + index * 4) * cell
        for gy, line in enumerate(glyph):
            for gx, lit in enumerate(line):
                if lit != "#" or left + (gx + 1) * cell > width:
                    continue
                for dy in range(cell):
                    start = (y + (1 + gy) * cell + dy) * width + left + gx * cell
                    luma[start : start + cell] = bytes([WHITE]) * cell
