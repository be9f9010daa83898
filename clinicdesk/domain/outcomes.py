"""The outcomes audit: the clinic's own responder rate, honestly stated.

Each treated patient counts once, by their **first** treatment (a second session is part of
the same course; counting it again would weigh repeat patients twice). Their category is the
one rule in ``domain.response`` (CLINICAL.md "Response categories"); this module only counts.

What it gives (``summarise``):

- the responder rate (responded / evaluable, where *evaluable* means judged at the primary end
  point) with its 95% Wilson score interval (``wilson_interval``; Newcombe 1998, method 3),
  beside the published 66%;
- the same per group of each ``GROUP_FIELDS`` field. A patient may be in several groups of
  one field (two prior treatments, a Ludwig and a Sinclair grade), so a field's groups can
  add up to more than the whole;
- groups (and quarters) with fewer evaluable patients than the minimum (``DEFAULT_MIN_GROUP``
  unless changed) are shown as counts with a warning, never as a bare percentage
  (``rate_text``); the interval is always shown;
- mean, median and spread (standard deviation, interquartile range) of the change in terminal
  density and mean shaft diameter from the baseline, per treated region, at the visits nearest
  to 1, 3, 6 and 12 months (``visit_at``; 6 months is the primary end point);
- lost to follow-up: the window of the 6-month visit has closed without one, split by what
  happened to the 6-month follow-up (booked and missed, cancelled, never booked...);
- the rate per calendar quarter of the treatment date.

Every count keeps the patient ids behind it, so a screen can list them.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from clinicdesk.domain.assessments import Assessment, Region
from clinicdesk.domain.follow_ups import FollowUpStatus, add_months
from clinicdesk.domain.outcome_groups import NO_PRIOR_TREATMENT as NO_PRIOR_TREATMENT
from clinicdesk.domain.outcome_groups import NOT_RECORDED as NOT_RECORDED
from clinicdesk.domain.outcome_groups import SEX_LABELS as SEX_LABELS
from clinicdesk.domain.outcome_groups import PatientFacts as PatientFacts
from clinicdesk.domain.outcome_groups import age_band as age_band
from clinicdesk.domain.outcome_groups import age_on as age_on
from clinicdesk.domain.outcome_groups import group_labels as group_labels
from clinicdesk.domain.outcome_groups import onset_band as onset_band
from clinicdesk.domain.response import (
    PUBLISHED_RATE,
    PUBLISHED_SOURCE,
    RegionResponse,
    ResponseCategory,
    end_point_window,
    format_threshold,
    patient_response,
    primary_end_point,
    treated_regions,
)
from clinicdesk.errors import ValidationError

Z_95 = 1.959963984540054  # the 97.5th centile of the standard normal distribution
DEFAULT_MIN_GROUP = 10
CHANGE_MONTHS = (1, 3, 6, 12)
CHANGE_MEASURES = (("terminal_density", "Terminal density", "hairs/cm²"),
                   ("mean_diameter_um", "Mean shaft diameter", "µm"))  # fmt: skip

# The ways the rate is broken down, in the order they are shown: field -> heading.
GROUP_FIELDS: Mapping[str, str] = {
    "sex": "Sex",
    "age_band": "Age at treatment",
    "grade": "Hair-loss grade (Norwood / Ludwig / Sinclair)",
    "onset": "Time since onset of hair loss",
    "prior_treatment": "Prior treatments",
    "clinician": "Treating clinician",
    "site": "Site",
    "kit_lot": "Device kit lot",
}

LIMITATIONS = (
    "What this cannot tell: these are the clinic's own patients, uncontrolled and "
    "self-selected (there is no untreated comparison group, and people who chose the "
    "treatment may differ from those who did not), so a rate here is not proof that the "
    "treatment caused the change. Patients lost to follow-up are not in the rate: if they "
    "did worse than those who came back, the rate flatters the clinic. Measurements carry "
    "counting error of a few per cent. The published figure is itself from an uncontrolled "
    "series."
)
WHO_COUNTS = (
    "Each patient counts once, by their first treatment; records restricted by an erasure "
    "request are left out."
)


# -- the interval -----------------------------------------------------------------------


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for ``successes`` of ``n`` (95% by default), as fractions;
    ``None`` when ``n`` is 0. It stays within 0 to 1 and is sound for small ``n`` and for
    rates near 0 or 1, where the textbook (Wald) interval is not."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes out of {n}")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def percent(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


# -- one patient ------------------------------------------------------------------------


def month_window(treated_on: date, months: int) -> tuple[date, date]:
    """The visits that count as the ``months`` visit: 6 is the primary end point's window
    (5 to 8 months); 1 month is 2 weeks to 2 months, 3 months 2 to 4, 12 months 10 to 15."""
    if months == 6:
        return end_point_window(treated_on)
    if months == 1:
        return treated_on + timedelta(days=14), add_months(treated_on, 2)
    if months == 3:
        return add_months(treated_on, 2) + timedelta(days=1), add_months(treated_on, 4)
    if months == 12:
        return add_months(treated_on, 10), add_months(treated_on, 15)
    raise ValueError(f"no visit window for {months} months")


def visit_window(treated_on: date, months: int) -> tuple[date, date, date]:
    """The ``months`` visit's window (``month_window``) and the day it is due."""
    return (*month_window(treated_on, months), add_months(treated_on, months))


