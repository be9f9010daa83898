"""Trichoscopy assessments: per visit, per scalp region, the measurements of CLINICAL.md.

An assessment is one visit: its date, site and clinician, the bedside tests (hair pull test,
satisfaction, global photographic score) and one ``RegionMeasurement`` per region measured.
Every measured value has bounds (``MEASURES``); a value outside them is refused with a message
naming the field and the allowed range. Derived values are computed here and never typed in:
the terminal:vellus ratio, the frontal/occipital diameter ratio and the change against the
baseline, absolute and per cent. A ratio or percentage whose denominator is zero is ``None``
(shown as "—"), never an infinity or an error.

Terminal and vellus density are subsets of the total (software that counts intermediate hairs
separately leaves terminal + vellus below it), so their sum may not exceed the total by more
than ``SUBSET_TOLERANCE`` hairs/cm², which absorbs the rounding of three values exported to one
decimal place. Anagen % plus telogen % may not exceed 100 (plus the same rounding allowance).

The baseline (CLINICAL.md) is the assessment on or before the treatment day: the latest one
dated on or before it. Without a treatment it is the first assessment. An assessment made only
after the treatment is never used as a baseline: the report then says there is none.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from clinicdesk.domain.coded import Coded
from clinicdesk.domain.dates import DateError, format_uk, parse_date
from clinicdesk.domain.ids import PatientId, SiteId, UserId
from clinicdesk.domain.text import NOTE_MAX, SHORT_TEXT_MAX, TextError, clean_text
from clinicdesk.errors import ValidationError

NOT_AVAILABLE = "—"  # how an undefined ratio or change is shown
SUBSET_TOLERANCE = 1.0  # hairs/cm²: terminal + vellus may exceed total by this much (rounding)
PERCENT_TOLERANCE = 0.5  # anagen % + telogen % may exceed 100 by this much (rounding)
PULL_TEST_DEFAULT_OF = 60


class Region(Coded):
    FRONTAL = "frontal"
    MID_SCALP = "mid_scalp", "Mid-scalp"
    VERTEX = "vertex"
    TEMPORAL_LEFT = "temporal_left"
    TEMPORAL_RIGHT = "temporal_right"
    OCCIPITAL = "occipital", "Occipital (reference)"

    @property
    def is_reference(self) -> bool:
        """The occipital scalp is the (donor) reference region, not a treated one."""
        return self is Region.OCCIPITAL


def parse_region(text: str) -> Region:
    """A region from its code or label as people and software write it: ``mid-scalp``,
    ``Temporal left``, ``Occipital (reference)``. Raises ``ValueError`` otherwise."""
    words = re.sub(r"\(reference\)", "", text.strip().casefold())
    code = re.sub(r"[\s\-]+", "_", words.strip())
    aliases = {
        "midscalp": "mid_scalp",
        "temporal_l": "temporal_left",
        "temporal_r": "temporal_right",
    }
    return Region(aliases.get(code, code))


@dataclass(frozen=True)
class Measure:
    """One measured field of a region: its bounds, unit and whether it must be given."""

    name: str
    label: str
    unit: str
    low: float
    high: float
    required: bool = True

    @property
    def is_percentage(self) -> bool:
        """The measure is itself a percentage: its changes are in percentage points."""
        return self.unit == "%"

    def range_message(self) -> str:
        unit = self.unit if self.unit in ("", "%") else f" {self.unit}"
        return f"must be between {self.low:g} and {self.high:g}{unit}"


# In the order a table or a CSV file lists them.
MEASURES: tuple[Measure, ...] = (
    Measure("total_density", "Total density", "hairs/cm²", 0, 600),
    Measure("terminal_density", "Terminal density", "hairs/cm²", 0, 600),
    Measure("vellus_density", "Vellus density", "hairs/cm²", 0, 600),
    Measure("mean_diameter_um", "Mean shaft diameter", "µm", 5, 150),
    Measure("thin_hairs_pct", "Thin hairs (< 30 µm)", "%", 0, 100),
    Measure("fu_density", "Follicular units", "FU/cm²", 0, 300),
    Measure("hairs_per_fu", "Hairs per follicular unit", "hairs/FU", 1, 5),
    Measure("anagen_pct", "Anagen", "%", 0, 100, required=False),
    Measure("telogen_pct", "Telogen", "%", 0, 100, required=False),
    Measure("yellow_dots", "Yellow dots", "/cm²", 0, 200, required=False),
    # Cumulative thickness in mm/cm² (density x diameter: at most 600 x 0.15 = 90) or a
    # device's hair-mass index (HairCheck's stays under about 150): both fit under 200.
    Measure("hair_mass", "Hair mass (cumulative thickness)", "", 0, 200, required=False),
)
MEASURE_BY_NAME = {m.name: m for m in MEASURES}


@dataclass(frozen=True)
class RegionMeasurement:
    """The trichoscopy values of one region at one visit."""

    region: Region
    total_density: float
    terminal_density: float
    vellus_density: float
    mean_diameter_um: float
    thin_hairs_pct: float
    fu_density: float
    hairs_per_fu: float
    anagen_pct: float | None = None
    telogen_pct: float | None = None
    yellow_dots: float | None = None
    hair_mass: float | None = None
    measurement_site: str = ""  # where it was measured, e.g. "8 cm from glabella, midline"
    id: str | None = None

    def value(self, measure: str) -> float | None:
        value = getattr(self, measure)
        return None if value is None else float(value)

    @property
    def terminal_vellus_ratio(self) -> float | None:
        return ratio(self.terminal_density, self.vellus_density)


# The 7-point global photographic assessment (CLINICAL.md), -3 .. +3.
GLOBAL_PHOTO_SCORES: Mapping[int, str] = {
    -3: "Greatly worse",
    -2: "Moderately worse",
    -1: "Slightly worse",
    0: "No change",
    1: "Slightly improved",
    2: "Moderately improved",
    3: "Greatly improved",
}


class AssessmentSource(Coded):
    TYPED = "typed", "Typed in"
    CSV = "csv", "Imported from CSV"


@dataclass(frozen=True)
class AssessmentDetails:
    """What a clinician records at one assessment visit, validated.

    ``visit_site_id`` and ``clinician_id`` may be ``None`` from a form: the service fills in
    the acting user and their site.
    """

    visit_date: date
    regions: tuple[RegionMeasurement, ...] = ()
    visit_site_id: SiteId | None = None
    clinician_id: UserId | None = None
    treatment_id: str | None = None
    pull_test_pulled: int | None = None
    pull_test_of: int | None = None
    satisfaction: int | None = None
    global_photo_score: int | None = None
    photo_score_blinded: bool = False
    notes: str = ""
    source: AssessmentSource = AssessmentSource.TYPED

    def region(self, region: Region) -> RegionMeasurement | None:
        return next((m for m in self.regions if m.region == region), None)

    @property
    def frontal_occipital_diameter_ratio(self) -> float | None:
        frontal, occipital = self.region(Region.FRONTAL), self.region(Region.OCCIPITAL)
        if frontal is None or occipital is None:
            return None
        return ratio(frontal.mean_diameter_um, occipital.mean_diameter_um)


@dataclass(frozen=True)
class Assessment:
    """A stored assessment: the details plus the record's bookkeeping."""

    id: str
    patient_id: PatientId
    details: AssessmentDetails
    version: int
    site_id: SiteId
    created_at: str
    updated_at: str
    created_by: UserId
    updated_by: UserId

    @property
    def visit_date(self) -> date:
        return self.details.visit_date


