"""Blinded photo grading: before/after pairs of one standard view, graded without knowing which
photo is which, and how well two graders agree.

A **pair** is one patient's photo of one global view (frontal, vertex, midline part, temporal
left and right: not the donor area, which is not treated, nor trichoscopy close-ups, which are
measured) at the baseline and at the end point of their first treatment. The baseline is the
latest photo visit on or before the treatment day (as the gallery names it); the end point is
the photo visit nearest to 6 months within the 5-8 month window (``response.end_point_window``:
the same rule as the response categories), else the latest follow-up, so a patient not yet at 6
months is still graded on what there is. Of several photos of one view at one visit, the first
taken counts.

The grader sees the two photos side by side, the *before* on a random side, and answers how the
right-hand photo compares with the left on the 7-point scale of the assessments
(``GLOBAL_PHOTO_SCORES``: -3 greatly worse .. +3 greatly improved). That answer is the
``shown_score``; the grade proper (after against before) is ``score``: the same when the before
was on the left, negated when it was on the right. Both are stored, with the side.

Agreement between two graders on the pairs both graded is Cohen's **weighted kappa** with
disagreement weights ``|i - j|`` (linear) or ``(i - j)**2`` (quadratic) on the scale's values:
1 - sum(w * observed) / sum(w * expected by chance). Linear is the one shown first (adjacent
grades are near misses, as on any ordinal scale); quadratic is given beside it because it is
the one most published agreement figures use.

Where graders disagree, the assessment's blinded photo score is the **mean of every grade** of
that patient's pairs ending at that visit (every view, every grader's first grade of a pair),
rounded half away from zero to the nearest whole point: two graders giving +1 and +2 record +2;
+1 and -1 record 0.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from clinicdesk.domain.assessments import GLOBAL_PHOTO_SCORES
from clinicdesk.domain.coded import Coded
from clinicdesk.domain.photos import Photo, View
from clinicdesk.domain.response import end_point_due, end_point_window
from clinicdesk.errors import ValidationError

# The global views a pair may be made of, in checklist order.
GRADED_VIEWS = (
    View.FRONTAL,
    View.VERTEX,
    View.MIDLINE_PART,
    View.TEMPORAL_LEFT,
    View.TEMPORAL_RIGHT,
)
SCALE: Mapping[int, str] = GLOBAL_PHOTO_SCORES
LOWEST, HIGHEST = min(SCALE), max(SCALE)


class Side(Coded):
    LEFT = "left"
    RIGHT = "right"


class Weights(Coded):
    LINEAR = "linear"
    QUADRATIC = "quadratic"


def score_label(score: int) -> str:
    """``+2 Moderately improved``, ``0 No change``, ``-3 Greatly worse``."""
    return f"{score:+d} {SCALE[score]}" if score else f"0 {SCALE[score]}"


def check_score(value: object) -> int:
    """A grade as given: a whole number on the scale, else ``ValidationError`` on ``score``."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
        raise ValidationError(
            {"score": f"must be a whole number from {LOWEST} to {HIGHEST:+d} (the 7-point scale)"}
        )
    return value


# -- pairs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoPair:
    """One view of one patient, before and after their treatment."""

    patient_id: str
    treatment_id: str
    treated_on: date
    view: View
    before: Photo
    after: Photo

    @property
    def key(self) -> tuple[str, str]:
        return self.before.id, self.after.id


def end_point_day(days: Iterable[date], treated_on: date) -> date | None:
    """The visit to grade against the baseline: the one nearest to 6 months after
    ``treated_on`` within the 5-8 month window (of two equally near, the earlier), else the
    latest visit after the treatment; ``None`` when there is none after it."""
    after = sorted({day for day in days if day > treated_on})
    if not after:
        return None
    start, end = end_point_window(treated_on)
    due = end_point_due(treated_on)
    inside = [day for day in after if start <= day <= end]
    if inside:
        return min(inside, key=lambda day: (abs((day - due).days), day))
    return after[-1]


def photo_pairs(photos: Iterable[Photo], treatment_id: str, treated_on: date) -> list[PhotoPair]:
    """The pairs of one patient's live photos (any order) for the treatment of
    ``treated_on``, in checklist order of views; none without a baseline and a later visit."""
    first: dict[tuple[date, View], Photo] = {}
    for photo in sorted(photos, key=lambda p: (p.taken_at, p.id)):
        if photo.archived or photo.view not in GRADED_VIEWS:
            continue
        first.setdefault((photo.visit_date, photo.view), photo)
    days = {day for day, _ in first}
    before_days = [day for day in days if day <= treated_on]
    if not before_days:
        return []
    baseline = max(before_days)
    after = end_point_day(days, treated_on)
    if after is None:
        return []
    pairs = []
    for view in GRADED_VIEWS:
        before_photo, after_photo = first.get((baseline, view)), first.get((after, view))
        if before_photo is not None and after_photo is not None:
            pairs.append(
                PhotoPair(
                    before_photo.patient_id,
                    treatment_id,
                    treated_on,
                    view,
                    before_photo,
                    after_photo,
                )
            )
    return pairs