def visit_at(assessments: Iterable[Assessment], treated_on: date, months: int) -> Assessment | None:
    """The assessment nearest to ``months`` after the treatment within its window (of two
    equally near, the earlier); at 6 months the primary end point itself."""
    if months == 6:
        return primary_end_point(assessments, treated_on)
    start, end, due = visit_window(treated_on, months)
    inside = [a for a in assessments if start <= a.visit_date <= end]
    if not inside:
        return None
    return min(inside, key=lambda a: (abs((a.visit_date - due).days), a.visit_date))


def visits_at(
    assessments: Iterable[Assessment], treated_on: date, months: Sequence[int]
) -> dict[int, Assessment]:
    """``visit_at`` for several months in one pass over the visits (months 6 excluded: the
    primary end point is ``domain.response``'s)."""
    windows = [(m, *visit_window(treated_on, m)) for m in months]
    best: dict[int, tuple[tuple[int, date], Assessment]] = {}
    for a in assessments:
        day = a.visit_date
        for m, start, end, due in windows:
            if start <= day <= end:
                key = (abs((day - due).days), day)
                if m not in best or key < best[m][0]:
                    best[m] = (key, a)
    return {m: a for m, (_key, a) in best.items()}


class RegionChangeAt(NamedTuple):
    """One treated region's change from the baseline at one of ``CHANGE_MONTHS`` (a named
    tuple: a clinic's count makes tens of thousands of them)."""

    region: Region
    months: int
    changes: Mapping[str, float]  # measure name -> absolute change, when measured at both


@dataclass(frozen=True)
class TreatedPatient:
    """One treated patient as the audit counts them: their category and each treated
    region's result at the end point (``domain.response``), their groups and changes."""

    patient_id: str
    treatment_id: str
    category: ResponseCategory
    treated_on: date
    main_region: Region | None
    regions: tuple[RegionResponse, ...]  # at the end point (none without one), in zone order
    groups: Mapping[str, tuple[str, ...]]
    end_point_follow_up: FollowUpStatus | None  # the 6-month follow-up's status, if listed
    # By visit, then region in zone order. The audit's own count gives a sequence worked
    # out when first read (``domain.outcomes_measured.MeasuredChanges``), equal to this tuple.
    changes: Sequence[RegionChangeAt] = ()
    treated_regions: tuple[Region, ...] = ()

    def region(self, region: Region) -> RegionResponse | None:
        return next((r for r in self.regions if r.region == region), None)


def treated_patient(
    patient_id: str,
    treatment_id: str,
    assessments: Sequence[Assessment],
    treated_on: date,
    zones: Sequence[str],
    threshold: float,
    today: date,
    facts: PatientFacts,
    end_point_follow_up: FollowUpStatus | None = None,
) -> TreatedPatient:
    """One treated patient from their assessments: their category (``domain.response``)
    and changes by region."""
    response = patient_response(assessments, treated_on, zones, threshold, today)
    baseline = response.baseline
    changes: list[RegionChangeAt] = []
    treated = [r.region for r in response.regions] or treated_regions(zones)
    if baseline is not None:
        before_by = {m.region: m for m in baseline.details.regions}
        nearest = visits_at(assessments, treated_on, [m for m in CHANGE_MONTHS if m != 6])
        for months in CHANGE_MONTHS:
            visit = response.end_point if months == 6 else nearest.get(months)
            if visit is None or visit is baseline:
                continue
            after_by = {m.region: m for m in visit.details.regions}
            for region in treated:
                before, after = before_by.get(region), after_by.get(region)
                if before is None or after is None:
                    continue
                values = {}
                for name, _label, _unit in CHANGE_MEASURES:
                    b, a = before.value(name), after.value(name)
                    if b is not None and a is not None:
                        values[name] = a - b
                changes.append(RegionChangeAt(region, months, values))
    return TreatedPatient(
        patient_id,
        treatment_id,
        response.category,
        treated_on,
        response.main_region,
        response.regions,
        group_labels(facts, treated_on),
        end_point_follow_up,
        tuple(changes),
        tuple(treated),
    )


