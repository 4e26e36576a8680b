"""A machine-readable clock burnt into every picture, so delay is measured glass to glass.

The top band of a picture holds 40 cells, black or white: 32 bits of the capture time (unix milliseconds modulo
2**32, about 49 days — plenty to compare with the viewer's clock) and an 8-bit checksum (the sum of the four
bytes). A decoder reads the cells' centres from the luminance of any scaled copy of the picture, so it works on
the encoder's frame, on PyAV's decoded frame and on VLC's RV32 callback buffer alike. Pure; any thread.
"""

from __future__ import annotations

from collections.abc import Callable

CELLS = 40
BAND_FRACTION = 1 / 15  # the band's height as a share of the picture's height (24 rows at 360)
_MOD = 1 << 32


def clock_bits(capture_ms: int) -> list[int]:
    """The 40 cells (1 white, 0 black) that encode ``capture_ms``."""
    value = capture_ms % _MOD
    raw = value.to_bytes(4, "big")
    checksum = sum(raw) % 256
    word = (value << 8) | checksum
    return [(word >> (CELLS - 1 - i)) & 1 for i in range(CELLS)]


def band_rows(capture_ms: int, width: int, height: int) -> tuple[int, bytes]:
    """How many rows the band takes, and one luminance row of it (Y plane, full range 16…235)."""
    rows = max(8, round(height * BAND_FRACTION))
    bits = clock_bits(capture_ms)
    row = bytearray(width)
    for x in range(width):
        cell = min(CELLS - 1, x * CELLS // width)
        row[x] = 235 if bits[cell] else 16
    return rows, bytes(row)


def read_clock(luma_at: Callable[[int, int], int], width: int, height: int) -> int | None:
    """The capture time (ms mod 2**32) a picture carries, or None if its band does not decode.

    ``luma_at(x, y)`` gives the brightness (0…255) of a pixel of a ``width`` x ``height`` picture.
    """
    y = max(0, int(height * BAND_FRACTION / 2))
    word = 0
    for i in range(CELLS):
        x = int((i + 0.5) * width / CELLS)
        word = (word << 1) | (1 if luma_at(x, y) >= 128 else 0)
    value, checksum = word >> 8, word & 0xFF
    if sum(value.to_bytes(4, "big")) % 256 != checksum:
        return None
    return value


def delay_ms(capture_mod_ms: int, now_ms: int) -> int:
    """How far ``now_ms`` (unix ms) is behind a clock read from a picture (ms mod 2**32)."""
    return (now_ms - capture_mod_ms) % _MOD