# -- derived values -----------------------------------------------------------------------


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or ``None`` when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


@dataclass(frozen=True)
class Change:
    """One value against its baseline. ``percent`` is ``None`` when the baseline is 0."""

    baseline: float | None
    value: float | None

    @property
    def absolute(self) -> float | None:
        if self.baseline is None or self.value is None:
            return None
        return self.value - self.baseline

    @property
    def percent(self) -> float | None:
        absolute = self.absolute
        if absolute is None or not self.baseline:
            return None
        return absolute / self.baseline * 100


@dataclass(frozen=True)
class RegionChange:
    region: Region
    changes: Mapping[str, Change]  # by measure name, in MEASURES order
    # Both visits name the same measurement site (matched sites cut counting error ~20-fold).
    matched_site: bool


@dataclass(frozen=True)
class VisitChange:
    assessment: Assessment
    days_after_baseline: int
    regions: tuple[RegionChange, ...]

    def region(self, region: Region) -> RegionChange | None:
        return next((r for r in self.regions if r.region == region), None)


@dataclass(frozen=True)
class BaselineReport:
    """Every later assessment against the baseline. ``baseline`` is ``None`` when no
    assessment qualifies (then ``visits`` is empty)."""

    baseline: Assessment | None
    treatment_date: date | None
    visits: tuple[VisitChange, ...] = ()


