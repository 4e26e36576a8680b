"""Tiny raster drawing without any image library: 8-bit planes, rectangles, gradients, a 5x7 bitmap font, PNG.

The demo catalog draws its covers and video frames with this (no Qt in the store, no numpy dependency): a
`Plane` is one byte per pixel (a Y, U, V or R, G, B channel) and every operation is a run of C-level slice
assignments, so a 1280x720 frame costs well under a millisecond of Python. Pure; safe from any thread.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# 5x7 glyphs: 7 rows of 5 columns separated by '|', '#' lit. Lowercase letters are drawn as capitals.
_FONT = {
    "A": " ### |#   #|#   #|#####|#   #|#   #|#   #",
    "B": "#### |#   #|#   #|#### |#   #|#   #|#### ",
    "C": " ### |#   #|#    |#    |#    |#   #| ### ",
    "D": "#### |#   #|#   #|#   #|#   #|#   #|#### ",
    "E": "#####|#    |#    |#### |#    |#    |#####",
    "F": "#####|#    |#    |#### |#    |#    |#    ",
    "G": " ### |#   #|#    |# ###|#   #|#   #| ####",
    "H": "#   #|#   #|#   #|#####|#   #|#   #|#   #",
    "I": " ### |  #  |  #  |  #  |  #  |  #  | ### ",
    "J": "  ###|   # |   # |   # |   # |#  # | ##  ",
    "K": "#   #|#  # |# #  |##   |# #  |#  # |#   #",
    "L": "#    |#    |#    |#    |#    |#    |#####",
    "M": "#   #|## ##|# # #|#   #|#   #|#   #|#   #",
    "N": "#   #|##  #|# # #|#  ##|#   #|#   #|#   #",
    "O": " ### |#   #|#   #|#   #|#   #|#   #| ### ",
    "P": "#### |#   #|#   #|#### |#    |#    |#    ",
    "Q": " ### |#   #|#   #|#   #|# # #|#  # | ## #",
    "R": "#### |#   #|#   #|#### |# #  |#  # |#   #",
    "S": " ####|#    |#    | ### |    #|    #|#### ",
    "T": "#####|  #  |  #  |  #  |  #  |  #  |  #  ",
    "U": "#   #|#   #|#   #|#   #|#   #|#   #| ### ",
    "V": "#   #|#   #|#   #|#   #|#   #| # # |  #  ",
    "W": "#   #|#   #|#   #|# # #|# # #|# # #| # # ",
    "X": "#   #|#   #| # # |  #  | # # |#   #|#   #",
    "Y": "#   #|#   #| # # |  #  |  #  |  #  |  #  ",
    "Z": "#####|    #|   # |  #  | #   |#    |#####",
    "0": " ### |#   #|#  ##|# # #|##  #|#   #| ### ",
    "1": "  #  | ##  |  #  |  #  |  #  |  #  | ### ",
    "2": " ### |#   #|    #|   # |  #  | #   |#####",
    "3": "#####|   # |  #  |   # |    #|#   #| ### ",
    "4": "   # |  ## | # # |#  # |#####|   # |   # ",
    "5": "#####|#    |#### |    #|    #|#   #| ### ",
    "6": "  ## | #   |#    |#### |#   #|#   #| ### ",
    "7": "#####|    #|   # |  #  | #   | #   | #   ",
    "8": " ### |#   #|#   #| ### |#   #|#   #| ### ",
    "9": " ### |#   #|#   #| ####|    #|   # | ##  ",
    " ": "     |     |     |     |     |     |     ",
    "-": "     |     |     | ### |     |     |     ",
    ".": "     |     |     |     |     | ##  | ##  ",
    ",": "     |     |     |     | ##  |  #  | #   ",
    ":": "     | ##  | ##  |     | ##  | ##  |     ",
    "'": "  #  |  #  |     |     |     |     |     ",
    "!": "  #  |  #  |  #  |  #  |  #  |     |  #  ",
    "?": " ### |#   #|    #|   # |  #  |     |  #  ",
    "&": " ##  |#  # |# #  | #   |# # #|#  # | ## #",
    "$": "  #  | ####|# #  | ### |  # #|#### |  #  ",
    "/": "    #|    #|   # |  #  | #   |#    |#    ",
    "#": " # # | # # |#####| # # |#####| # # |     ",
}
GLYPH_W, GLYPH_H = 5, 7

Rgb = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Palette:
    """The three colours a demo bundle's cover and video share."""

    top: Rgb
    bottom: Rgb
    accent: Rgb


