"""Response categories (CLINICAL.md "Response categories"): did the treatment work?

Per treated region, at the primary end point (the 6-month visit, or the one nearest to it
within 5 to 8 months of the treatment), against the baseline of the same region:

- **responded**: terminal hair density up by at least the clinic's threshold (a setting,
  ``DEFAULT_THRESHOLD_PERCENT`` unless changed) and mean shaft diameter not down by more than
  the same threshold;
- **did not respond**: anything else at the primary end point;
- **too early to tell**: no primary end-point visit yet, and its window is still open (the
  answer says when it is due);
- **no 6-month visit**: the window has closed without one (lost to follow-up: outcome audits
  count these so a rate is not computed on returners only).

A region measured at the baseline but not at the end-point visit (or the other way round)
cannot be judged: ``NOT_MEASURED``. A patient's category is that of their *main* treated
region: frontal when it was treated, else the first zone recorded. The rule is printed on
every document and screen that uses it: ``rule_text``.

Comparisons are made on values rounded to 6 decimal places, so a change of exactly the
threshold (5.0%) counts as reaching it whatever the floating-point arithmetic gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from clinicdesk.domain.assessments import (
    Assessment,
    Change,
    Region,
    RegionMeasurement,
    baseline_assessment,
    in_visit_order,
)
from clinicdesk.domain.coded import Coded
from clinicdesk.domain.follow_ups import add_months
from clinicdesk.errors import ValidationError

THRESHOLD_SETTING = "response_threshold_percent"
DEFAULT_THRESHOLD_PERCENT = 5.0
MIN_THRESHOLD_PERCENT = 0.0
MAX_THRESHOLD_PERCENT = 100.0
PRIMARY_END_POINT_MONTHS = 6
END_POINT_WINDOW_MONTHS = (5, 8)  # the nearest visit within this window counts
PUBLISHED_RATE = 0.66  # Zari 2021: favourable response in 66% (frontal), uncontrolled, n=140
PUBLISHED_SOURCE = "Zari 2021: favourable response in 66% (frontal), an uncontrolled series of 140"
DENSITY = "terminal_density"
DIAMETER = "mean_diameter_um"


class ResponseCategory(Coded):
    RESPONDED = "responded", "Responded"
    NOT_RESPONDED = "not_responded", "Did not respond"
    TOO_EARLY = "too_early", "Too early to tell"
    NO_END_POINT_VISIT = "no_end_point_visit", "No 6-month visit"
    NOT_MEASURED = "not_measured", "Not measured at both visits"

    @property
    def evaluable(self) -> bool:
        """Judged at the primary end point: responded or did not respond."""
        return self in (ResponseCategory.RESPONDED, ResponseCategory.NOT_RESPONDED)


# -- the setting ------------------------------------------------------------------------


def threshold_percent(stored: str | None) -> float:
    """The setting as stored, or the default when unset or unreadable."""
    try:
        value = float(stored) if stored is not None else DEFAULT_THRESHOLD_PERCENT
    except ValueError:
        return DEFAULT_THRESHOLD_PERCENT
    if not MIN_THRESHOLD_PERCENT <= value <= MAX_THRESHOLD_PERCENT:
        return DEFAULT_THRESHOLD_PERCENT
    return value


def validate_threshold_percent(text: str) -> float:
    """A threshold typed by a person: a number of per cent, ``5`` or ``7.5`` (a trailing
    ``%`` is allowed). ``ValidationError`` naming the field otherwise."""
    cleaned = text.strip().removesuffix("%").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise ValidationError(
            {THRESHOLD_SETTING: "must be a number of per cent, for example 5"}
        ) from None
    if value != value or not MIN_THRESHOLD_PERCENT <= value <= MAX_THRESHOLD_PERCENT:
        raise ValidationError(
            {
                THRESHOLD_SETTING: f"must be between {MIN_THRESHOLD_PERCENT:g} and "
                f"{MAX_THRESHOLD_PERCENT:g} per cent"
            }
        )
    return round(value, 2)


def format_threshold(threshold: float) -> str:
    return f"{threshold:g}%"


def rule_text(threshold: float) -> str:
    """The rule in words, printed wherever a category is shown."""
    t = format_threshold(threshold)
    return (
        f"A treated region responded when, at the 6-month visit (or the visit nearest to it "
        f"between 5 and 8 months after treatment), its terminal hair density had risen by at "
        f"least {t} from the baseline and its mean shaft diameter had not fallen by more than "
        f"{t}. A patient's result is that of the main treated region (frontal when treated)."
    )


def plain_rule_text(threshold: float) -> str:
    """The same rule in plain words, for the patient's own documents."""
    t = format_threshold(threshold)
    return (
        f"How we judge the result: the treatment has worked in a treated area when, at your "
        f"6-month check-up (or the one nearest to it, 5 to 8 months after the treatment), the "
        f"number of thicker hairs there has gone up by at least {t} since before the "
        f"treatment, and the hairs have not become more than {t} thinner. Your overall result "
        f"is that of the main area treated (the front, when it was treated)."
    )


# -- the primary end point --------------------------------------------------------------


def end_point_due(treated_on: date) -> date:
    return add_months(treated_on, PRIMARY_END_POINT_MONTHS)


def end_point_window(treated_on: date) -> tuple[date, date]:
    first, last = END_POINT_WINDOW_MONTHS
    return add_months(treated_on, first), add_months(treated_on, last)