def in_visit_order(assessments: Iterable[Assessment]) -> list[Assessment]:
    """By visit date; two on one day in the order they were recorded (ids are UUIDv7)."""
    return sorted(assessments, key=lambda a: (a.visit_date, a.created_at, a.id))


def baseline_assessment(
    assessments: Iterable[Assessment], treatment_date: date | None
) -> Assessment | None:
    """The assessment on or before ``treatment_date`` (the latest such); without a treatment,
    the first assessment. ``None`` if there is none."""
    ordered = in_visit_order(assessments)
    if treatment_date is None:
        return ordered[0] if ordered else None
    before = [a for a in ordered if a.visit_date <= treatment_date]
    return before[-1] if before else None


def _same_site(first: str, second: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.casefold().split())

    return bool(norm(first)) and norm(first) == norm(second)


def region_change(baseline: RegionMeasurement, later: RegionMeasurement) -> RegionChange:
    return RegionChange(
        later.region,
        {m.name: Change(baseline.value(m.name), later.value(m.name)) for m in MEASURES},
        _same_site(baseline.measurement_site, later.measurement_site),
    )


def changes_from_baseline(
    assessments: Iterable[Assessment], treatment_date: date | None = None
) -> BaselineReport:
    """Each assessment after the baseline, region by region (only regions measured at both),
    every measure against the baseline's value. Regions are reported all or none: no region is
    left out for looking bad."""
    ordered = in_visit_order(assessments)
    baseline = baseline_assessment(ordered, treatment_date)
    if baseline is None:
        return BaselineReport(None, treatment_date)
    later = ordered[ordered.index(baseline) + 1 :]
    visits = []
    for assessment in later:
        regions = []
        for measured in assessment.details.regions:
            before = baseline.details.region(measured.region)
            if before is not None:
                regions.append(region_change(before, measured))
        regions.sort(key=lambda r: list(Region).index(r.region))
        visits.append(
            VisitChange(
                assessment, (assessment.visit_date - baseline.visit_date).days, tuple(regions)
            )
        )
    return BaselineReport(baseline, treatment_date, tuple(visits))


# -- showing numbers ----------------------------------------------------------------------


def format_number(value: float | None, decimals: int = 1) -> str:
    return NOT_AVAILABLE if value is None else f"{value:.{decimals}f}"


def format_change(change: Change, decimals: int = 1, *, points: bool = False) -> str:
    """``+7.1 (+5.9%)``; ``+3.0 (—)`` when the baseline is 0; ``—`` when a value is missing.

    With ``points`` (a measure that is itself a percentage: thin hairs, anagen, telogen) the
    change is in percentage points only, ``+3.0 percentage points``: a per cent of a per cent
    reads as a far larger change than it is."""
    absolute, percent = change.absolute, change.percent
    if absolute is None:
        return NOT_AVAILABLE
    if points:
        return f"{absolute:+.{decimals}f} percentage points"
    pct = NOT_AVAILABLE if percent is None else f"{percent:+.{decimals}f}%"
    return f"{absolute:+.{decimals}f} ({pct})"


# -- validation ---------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