def text_width(text: str, scale: int) -> int:
    """Pixels that ``text`` takes at ``scale`` (one blank column between glyphs)."""
    return max(0, len(text) * (GLYPH_W + 1) * scale - scale)


class Plane:
    """One 8-bit channel of an image, row-major."""

    def __init__(self, width: int, height: int, value: int = 0) -> None:
        self.width = width
        self.height = height
        self.data = bytearray([value]) * (width * height)

    @classmethod
    def copy_of(cls, other: Plane) -> Plane:
        plane = cls(0, 0)
        plane.width, plane.height, plane.data = other.width, other.height, bytearray(other.data)
        return plane

    def fill_rect(self, x: int, y: int, w: int, h: int, value: int) -> None:
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        if x1 <= x0 or y1 <= y0:
            return
        run = bytes([value]) * (x1 - x0)
        for row in range(y0, y1):
            start = row * self.width + x0
            self.data[start : start + len(run)] = run

    def vertical_gradient(self, top: int, bottom: int) -> None:
        for row in range(self.height):
            value = top + (bottom - top) * row // max(1, self.height - 1)
            self.data[row * self.width : (row + 1) * self.width] = bytes([value]) * self.width

    def draw_text(self, x: int, y: int, text: str, scale: int, value: int) -> None:
        for index, char in enumerate(text.upper()):
            rows = _FONT.get(char, _FONT["?"]).replace("|", "")
            gx = x + index * (GLYPH_W + 1) * scale
            for gy in range(GLYPH_H):
                for col in range(GLYPH_W):
                    if rows[gy * GLYPH_W + col] == "#":
                        self.fill_rect(gx + col * scale, y + gy * scale, scale, scale, value)

    def paste(self, other: Plane, x: int, y: int) -> None:
        """Copy ``other`` in at (x, y), clipped to this plane."""
        x0, x1 = max(0, x), min(self.width, x + other.width)
        if x1 <= x0:
            return
        for row in range(max(0, y), min(self.height, y + other.height)):
            src = (row - y) * other.width + (x0 - x)
            dst = row * self.width + x0
            self.data[dst : dst + (x1 - x0)] = other.data[src : src + (x1 - x0)]


class RgbImage:
    """Three planes drawn together with RGB colours; saved as PNG."""

    def __init__(self, width: int, height: int, rgb: Sequence[int] = (0, 0, 0)) -> None:
        self.width, self.height = width, height
        self.planes = [Plane(width, height, c) for c in rgb]

    def fill_rect(self, x: int, y: int, w: int, h: int, rgb: Sequence[int]) -> None:
        for plane, c in zip(self.planes, rgb, strict=True):
            plane.fill_rect(x, y, w, h, c)

    def vertical_gradient(self, top: Sequence[int], bottom: Sequence[int]) -> None:
        for plane, a, b in zip(self.planes, top, bottom, strict=True):
            plane.vertical_gradient(a, b)

    def draw_text(self, x: int, y: int, text: str, scale: int, rgb: Sequence[int]) -> None:
        for plane, c in zip(self.planes, rgb, strict=True):
            plane.draw_text(x, y, text, scale, c)

    def draw_text_centered(self, y: int, text: str, scale: int, rgb: Sequence[int]) -> None:
        self.draw_text((self.width - text_width(text, scale)) // 2, y, text, scale, rgb)

    def rgb_bytes(self) -> bytes:
        out = bytearray(self.width * self.height * 3)
        for channel, plane in enumerate(self.planes):
            out[channel::3] = plane.data
        return bytes(out)

    def png_bytes(self) -> bytes:
        return encode_png(self.width, self.height, self.rgb_bytes())

    def save_png(self, path: Path) -> None:
        path.write_bytes(self.png_bytes())


def encode_png(width: int, height: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG (filter 0 on every row)."""
    stride = width * 3
    raw = b"".join(b"\x00" + rgb[row * stride : (row + 1) * stride] for row in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