@dataclass(frozen=True)
class BlindPair:
    """A pair as the grader meets it: its place in the session and the side of the before.
    Nothing of it but ``number`` is shown until the grade is given."""

    number: int  # 1-based, in the session's (random) order
    pair: PhotoPair
    before_side: Side

    @property
    def left(self) -> Photo:
        return self.pair.before if self.before_side is Side.LEFT else self.pair.after

    @property
    def right(self) -> Photo:
        return self.pair.after if self.before_side is Side.LEFT else self.pair.before


def blinded(pairs: Sequence[PhotoPair], rng: random.Random) -> list[BlindPair]:
    """The pairs in a random order, each with the before on a random side."""
    shuffled = list(pairs)
    rng.shuffle(shuffled)
    return [
        BlindPair(number, pair, rng.choice((Side.LEFT, Side.RIGHT)))
        for number, pair in enumerate(shuffled, start=1)
    ]


def score_from_shown(shown_score: int, before_side: Side) -> int:
    """After against before, from the grader's answer (right against left)."""
    return shown_score if before_side is Side.LEFT else -shown_score


# -- grades -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Grade:
    id: str
    patient_id: str
    before_photo_id: str
    after_photo_id: str
    view: View
    grader_id: str
    before_side: Side
    shown_score: int  # right against left, as answered
    score: int  # after against before
    graded_at: str  # created_at, UTC

    @property
    def key(self) -> tuple[str, str]:
        return self.before_photo_id, self.after_photo_id


def first_grades(grades: Iterable[Grade]) -> dict[tuple[tuple[str, str], str], Grade]:
    """Each grader's first grade of each pair (a pair graded twice, at two sites before they
    synced, counts once: the earlier)."""
    first: dict[tuple[tuple[str, str], str], Grade] = {}
    for grade in sorted(grades, key=lambda g: (g.graded_at, g.id)):
        first.setdefault((grade.key, grade.grader_id), grade)
    return first


def combined_score(scores: Sequence[int]) -> int | None:
    """The mean of ``scores`` rounded half away from zero (``None`` for none)."""
    if not scores:
        return None
    mean = Decimal(sum(scores)) / Decimal(len(scores))
    magnitude = int(abs(mean).to_integral_value(rounding=ROUND_HALF_UP))
    return magnitude if mean >= 0 else -magnitude


# -- agreement ----------------------------------------------------------------------------


def weighted_kappa(ratings: Sequence[tuple[int, int]], weights: Weights) -> float | None:
    """Cohen's weighted kappa of two graders' grades of the same items (``(first, second)``
    per item), with linear or quadratic disagreement weights on the grades' values. ``None``
    when it is undefined: no items, or chance alone would give perfect agreement (both
    graders gave one and the same grade to everything)."""
    n = len(ratings)
    if n == 0:
        return None

    def weight(i: int, j: int) -> int:
        return abs(i - j) if weights is Weights.LINEAR else (i - j) * (i - j)

    categories = sorted({grade for pair in ratings for grade in pair})
    first_counts = {c: sum(1 for a, _ in ratings if a == c) for c in categories}
    second_counts = {c: sum(1 for _, b in ratings if b == c) for c in categories}
    observed = sum(weight(a, b) for a, b in ratings) / n
    expected = (
        sum(
            first_counts[i] * second_counts[j] * weight(i, j)
            for i in categories
            for j in categories
        )
        / n
        / n
    )
    if math.isclose(expected, 0.0, abs_tol=1e-12):
        return None
    return 1.0 - observed / expected


@dataclass(frozen=True)
class Agreement:
    """Two graders on the pairs both graded."""

    first_grader_id: str
    second_grader_id: str
    pairs: int
    identical: int  # pairs given the very same grade
    linear: float | None
    quadratic: float | None


def agreements(grades: Iterable[Grade]) -> list[Agreement]:
    """Every two graders who graded at least one pair in common (by the graders' ids), with
    their weighted kappas on those pairs."""
    by_grader: dict[str, dict[tuple[str, str], int]] = {}
    for (key, grader), grade in first_grades(grades).items():
        by_grader.setdefault(grader, {})[key] = grade.score
    found = []
    for first, second in itertools.combinations(sorted(by_grader), 2):
        common = sorted(set(by_grader[first]) & set(by_grader[second]))
        if not common:
            continue
        ratings = [(by_grader[first][key], by_grader[second][key]) for key in common]
        found.append(
            Agreement(
                first,
                second,
                len(common),
                sum(1 for a, b in ratings if a == b),
                weighted_kappa(ratings, Weights.LINEAR),
                weighted_kappa(ratings, Weights.QUADRATIC),
            )
        )
    return found


def format_kappa(kappa: float | None) -> str:
    return "—" if kappa is None else f"{kappa:.2f}"
