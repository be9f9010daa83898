"""Synthetic scalp photos for the demo clinic: drawn shapes and strokes, no real person.

``scalp_photo`` draws one standard view as a stylised clinical photo: a plain backdrop, the
head as the camera sees it in that view, and hair as short strokes whose number follows the
hair density given (hairs/cm², as the trichoscopy measured it), so a responder's follow-up
photos visibly fill in where the measurements say they should. The trichoscopy close-up shows
follicular units with one to three shafts, thicker shafts for a larger mean diameter. Every
image says "Synthetic demo image" in a corner and carries only a DateTimeOriginal in its EXIF
(the visit's time), as a camera would; deterministic for a seed.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported when the first picture is drawn, not at start-up
    from PIL import ImageDraw

SIZE = (800, 600)
_BACKDROP = (214, 222, 230)
_SKIN = (226, 186, 160)
_SKIN_SHADE = (206, 164, 140)
_HAIR = ((58, 40, 30), (74, 52, 38), (44, 32, 26))
_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 36867
FULL_DENSITY = 200.0  # hairs/cm² drawn as a full head of hair

# (x, y) in 0..1 of the picture -> how likely hair grows there (0..1), given fullness 0..1.
HairMap = Callable[[float, float, float], float]


def scalp_photo(
    view: str,
    *,
    density: float,
    diameter_um: float = 60.0,
    seed: int = 0,
    taken_at: datetime | None = None,
    size: tuple[int, int] = SIZE,
) -> bytes:
    """A JPEG of the standard ``view`` (a ``View`` value) for a scalp with ``density``."""
    from PIL import Image, ImageDraw

    rng = random.Random(f"{view}-{seed}")
    image = Image.new("RGB", size, _BACKDROP)
    draw = ImageDraw.Draw(image)
    fullness = max(0.05, min(density / FULL_DENSITY, 1.0))
    if view == "trichoscopy":
        _trichoscopy(draw, rng, size, density, diameter_um)
    else:
        head, hair_map, flow = _VIEWS.get(view, _VIEWS["frontal"])
        _head(draw, size, head, view)
        _hair(draw, rng, size, head, hair_map, flow, fullness)
    _label(draw, size, f"Synthetic demo image - {view.replace('_', ' ')}")
    out = io.BytesIO()
    exif = Image.Exif()
    if taken_at is not None:
        exif.get_ifd(_EXIF_IFD)[_DATE_TIME_ORIGINAL] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    image.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


# -- the macro views ----------------------------------------------------------------------

# The head as an ellipse (centre x, centre y, half width, half height), in 0..1 units.
Ellipse = tuple[float, float, float, float]


def _frontal(x: float, y: float, full: float) -> float:
    # Hair above a hairline that rises, and recedes at the temples, as the hair thins.
    dx = abs(x - 0.5)
    hairline = (
        0.24 + 0.12 * (1 - full) + 0.22 * (1.1 - full) * math.exp(-(((dx - 0.27) / 0.08) ** 2))
    )
    if dx > 0.40:
        hairline = max(hairline, 0.52)  # down the sides to the ears
    return full if y < hairline else 0.0


def _vertex(x: float, y: float, full: float) -> float:
    # Seen from above: thinning spreads out from the crown whorl.
    r = math.hypot(x - 0.5, y - 0.5) / 0.5
    return min(1.0, full + r * r * (1 - full))


def _midline(x: float, y: float, full: float) -> float:
    # Seen from above along the parting: the visible scalp widens as the hair thins (Ludwig).
    dx = abs(x - 0.5)
    return 0.0 if dx < 0.012 + 0.07 * (1 - full) else min(1.0, full + 0.8 * dx)


def _temporal(front_on_left: bool) -> HairMap:
    def hair(x: float, y: float, full: float) -> float:
        forward = (1 - x) if front_on_left else x
        if y > 0.55 or (forward > 0.72 - 0.16 * (1 - full) and y > 0.22):
            return 0.0  # below the hair, or the temple (recedes at the front as hair thins)
        return full

    return hair


def _occipital(x: float, y: float, full: float) -> float:
    # The donor area keeps its hair: dense whatever the front does.
    return 0.95 if y < 0.80 else 0.0


_VIEWS: dict[str, tuple[Ellipse, HairMap, float]] = {
    "frontal": ((0.5, 0.52, 0.25, 0.38), _frontal, -math.pi / 2),
    "vertex": ((0.5, 0.5, 0.36, 0.40), _vertex, 0.0),
    "midline_part": ((0.5, 0.5, 0.32, 0.42), _midline, 0.0),
    "temporal_left": ((0.5, 0.5, 0.34, 0.38), _temporal(True), math.pi * 0.75),
    "temporal_right": ((0.5, 0.5, 0.34, 0.38), _temporal(False), math.pi * 0.25),
    "occipital_donor": ((0.5, 0.5, 0.30, 0.40), _occipital, math.pi / 2),
}


def _box(size: tuple[int, int], head: Ellipse) -> tuple[float, float, float, float]:
    w, h = size
    cx, cy, rx, ry = head
    return (cx - rx) * w, (cy - ry) * h, (cx + rx) * w, (cy + ry) * h


def _head(draw: ImageDraw.ImageDraw, size: tuple[int, int], head: Ellipse, view: str) -> None:
    left, top, right, bottom = _box(size, head)
    draw.ellipse((left + 6, top + 8, right + 6, bottom + 8), fill=_SKIN_SHADE)
    draw.ellipse((left, top, right, bottom), fill=_SKIN)
    width, height = right - left, bottom - top

    def at(x: float, y: float) -> tuple[float, float]:
        return left + x * width, top + y * height

    if view == "frontal":  # brows and closed eyes, so the view reads as the face
        for side in (0.33, 0.67):
            (bx, by), (ex, ey) = at(side, 0.58), at(side, 0.64)
            draw.line((bx - 26, by, bx + 26, by - 4), fill=_HAIR[0], width=5)
            draw.arc((ex - 22, ey - 10, ex + 22, ey + 10), 10, 170, fill=_HAIR[2], width=3)
    elif view.startswith("temporal"):  # the ear, below the hair
        ex, ey = at(0.5, 0.64)
        draw.ellipse(
            (ex - 22, ey - 38, ex + 22, ey + 38), fill=_SKIN_SHADE, outline=(180, 140, 120)
        )


def _hair(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    size: tuple[int, int],
    head: Ellipse,
    hair_map: HairMap,
    flow: float,
    fullness: float,
) -> None:
    w, h = size
    cx, cy, rx, ry = head
    for _ in range(6000):
        # A point inside the head's ellipse, uniformly.
        angle = rng.uniform(0, 2 * math.pi)
        radius = math.sqrt(rng.random())
        u = cx + rx * radius * math.cos(angle)
        v = cy + ry * radius * math.sin(angle)
        # Within the head's bounding box (0..1 each way), as the hair maps expect.
        x = (u - cx + rx) / (2 * rx)
        y = (v - cy + ry) / (2 * ry)
        if rng.random() >= hair_map(x, y, fullness):
            continue
        direction = flow + rng.uniform(-0.5, 0.5)
        if flow == 0.0:  # seen from above: hair lies away from the crown
            direction = math.atan2(v - cy, u - cx) + rng.uniform(-0.4, 0.4)
        length = rng.uniform(8, 16)
        x0, y0 = u * w, v * h
        x1 = x0 + length * math.cos(direction)
        y1 = y0 + length * math.sin(direction)
        draw.line((x0, y0, x1, y1), fill=rng.choice(_HAIR), width=2)


# -- the trichoscopy close-up -------------------------------------------------------------


def _trichoscopy(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    size: tuple[int, int],
    density: float,
    diameter_um: float,
) -> None:
    w, h = size
    draw.rectangle((0, 0, w, h), fill=_SKIN)
    for _ in range(260):  # skin texture
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(2, 6)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_SKIN_SHADE)
    # The frame shows about 0.6 cm²: about density * 0.6 hairs, two per follicular unit.
    units = int(max(density, 0.0) * 0.6 / 2.0)
    width = max(1, round(diameter_um / 18))
    for _ in range(units):
        x, y = rng.uniform(20, w - 20), rng.uniform(20, h - 20)
        draw.ellipse((x - 4, y - 4, x + 4, y + 4), fill=(150, 110, 95))
        for _shaft in range(rng.choice((1, 2, 2, 3))):
            direction = math.pi * 0.3 + rng.uniform(-0.35, 0.35)
            length = rng.uniform(50, 110)
            end = (x + length * math.cos(direction), y + length * math.sin(direction))
            draw.line((x, y, *end), fill=rng.choice(_HAIR), width=width)


def _label(draw: ImageDraw.ImageDraw, size: tuple[int, int], text: str) -> None:
    w, h = size
    draw.rectangle((0, h - 26, w, h), fill=(40, 48, 56))
    draw.text((10, h - 20), text, fill=(240, 240, 240))