@dataclass
class _Checker:
    """Collects per-field messages while converting raw text."""

    errors: dict[str, str] = field(default_factory=dict)

    def number(self, key: str, text: str | None, measure: Measure) -> float | None:
        value = (text or "").strip()
        if not value:
            if measure.required:
                self.errors[key] = "is required"
            return None
        if not _NUMBER.match(value):
            self.errors[key] = "must be a number (with a decimal point, for example 12.5)"
            return None
        number = float(value)
        if not (math.isfinite(number) and measure.low <= number <= measure.high):
            self.errors[key] = measure.range_message()
            return None
        return number

    def whole(self, key: str, text: str | None, low: int, high: int, what: str) -> int | None:
        value = (text or "").strip()
        if not value:
            return None
        if not re.fullmatch(r"[+-]?\d+", value) or not low <= int(value) <= high:
            self.errors[key] = f"must be a whole number from {low} to {high}{what}"
            return None
        return int(value)

    def text(self, key: str, value: str | None, *, max_length: int, multiline: bool) -> str:
        try:
            return clean_text(value or "", max_length=max_length, multiline=multiline)
        except TextError as exc:
            self.errors[key] = str(exc)
            return ""


RawRow = Mapping[str, str | None]


def _check_region(
    c: _Checker, prefix: str, region: Region, row: RawRow
) -> RegionMeasurement | None:
    values = {m.name: c.number(f"{prefix}{m.name}", row.get(m.name), m) for m in MEASURES}
    site = c.text(
        f"{prefix}measurement_site",
        row.get("measurement_site"),
        max_length=SHORT_TEXT_MAX,
        multiline=False,
    )
    total, terminal, vellus = (
        values["total_density"],
        values["terminal_density"],
        values["vellus_density"],
    )
    if (
        total is not None
        and terminal is not None
        and vellus is not None
        and terminal + vellus > total + SUBSET_TOLERANCE
    ):
        c.errors[f"{prefix}terminal_density"] = (
            f"terminal + vellus density ({terminal + vellus:g}) must not exceed "
            f"the total density ({total:g} hairs/cm²)"
        )
    anagen, telogen = values["anagen_pct"], values["telogen_pct"]
    if anagen is not None and telogen is not None and anagen + telogen > 100 + PERCENT_TOLERANCE:
        c.errors[f"{prefix}telogen_pct"] = (
            f"anagen % + telogen % ({anagen + telogen:g}) must not exceed 100%"
        )
    if any(v is None for k, v in values.items() if MEASURE_BY_NAME[k].required):
        return None
    if any(f"{prefix}{name}" in c.errors for name in MEASURE_BY_NAME):
        return None

    def required(name: str) -> float:
        value = values[name]
        assert value is not None
        return value

    return RegionMeasurement(
        region=region,
        total_density=required("total_density"),
        terminal_density=required("terminal_density"),
        vellus_density=required("vellus_density"),
        mean_diameter_um=required("mean_diameter_um"),
        thin_hairs_pct=required("thin_hairs_pct"),
        fu_density=required("fu_density"),
        hairs_per_fu=required("hairs_per_fu"),
        anagen_pct=values["anagen_pct"],
        telogen_pct=values["telogen_pct"],
        yellow_dots=values["yellow_dots"],
        hair_mass=values["hair_mass"],
        measurement_site=site,
        id=row.get("id") or None,
    )


def validate_region(row: RawRow, *, prefix: str = "") -> RegionMeasurement:
    """One region's values from raw text (``row["region"]`` names it); errors keyed
    ``{prefix}{field}``."""
    c = _Checker()
    region: Region | None = None
    try:
        region = parse_region(row.get("region") or "")
    except ValueError:
        c.errors[f"{prefix}region"] = "must be one of: " + ", ".join(r.label for r in Region)
    measured = _check_region(c, prefix, region or Region.FRONTAL, row)
    if c.errors:
        raise ValidationError(c.errors)
    assert measured is not None
    return measured


NOTHING_MEASURED = (
    "nothing was measured: type at least one region's measurements, or a bedside test "
    "(pull test, satisfaction or photographic score)"
)