# -- counting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """The categories of a set of treated patients (the ids behind each count)."""

    label: str
    responded: tuple[str, ...] = ()
    not_responded: tuple[str, ...] = ()
    too_early: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()  # no 6-month visit: lost to follow-up
    not_measured: tuple[str, ...] = ()

    @property
    def evaluable(self) -> tuple[str, ...]:
        return self.responded + self.not_responded

    @property
    def treated(self) -> tuple[str, ...]:
        return self.responded + self.not_responded + self.too_early + self.lost + self.not_measured

    @property
    def rate(self) -> float | None:
        n = len(self.evaluable)
        return len(self.responded) / n if n else None

    @property
    def ci95(self) -> tuple[float, float] | None:
        return wilson_interval(len(self.responded), len(self.evaluable))

    def small(self, min_group: int) -> bool:
        """Too few evaluable patients for a percentage of its own."""
        return len(self.evaluable) < min_group

    def patients(self, count: str) -> tuple[str, ...]:
        """The ids behind one count: one of ``COUNTS``."""
        return tuple(getattr(self, count))


# The counts a screen shows for a Rate, with their headings.
COUNTS: Mapping[str, str] = {
    "treated": "Treated",
    "evaluable": "Evaluable",
    "responded": "Responded",
    "not_responded": "Did not respond",
    "lost": "Lost to follow-up",
    "too_early": "Too early",
    "not_measured": "Not measured",
}


def count_rate(label: str, patients: Iterable[TreatedPatient]) -> Rate:
    by: dict[ResponseCategory, list[str]] = {c: [] for c in ResponseCategory}
    for p in patients:
        by[p.category].append(p.patient_id)
    return _rate(label, by)


def _rate(label: str, by: Mapping[ResponseCategory, list[str]]) -> Rate:
    """A Rate from the patient ids of each category."""
    return Rate(
        label,
        tuple(by[ResponseCategory.RESPONDED]),
        tuple(by[ResponseCategory.NOT_RESPONDED]),
        tuple(by[ResponseCategory.TOO_EARLY]),
        tuple(by[ResponseCategory.NO_END_POINT_VISIT]),
        tuple(by[ResponseCategory.NOT_MEASURED]),
    )


def rate_text(rate: Rate, min_group: int) -> str:
    """The rate in words: a percentage with its interval, or for a small group the counts,
    the interval and a warning (never a bare percentage)."""
    n, r = len(rate.evaluable), len(rate.responded)
    if n == 0:
        return "No patient evaluable yet"
    low, high = rate.ci95 or (0.0, 1.0)
    interval = f"95% CI {percent(low)}-{percent(high)}"
    if rate.small(min_group):
        return f"{r} of {n} responded ({interval}); too few for a percentage (under {min_group})"
    return f"{percent(r / n)} ({interval}), {r} of {n}"


@dataclass(frozen=True)
class Spread:
    """Summary statistics of one change (patient ids kept, to list them). Each is worked
    out once, when first read: the exact standard deviation of thousands of values takes
    milliseconds, and a screen reads it more than once."""

    patients: tuple[str, ...]
    values: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @functools.cached_property
    def mean(self) -> float | None:
        return statistics.fmean(self.values) if self.values else None

    @functools.cached_property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @functools.cached_property
    def sd(self) -> float | None:
        return statistics.stdev(self.values) if len(self.values) > 1 else None

    @functools.cached_property
    def quartiles(self) -> tuple[float, float] | None:
        """The interquartile range (inclusive method: within the values' own range)."""
        if len(self.values) < 2:
            return None
        q1, _q2, q3 = statistics.quantiles(self.values, n=4, method="inclusive")
        return q1, q3


@dataclass(frozen=True)
class ChangeRow:
    region: Region
    months: int
    measure: str
    spread: Spread


LOST_REASONS: Mapping[str, str] = {
    "did_not_attend": "Booked, did not attend",
    "booked": "Booked, visit not recorded",
    "attended": "Attended, not measured",
    "cancelled": "Cancelled",
    "not_booked": "Never booked",
    "none": "No 6-month follow-up listed",
}


