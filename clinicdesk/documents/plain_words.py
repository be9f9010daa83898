"""How the patient's progress report says numbers, changes, dates and places: in plain words.

"went from 120 to 131 hairs per cm² (up 9%)", "14 March 2025", "the front, the crown and the
left temple". A fall is said as plainly as a gain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from clinicdesk.domain.assessments import Change, Region
from clinicdesk.domain.clinical import TreatedZone

# Plain words for the patient flavour: "your hair density at the crown".
PLACES = {
    Region.FRONTAL: "at the front",
    Region.MID_SCALP: "in the middle of your scalp",
    Region.VERTEX: "at the crown",
    Region.TEMPORAL_LEFT: "at your left temple",
    Region.TEMPORAL_RIGHT: "at your right temple",
    Region.OCCIPITAL: "at the back of your head",
}
PLAIN_ZONES = {
    TreatedZone.FRONTAL: "the front",
    TreatedZone.MID_SCALP: "the middle of the scalp",
    TreatedZone.VERTEX: "the crown",
    TreatedZone.TEMPORAL_LEFT: "the left temple",
    TreatedZone.TEMPORAL_RIGHT: "the right temple",
}

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(day: date) -> str:
    """``14 March 2025``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def join_words(words: Sequence[str]) -> str:
    """``the front, the crown and the left temple``."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def plain_number(value: float) -> str:
    """One decimal place, without a trailing ``.0``: 120, 58.5."""
    text = f"{value:.1f}"
    return text.removesuffix(".0")


def plain_change(change: Change, decimals: int = 0) -> str:
    """``up 9%``, ``down 4%``, ``no change``: the per cent change to the nearest whole number
    (halves rounded up), or the absolute change when the starting value was 0. With
    ``decimals=1``, ``up 4.9%``: where a result is judged against a threshold, a rounding
    must not make 4.9% read as the 5% it falls short of."""
    absolute, percent = change.absolute, change.percent
    if absolute is None:
        return ""
    if absolute == 0:
        return "no change"
    direction = "up" if absolute > 0 else "down"
    if percent is None:
        return f"{direction} {plain_number(abs(absolute))}"
    scale = 10**decimals
    rounded = math.floor(abs(percent) * scale + 0.5) / scale
    if not rounded:
        return f"{direction} less than {1 / scale:g}%"
    return f"{direction} {rounded:.{decimals}f}%"


def went(change: Change, unit: str, decimals: int = 0) -> str:
    """``went from 120 to 131 hairs per cm² (up 9%)``, or ``stayed at 200 hairs per cm²``."""
    before, after = plain_number(_known(change.baseline)), plain_number(_known(change.value))
    if change.absolute == 0:
        return f"stayed at {after} {unit}"
    return f"went from {before} to {after} {unit} ({plain_change(change, decimals)})"


def _known(value: float | None) -> float:
    assert value is not None  # density and diameter are required measures
    return value