def primary_end_point(assessments: Iterable[Assessment], treated_on: date) -> Assessment | None:
    """The assessment nearest to 6 months after ``treated_on`` within the window (5 to 8
    months, both ends included); of two equally near, the earlier. ``None`` if none."""
    start, end = end_point_window(treated_on)
    due = end_point_due(treated_on)
    inside = [a for a in in_visit_order(assessments) if start <= a.visit_date <= end]
    if not inside:
        return None
    return min(inside, key=lambda a: (abs((a.visit_date - due).days), a.visit_date))


def main_region(zones: Sequence[str]) -> Region | None:
    """The region whose result is the patient's: frontal when it was treated, else the first
    treated zone (zone codes are region codes). ``None`` when no zone is a region."""
    regions = [r for r in treated_regions(zones) if not r.is_reference]
    if not regions:
        return None
    return Region.FRONTAL if Region.FRONTAL in regions else regions[0]


# Change.absolute and Change.percent written out (the same arithmetic), and the threshold
# rounded once: the outcomes audit judges thousands of regions.


def _reached(change: Change, limit: float) -> bool:
    """The value rose by at least ``limit`` per cent (the threshold rounded to 6 places;
    from zero: any rise)."""
    baseline, value = change.baseline, change.value
    if baseline is None or value is None:
        return False
    if not baseline:
        return value - baseline > 0
    return round((value - baseline) / baseline * 100, 6) >= limit


def _not_fallen_beyond(change: Change, limit: float) -> bool:
    baseline, value = change.baseline, change.value
    if baseline is None or value is None:
        return False
    if not baseline:
        return value - baseline >= 0
    return round((value - baseline) / baseline * 100, 6) >= -limit


def measured_category(density: Change, diameter: Change, threshold: float) -> ResponseCategory:
    """The rule itself, on the numbers of a region measured at the baseline and at the end
    point: terminal ``density`` and mean shaft ``diameter``, each baseline -> end point.
    (The outcomes audit reads these numbers straight from the database and calls this.)"""
    limit = round(threshold, 6)
    if _reached(density, limit) and _not_fallen_beyond(diameter, limit):
        return ResponseCategory.RESPONDED
    return ResponseCategory.NOT_RESPONDED


def region_category(
    baseline: RegionMeasurement | None, end: RegionMeasurement | None, threshold: float
) -> ResponseCategory:
    """One region at the end-point visit against its baseline."""
    if baseline is None or end is None:
        return ResponseCategory.NOT_MEASURED
    return measured_category(
        Change(baseline.value(DENSITY), end.value(DENSITY)),
        Change(baseline.value(DIAMETER), end.value(DIAMETER)),
        threshold,
    )


def unjudged_category(treated_on: date, today: date) -> ResponseCategory:
    """No primary end-point visit: too early while its window is open, else lost."""
    waiting = today <= end_point_window(treated_on)[1]
    return ResponseCategory.TOO_EARLY if waiting else ResponseCategory.NO_END_POINT_VISIT


def main_category(regions: Sequence[RegionResponse], main: Region | None) -> ResponseCategory:
    """A patient's category at the end point: that of the main treated region."""
    found = next((r for r in regions if r.region == main), None)
    return found.category if found else ResponseCategory.NOT_MEASURED


def treated_regions(zones: Sequence[str]) -> list[Region]:
    """The regions of the treated zones, in zone order (zone codes are region codes)."""
    return [Region(z) for z in zones if z in Region._value2member_map_]


@dataclass(frozen=True)
class RegionResponse:
    region: Region
    category: ResponseCategory
    density: Change  # terminal density, baseline -> end point (empty when not measured)
    diameter: Change  # mean shaft diameter


@dataclass(frozen=True)
class PatientResponse:
    """One treatment's result. ``regions`` holds every treated region (in zone order);
    ``category`` is the main region's, or TOO_EARLY / NO_END_POINT_VISIT for all."""

    category: ResponseCategory
    threshold: float
    treated_on: date
    due: date  # the 6-month visit's date
    window: tuple[date, date]
    main_region: Region | None
    baseline: Assessment | None
    end_point: Assessment | None
    regions: tuple[RegionResponse, ...] = ()

    def region(self, region: Region) -> RegionResponse | None:
        return next((r for r in self.regions if r.region == region), None)


def patient_response(
    assessments: Iterable[Assessment],
    treated_on: date,
    zones: Sequence[str],
    threshold: float,
    today: date,
) -> PatientResponse:
    """The response to the treatment of ``treated_on`` to ``zones`` (zone codes, as
    recorded), judged from ``assessments`` (the patient's, any order)."""
    ordered = in_visit_order(assessments)
    baseline = baseline_assessment(ordered, treated_on)
    end = primary_end_point(ordered, treated_on)
    window = end_point_window(treated_on)
    main = main_region(zones)
    treated = treated_regions(zones)

    def result(category: ResponseCategory, regions: tuple[RegionResponse, ...]) -> PatientResponse:
        return PatientResponse(
            category,
            threshold,
            treated_on,
            end_point_due(treated_on),
            window,
            main,
            baseline,
            end,
            regions,
        )

    if end is None:
        return result(unjudged_category(treated_on, today), ())
    regions = []
    for region in treated:
        before = baseline.details.region(region) if baseline is not None else None
        after = end.details.region(region)
        regions.append(
            RegionResponse(
                region,
                region_category(before, after, threshold),
                Change(_value(before, DENSITY), _value(after, DENSITY)),
                Change(_value(before, DIAMETER), _value(after, DIAMETER)),
            )
        )
    return result(main_category(regions, main), tuple(regions))


def _value(measured: RegionMeasurement | None, name: str) -> float | None:
    return None if measured is None else measured.value(name)