def lost_reason(status: FollowUpStatus | None) -> str:
    return "none" if status is None else status.value


@dataclass(frozen=True)
class Summary:
    threshold: float
    min_group: int
    today: date
    overall: Rate
    groups: Mapping[str, tuple[Rate, ...]]  # by GROUP_FIELDS field, largest group first
    quarters: tuple[Rate, ...]  # by quarter of the treatment date, oldest first
    lost: tuple[tuple[str, tuple[str, ...]], ...]  # (LOST_REASONS key, patient ids)
    patients: Mapping[str, TreatedPatient] = field(default_factory=dict)
    published_rate: float = PUBLISHED_RATE
    published_source: str = PUBLISHED_SOURCE

    @property
    def threshold_text(self) -> str:
        return format_threshold(self.threshold)

    @functools.cached_property
    def changes(self) -> tuple[ChangeRow, ...]:
        """The change from baseline (``change_rows``), patients by treatment date: worked out
        when first read (the change table's tab, the report), not with the headline numbers
        (some 30,000 changes on a clinic of 5,000 treated patients)."""
        return change_rows(self.patients.values())


def quarter_label(day: date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def quarters_between(first: date, last: date) -> list[str]:
    """Every quarter from ``first``'s to ``last``'s, those with no treatment included (a
    chart's gaps are shown, not closed up)."""
    out = []
    year, quarter = first.year, (first.month - 1) // 3
    while (year, quarter) <= (last.year, (last.month - 1) // 3):
        out.append(f"{year} Q{quarter + 1}")
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
    return out


def summarise(
    patients: Sequence[TreatedPatient], threshold: float, today: date, min_group: int
) -> Summary:
    # One pass over the patients (a clinic has thousands): each id goes into its category's
    # list in every group the patient is in (field -> label -> category -> ids).
    members: dict[str, dict[str, dict[ResponseCategory, list[str]]]] = {
        name: {} for name in GROUP_FIELDS
    }
    # Patients with the same facts share one mapping of groups (``group_labels``): the lists
    # a patient's id goes into are looked up once per mapping and category (the mapping is
    # kept alongside, so its id is not reused while this runs).
    into: dict[tuple[int, ResponseCategory], tuple[object, list[list[str]]]] = {}
    for p in patients:
        found = into.get((id(p.groups), p.category))
        if found is None:
            lists = []
            for name, labels in p.groups.items():
                for label in labels if name in members else ():
                    by = members[name].get(label)
                    if by is None:
                        by = members[name][label] = {c: [] for c in ResponseCategory}
                    lists.append(by[p.category])
            found = into[id(p.groups), p.category] = (p.groups, lists)
        for ids in found[1]:
            ids.append(p.patient_id)
    groups: dict[str, tuple[Rate, ...]] = {}
    for name, field_members in members.items():
        rates = [_rate(label, by) for label, by in field_members.items()]
        rates.sort(key=lambda r: (r.label == NOT_RECORDED, -len(r.treated), r.label))
        groups[name] = tuple(rates)
    patients = sorted(patients, key=lambda p: p.treated_on)
    by_quarter: dict[str, list[TreatedPatient]] = {}
    for p in patients:
        by_quarter.setdefault(quarter_label(p.treated_on), []).append(p)
    quarters = (
        tuple(
            count_rate(label, by_quarter.get(label, ()))
            for label in quarters_between(patients[0].treated_on, patients[-1].treated_on)
        )
        if patients
        else ()
    )
    lost: dict[str, list[str]] = {key: [] for key in LOST_REASONS}
    for p in patients:
        if p.category is ResponseCategory.NO_END_POINT_VISIT:
            lost[lost_reason(p.end_point_follow_up)].append(p.patient_id)
    return Summary(
        threshold,
        min_group,
        today,
        count_rate("All treated patients", patients),
        groups,
        quarters,
        tuple((key, tuple(ids)) for key, ids in lost.items() if ids),
        {p.patient_id: p for p in patients},
    )


def change_rows(patients: Iterable[TreatedPatient]) -> tuple[ChangeRow, ...]:
    """The change from baseline of ``patients`` (their ids in the order given), one row per
    measure, region and visit, by measure, then region, then visit."""
    cells: dict[tuple[Region, int, str], tuple[list[str], list[float]]] = {}
    at: dict[tuple[Region, int], dict[str, tuple[list[str], list[float]]]] = {}
    for p in patients:
        for region, months, values in p.changes:
            by_measure = at.get((region, months))
            if by_measure is None:
                by_measure = at[region, months] = {}
            for measure, value in values.items():
                cell = by_measure.get(measure)
                if cell is None:
                    cell = by_measure[measure] = cells[region, months, measure] = ([], [])
                cell[0].append(p.patient_id)
                cell[1].append(value)
    order = {r: i for i, r in enumerate(Region)}
    measures = [m for m, _l, _u in CHANGE_MEASURES]
    return tuple(
        ChangeRow(region, months, measure, Spread(tuple(ids), tuple(values)))
        for (region, months, measure), (ids, values) in sorted(
            cells.items(), key=lambda kv: (measures.index(kv[0][2]), order[kv[0][0]], kv[0][1])
        )
    )


# -- the pseudonymised export --------------------------------------------------------------

CSV_COLUMNS = (
    "patient_code",
    "treated_quarter",
    "sex",
    "age_band",
    "grade",
    "onset",
    "prior_treatments",
    "clinician",
    "site",
    "kit_lot",
    "patient_result",
    "lost_reason",
    "region",
    "main_region",
    "region_result",
    *(f"{short}_change_{months}m" for short in ("density", "diameter") for months in CHANGE_MONTHS),
    "threshold_percent",
)
_SHORT = {"terminal_density": "density", "mean_diameter_um": "diameter"}


def export_rows(summary: Summary, codes: Mapping[str, str]) -> list[list[str]]:
    """One row per treated patient and treated region (``CSV_COLUMNS``), no name, date of
    birth or id: ``codes`` gives each patient's pseudonym. Patients by treatment date."""
    rows = []
    for p in sorted(summary.patients.values(), key=lambda p: (p.treated_on, codes[p.patient_id])):
        g = p.groups
        lost = (
            LOST_REASONS[lost_reason(p.end_point_follow_up)]
            if p.category is ResponseCategory.NO_END_POINT_VISIT
            else ""
        )
        for region in p.treated_regions or (None,):
            result = p.region(region) if region is not None else None
            changes = {
                (_SHORT[m], c.months): v
                for c in p.changes
                if c.region == region
                for m, v in c.changes.items()
            }
            rows.append(
                [
                    codes[p.patient_id],
                    quarter_label(p.treated_on),
                    *("; ".join(g.get(name, ())) for name in GROUP_FIELDS),
                    p.category.label,
                    lost,
                    region.value if region is not None else "",
                    "yes" if region is not None and region == p.main_region else "",
                    result.category.label if result is not None else "",
                    *(
                        "" if (v := changes.get((short, months))) is None else f"{v:.1f}"
                        for short in ("density", "diameter")
                        for months in CHANGE_MONTHS
                    ),
                    f"{summary.threshold:g}",
                ]
            )
    return rows


MIN_GROUP_FIELD = "min_group"


def validate_min_group(text: str) -> int:
    """The smallest group shown as a percentage, as typed: a whole number from 1 to 1000;
    ``ValidationError`` naming the field otherwise."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValidationError(
            {MIN_GROUP_FIELD: "must be a whole number of patients, for example 10"}
        ) from None
    if not 1 <= value <= 1000:
        raise ValidationError({MIN_GROUP_FIELD: "must be between 1 and 1000 patients"})
    return value


# -- machine-readable (the command line's --json) ------------------------------------------


def rate_json(rate: Rate, threshold: float, min_group: int) -> dict[str, object]:
    low_high = rate.ci95
    return {
        "threshold_percent": threshold,
        "treated": len(rate.treated),
        "evaluable": len(rate.evaluable),
        "responded": len(rate.responded),
        "rate": rate.rate,
        "ci95": list(low_high) if low_high is not None else None,
        "lost_to_follow_up": len(rate.lost),
        "too_early": len(rate.too_early),
        "not_measured": len(rate.not_measured),
        "small_group": rate.small(min_group),
        "published_rate": PUBLISHED_RATE,
    }


def summary_json(summary: Summary, by: str | None = None) -> dict[str, object]:
    """The overall figures, and with ``by`` (a ``GROUP_FIELDS`` field) one entry per group."""
    out = rate_json(summary.overall, summary.threshold, summary.min_group)
    out["min_group"] = summary.min_group
    out["published_source"] = summary.published_source
    if by is not None:
        out["by"] = by
        out["groups"] = [
            {"group": r.label, **rate_json(r, summary.threshold, summary.min_group)}
            for r in summary.groups[by]
        ]
    return out
