"""Cover art for the demo catalog: PNG posters drawn with the store's tiny rasterizer (no Qt in the store).

A cover is a palette gradient, a few bands and a disc-like stack of bars as a motif, the title wrapped in large
letters, the creator's name and a kind label. Deterministic for a given recipe, so cached builds match.
Pure; runs on the demo builder's thread.
"""

from __future__ import annotations

from storefront.demo.raster import GLYPH_H, Palette, RgbImage, text_width

COVER_SIZE = (600, 800)


def wrap_words(text: str, scale: int, max_width: int) -> list[str]:
    """Greedy word wrap for the bitmap font at ``scale``."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and text_width(candidate, scale) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def draw_cover(title: str, creator: str, label: str, palette: Palette) -> bytes:
    """The PNG bytes of a 600x800 cover."""
    width, height = COVER_SIZE
    image = RgbImage(width, height)
    accent = palette.accent
    image.vertical_gradient(palette.top, palette.bottom)
    # A stack of shrinking bars reads as a planet or a record at thumbnail size.
    centre_x, centre_y, radius = width // 2, 330, 150
    for step in range(-radius, radius, 6):
        half = int((radius * radius - step * step) ** 0.5)
        shade = tuple(min(255, c + (step + radius) // 6) for c in accent)
        image.fill_rect(centre_x - half, centre_y + step, 2 * half, 4, shade)
    image.fill_rect(0, 90, width, 6, accent)
    image.fill_rect(0, height - 135, width, 4, accent)
    scale = 7
    lines = wrap_words(title.upper(), scale, width - 60)
    while len(lines) > 2 and scale > 3:
        scale -= 1
        lines = wrap_words(title.upper(), scale, width - 60)
    y = 505
    for line in lines:
        image.draw_text_centered(y, line, scale, (250, 248, 240))
        y += (GLYPH_H + 3) * scale
    image.draw_text_centered(height - 105, creator.upper(), 3, (235, 235, 235))
    image.draw_text_centered(40, label.upper(), 3, accent)
    return image.png_bytes()
