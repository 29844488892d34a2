"""The two icons of the Teams app, drawn with Pillow: a tick inside a ring.

Teams wants `color.png`, 192×192 in full colour, and `outline.png`, 32×32, white on a
transparent background and nothing else. Both are drawn four times larger and scaled down,
which smooths the edges; the outline's every pixel is white and only its alpha varies.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

COLOR_SIZE = 192
OUTLINE_SIZE = 32
WHITE = (255, 255, 255)
_OVERSAMPLE = 4


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _symbol(size: int, *, radius: float, stroke: float) -> Image.Image:
    """A ring with a tick in it, as an 8-bit mask of `size`; radius and stroke as fractions."""
    big = size * _OVERSAMPLE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    centre, r, width = big / 2, radius * big, max(1, round(stroke * big))
    draw.ellipse((centre - r, centre - r, centre + r, centre + r), outline=255, width=width)
    tick = [(-0.45, 0.02), (-0.12, 0.33), (0.45, -0.30)]
    points = [(centre + x * r, centre + y * r) for x, y in tick]
    draw.line(points, fill=255, width=width, joint="curve")
    for x, y in (points[0], points[-1]):  # round ends
        half = width / 2
        draw.ellipse((x - half, y - half, x + half, y + half), fill=255)
    return mask.resize((size, size), Image.Resampling.LANCZOS)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def color_icon(accent: str) -> bytes:
    """192×192: the white symbol on the app's accent colour (opaque RGB)."""
    image = Image.new("RGB", (COLOR_SIZE, COLOR_SIZE), _rgb(accent))
    image.paste(WHITE, (0, 0), _symbol(COLOR_SIZE, radius=0.30, stroke=0.055))
    return _png(image)


def outline_icon() -> bytes:
    """32×32: white, and transparent wherever the symbol is not."""
    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (*WHITE, 0))
    image.putalpha(_symbol(OUTLINE_SIZE, radius=0.44, stroke=0.09))
    return _png(image)
