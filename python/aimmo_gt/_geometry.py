"""Image geometry both engines compute the same way: a rotated box's extent and a mask bound's areas."""

from __future__ import annotations

import math
from collections.abc import Sequence

#: How far past the image's edges a rotated box may reach: its corners are rounded when drawn.
ROTATED_TOLERANCE = 1


def rotated_extent(rect: Sequence[float], degree: float) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the axis-aligned box around the rect [x, y, w, h] turned by
    `degree` about its centre; the same whichever way it turns."""
    x, y, w, h = rect
    turn = math.radians(degree)
    cos, sin = abs(math.cos(turn)), abs(math.sin(turn))
    half_width, half_height = (w * cos + h * sin) / 2, (w * sin + h * cos) / 2
    cx, cy = x + w / 2, y + h / 2
    return cx - half_width, cy - half_height, cx + half_width, cy + half_height


def rotated_within(rect: Sequence[float], degree: float, width: float, height: float) -> bool:
    """Whether the rect [x, y, w, h] turned by `degree` lies within the image, with the tolerance."""
    if not _centre_band_within(rect, width, height):
        return False
    left, top, right, bottom = rotated_extent(rect, degree)
    low = -ROTATED_TOLERANCE
    return (
        left >= low
        and top >= low
        and right <= width + ROTATED_TOLERANCE
        and bottom <= height + ROTATED_TOLERANCE
    )


def _centre_band_within(rect: Sequence[float], width: float, height: float) -> bool:
    """An exact test the turned box must pass: whichever way it turns, its extent reaches at least
    half its shorter side past its centre in every direction (|cos| + |sin| >= 1). Stated in integers
    where the rect is, so that a box 4 pixels past an image 10^19 pixels wide is not lost to the
    rounding of the float extent."""
    x, y, w, h = rect
    shorter = max(min(w, h), 0)
    tolerance = 2 * ROTATED_TOLERANCE
    return (
        2 * x + w - shorter >= -tolerance
        and 2 * y + h - shorter >= -tolerance
        and 2 * x + w + shorter <= 2 * width + tolerance
        and 2 * y + h + shorter <= 2 * height + tolerance
    )


def mask_areas(y1: float, x1: float, y2: float, x2: float) -> tuple[float, int | None]:
    """The areas a mask's runs may add up to, for a bound [[y1, x1], [y2, x2]] with y1 <= y2, x1 <= x2:
    exclusive of its bottom and right edges (the encoder loops over whole cells, so a fractional
    side counts up), and, for an integer bound only, inclusive of them (None otherwise)."""
    width, height = x2 - x1, y2 - y1
    if math.inf in (width, height):  # 1e308 - -1e308: no count adds up to it (compared, not converted)
        return math.inf, None
    exclusive = math.ceil(width) * math.ceil(height)
    if all(isinstance(v, int) or v.is_integer() for v in (y1, x1, y2, x2)):
        # In integers: a float side beside an integer of hundreds of digits would overflow a float.
        top, left, bottom, right = map(int, (y1, x1, y2, x2))
        return exclusive, (right - left + 1) * (bottom - top + 1)
    return exclusive, None