def validate_assessment(
    raw: RawRow,
    regions: Sequence[RawRow],
    *,
    today: date,
    source: AssessmentSource = AssessmentSource.TYPED,
) -> AssessmentDetails:
    """Turn the text of an assessment form into ``AssessmentDetails``.

    ``raw`` holds the visit fields (``visit_date``, ``visit_site_id``, ``clinician_id``,
    ``treatment_id``, ``pull_test_pulled``, ``pull_test_of``, ``satisfaction``,
    ``global_photo_score``, ``photo_score_blinded``, ``notes``); each row of ``regions`` one
    region's measures, keyed by the names in ``MEASURES`` plus ``region`` and
    ``measurement_site``. Error keys look like ``regions[frontal].total_density``.
    """
    c = _Checker()
    visit_date: date | None = None
    date_text = (raw.get("visit_date") or "").strip()
    if not date_text:
        c.errors["visit_date"] = "is required"
    else:
        try:
            visit_date = parse_date(date_text)
            if visit_date > today:
                c.errors["visit_date"] = "is in the future"
        except DateError as exc:
            c.errors["visit_date"] = str(exc)
    pulled = c.whole("pull_test_pulled", raw.get("pull_test_pulled"), 0, 60, " hairs")
    pull_of = c.whole("pull_test_of", raw.get("pull_test_of"), 1, 100, " hairs")
    if pulled is not None:
        pull_of = pull_of or PULL_TEST_DEFAULT_OF
        if pulled > pull_of:
            c.errors["pull_test_pulled"] = f"cannot be more than the hairs held ({pull_of})"
    satisfaction = c.whole("satisfaction", raw.get("satisfaction"), 0, 10, "")
    score = c.whole("global_photo_score", raw.get("global_photo_score"), -3, 3, "")
    blinded_text = str(raw.get("photo_score_blinded") or "").strip().casefold()
    blinded = blinded_text in ("1", "true", "yes", "y")
    notes = c.text("notes", raw.get("notes"), max_length=NOTE_MAX, multiline=True)
    measured: list[RegionMeasurement] = []
    seen: set[Region] = set()
    for i, row in enumerate(regions):
        try:
            region = parse_region(row.get("region") or "")
        except ValueError:
            c.errors[f"regions[{i}].region"] = "must be one of: " + ", ".join(
                r.label for r in Region
            )
            continue
        prefix = f"regions[{region.value}]."
        if region in seen:
            c.errors[f"{prefix}region"] = "is listed twice"
            continue
        seen.add(region)
        if (m := _check_region(c, prefix, region, row)) is not None:
            measured.append(m)
    bedside = (pulled, satisfaction, score)
    if not regions and all(value is None for value in bedside) and not c.errors:
        # An empty form is not a visit: it would become a baseline or follow-up of nothing.
        c.errors["regions"] = NOTHING_MEASURED
    if c.errors:
        raise ValidationError(c.errors)
    assert visit_date is not None
    measured.sort(key=lambda m: list(Region).index(m.region))
    return AssessmentDetails(
        visit_date=visit_date,
        regions=tuple(measured),
        visit_site_id=SiteId(site) if (site := (raw.get("visit_site_id") or "").strip()) else None,
        clinician_id=UserId(who) if (who := (raw.get("clinician_id") or "").strip()) else None,
        treatment_id=(raw.get("treatment_id") or "").strip() or None,
        pull_test_pulled=pulled,
        pull_test_of=pull_of if pulled is not None else None,
        satisfaction=satisfaction,
        global_photo_score=score,
        photo_score_blinded=blinded and score is not None,
        notes=notes,
        source=source,
    )


def region_form(measured: RegionMeasurement) -> dict[str, str]:
    """A region's values as a form (or ``validate_assessment``) takes them back."""
    form = {"region": measured.region.value, "measurement_site": measured.measurement_site}
    for m in MEASURES:
        value = measured.value(m.name)
        form[m.name] = "" if value is None else f"{value:g}"
    if measured.id:
        form["id"] = measured.id
    return form


def assessment_form(details: AssessmentDetails) -> dict[str, str]:
    """The visit fields of ``details`` as form text (dates the UK way)."""

    def text(value: object) -> str:
        return "" if value is None else str(value)

    return {
        "visit_date": format_uk(details.visit_date),
        "visit_site_id": text(details.visit_site_id),
        "clinician_id": text(details.clinician_id),
        "treatment_id": text(details.treatment_id),
        "pull_test_pulled": text(details.pull_test_pulled),
        "pull_test_of": text(details.pull_test_of),
        "satisfaction": text(details.satisfaction),
        "global_photo_score": text(details.global_photo_score),
        "photo_score_blinded": "1" if details.photo_score_blinded else "",
        "notes": details.notes,
    }
