"""The progress report: how a patient's scalp measured before treatment and at every visit
since, with charts, before/after photos, the clinician's comment and one honest sentence from
the published studies (CLINICAL.md).

It is rendered from plain data, ``ProgressReportData``, that ``services.reports`` gathers;
nothing here reads the database. The numbers are the domain's own: the baseline and every
change come from ``changes_from_baseline`` (the assessment service's baseline report) and are
written with ``format_number`` / ``format_change``, exactly as the Measurements tab shows them.
This module only lays them out (the charts are ``documents.charts``; the patient flavour's
wording of numbers and dates is ``documents.plain_words``). Every region measured appears and
so does every visit after the baseline: nothing is left out for looking bad (CLINICAL.md: "no
cherry-picked regions").

Two flavours, each opening with a summary box: the response at the primary end point
(CLINICAL.md "Response categories", ``domain.response`` with the clinic's threshold: responded,
did not respond, too early to tell, no 6-month visit), per treated region, with the rule and
the threshold printed. ``clinical`` is the full record: the treatments (kit and anaesthetic,
each with its lot), the follow-ups, the adverse events, a table per region of every measure at
the baseline and each later visit with its absolute and per cent change (percentage points for
measures that are themselves percentages) and the terminal:vellus ratio, the bedside tests
(pull test, satisfaction, the global photographic score and whether it was blinded) with the
frontal/occipital ratio, and the charts. Visits are named by the schedule and the time since
the treatment ("3 months", "6 months — primary end point"). ``patient`` is for the patient to
take home: a result said plainly in the first paragraph (a non-responder is told kindly that
the measurements have not improved, how common that is, and what the options are), plain
sentences per region ("Your hair density at the crown went from 120 to 131 hairs per cm² (up
9%)"), side effects in plain words (shedding in the first months explained as expected), the
same charts and photos, fewer technical words, and a fall said as plainly as a gain. A patient
never treated is told so in the first sentence, and nothing after it speaks of a treatment.

The footer stamp's hash (``report_hash``) is the sha256 of the report's input, written as
canonical JSON: every value, date, name and the comment, with each photo as the sha256 of the
bytes embedded. The same hash means the same report content; it does not depend on reportlab.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image, KeepTogether, Table, TableStyle

from clinicdesk.documents.charts import chart_section
from clinicdesk.documents.fonts import FONT, FONT_BOLD
from clinicdesk.documents.layout import ClinicDetails, PatientIdentity, Stamp, build_pdf
from clinicdesk.documents.plain_words import (
    join_words,
    long_date,
    went,
)
from clinicdesk.documents.text import ACCENT, BAND, para, print_size
from clinicdesk.domain.assessments import (
    GLOBAL_PHOTO_SCORES,
    MEASURES,
    Assessment,
    BaselineReport,
    Change,
    Measure,
    Region,
    format_change,
    format_number,
)
from clinicdesk.domain.clinical import (
    AdverseEventOutcome,
    AdverseEventType,
    Severity,
    TreatedZone,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.follow_ups import (
    FollowUpKind,
    FollowUpStatus,
    add_months,
    time_since_treatment,
)
from clinicdesk.domain.photos import View
from clinicdesk.domain.response import (
    DEFAULT_THRESHOLD_PERCENT,
    PUBLISHED_SOURCE,
    PatientResponse,
    ResponseCategory,
    patient_response,
    plain_rule_text,
    rule_text,
)

Flavour = Literal["clinical", "patient"]
FLAVOURS: tuple[Flavour, ...] = ("clinical", "patient")
DOCUMENT_ID = "progress-report"
DOCUMENT_VERSION = "1"
VISITS_PER_TABLE = 4  # later visits beside the baseline per table: 1, 3, 6 and 12 months fit one

PAGE_WIDTH = 174 * mm  # the layout's frame: A4 less two 18 mm margins
LABEL_WIDTH = 50 * mm
PHOTO_BOX = (80 * mm, 54 * mm)  # three pairs to a page
GRID = colors.HexColor("#b8c2cc")
HEADER_FILL = colors.HexColor("#e9eef3")
BASELINE_FILL = colors.HexColor("#f5f7f9")


# Plain words for the patient flavour: "your hair density at the crown".
PLACES = {
    Region.FRONTAL: "at the front",
    Region.MID_SCALP: "in the middle of your scalp",
    Region.VERTEX: "at the crown",
    Region.TEMPORAL_LEFT: "at your left temple",
    Region.TEMPORAL_RIGHT: "at your right temple",
    Region.OCCIPITAL: "at the back of your head",
}
PLAIN_VIEWS = {
    View.FRONTAL: "Front",
    View.VERTEX: "Crown, from above",
    View.MIDLINE_PART: "Parting",
    View.TEMPORAL_LEFT: "Left side",
    View.TEMPORAL_RIGHT: "Right side",
    View.OCCIPITAL_DONOR: "Back of the head",
    View.TRICHOSCOPY: "Close-up",
}
PLAIN_ZONES = {
    TreatedZone.FRONTAL: "the front",
    TreatedZone.MID_SCALP: "the middle of the scalp",
    TreatedZone.VERTEX: "the crown",
    TreatedZone.TEMPORAL_LEFT: "the left temple",
    TreatedZone.TEMPORAL_RIGHT: "the right temple",
}

# CLINICAL.md "What the published studies found": the largest series, said once, honestly.
CONTEXT_CLINICAL = (
    "Published context: in the largest series (Zari 2021; 140 men and women, one session, "
    "TrichoScan at 1 to 6 months) mean density rose by 4.5 to 7.1 hairs/cm² and shaft "
    "thickness by 1.0 to 1.9 µm, with a favourable response in 66% (frontal region): gains "
    "are modest and not universal."
)
CONTEXT_PATIENT = (
    "To put this in context: in a published study of 140 men and women who had one session of "
    "this treatment, about two in three (66%) had a good response, and the average gain was "
    "modest, 4.5 to 7.1 more hairs per cm², so results differ from person to person and some "
    "people see no improvement."
)


# -- the input ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreatmentLine:
    treated_on: date
    site: str
    clinician: str
    zones: tuple[TreatedZone, ...]
    punches: int
    punch_diameter_mm: float
    kit_name: str
    kit_lot: str
    anaesthetic: str = ""  # name and dose as recorded: "Lidocaine 2% with adrenaline, 4 mL"
    anaesthetic_lot: str = ""


@dataclass(frozen=True)
class AdverseEventLine:
    treated_on: date  # the treatment it is recorded against
    event_type: AdverseEventType
    onset_on: date
    severity: Severity
    outcome: AdverseEventOutcome
    outcome_on: date | None = None
    description: str = ""
    action_taken: str = ""


@dataclass(frozen=True)
class FollowUpLine:
    treated_on: date  # the treatment it follows
    kind: FollowUpKind
    due_on: date
    status: FollowUpStatus


@dataclass(frozen=True)
class PhotoPair:
    """One standard view before (the baseline photo) and after (the latest photo since).
    The JPEGs are upright, downscaled and carry no metadata (``media.ingest``)."""

    view: View
    before_on: date
    before_jpeg: bytes
    after_on: date
    after_jpeg: bytes


@dataclass(frozen=True)
class MissingPair:
    view: View
    reason: str  # "no photo since the treatment", ...


@dataclass(frozen=True)
class ProgressReportData:
    clinic: ClinicDetails
    patient: PatientIdentity
    prepared_on: date
    prepared_by: str  # the clinician's name
    treatments: tuple[TreatmentLine, ...]  # oldest first
    follow_ups: tuple[FollowUpLine, ...]  # by due date
    assessments: tuple[Assessment, ...]  # every assessment, in visit order
    changes: BaselineReport  # the assessment service's baseline report
    photo_pairs: tuple[PhotoPair, ...] = ()
    missing_pairs: tuple[MissingPair, ...] = ()
    comment: str = ""
    adverse_events: tuple[AdverseEventLine, ...] = ()  # by onset
    # The clinic's response threshold (CLINICAL.md "Response categories"), in per cent.
    threshold_percent: float = DEFAULT_THRESHOLD_PERCENT


# -- the document ---------------------------------------------------------------------------


def render_progress_report(
    data: ProgressReportData,
    flavour: Flavour,
    *,
    large_print: bool = False,
    generated_at: datetime | None = None,
) -> bytes:
    """The report as PDF bytes (the same input, the same bytes); ``large_print``: 12 pt body
    text and larger chart labels; ``generated_at``: the creation date the file states."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown report flavour {flavour!r}")
    with print_size(large=large_print):
        story = _clinical_story(data) if flavour == "clinical" else _patient_story(data)
        stamp = Stamp(DOCUMENT_ID, DOCUMENT_VERSION, report_hash(data, flavour))
        title = "Progress report" if flavour == "clinical" else "Your progress report"
        return build_pdf(data.clinic, data.patient, title, stamp, story, generated_at=generated_at)


def report_hash(data: ProgressReportData, flavour: Flavour) -> str:
    """sha256 of the report's input as canonical JSON (photos as the sha256 of their bytes)."""
    content = {"flavour": flavour, "report": _canonical(data)}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(_canonical(k)): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def _shown_visits(data: ProgressReportData) -> tuple[Assessment, ...]:
    """The baseline and every later visit; without a baseline, every assessment."""
    report = data.changes
    if report.baseline is None:
        return data.assessments
    return (report.baseline, *(v.assessment for v in report.visits))


def _earlier(data: ProgressReportData) -> list[Assessment]:
    """Assessments before the baseline (pre-treatment history, not part of the comparison)."""
    baseline = data.changes.baseline
    if baseline is None:
        return []
    shown = {a.id for a in _shown_visits(data)}
    return [a for a in data.assessments if a.id not in shown]


def _treated(data: ProgressReportData) -> set[Region]:
    """The regions that were a treated zone in any treatment (zones and regions share names)."""
    zones = {zone.value for t in data.treatments for zone in t.zones}
    return {region for region in Region if region.value in zones}


def _regions(visits: Iterable[Assessment]) -> list[Region]:
    """Every region measured at any of ``visits``, in the usual order."""
    measured = {m.region for a in visits for m in a.details.regions}
    return [r for r in Region if r in measured]


def responses(data: ProgressReportData) -> list[tuple[TreatmentLine, PatientResponse]]:
    """Each treatment (oldest first) with its response at the primary end point, by the
    domain's rule and the clinic's threshold (``domain.response``)."""
    return [
        (
            t,
            patient_response(
                data.assessments,
                t.treated_on,
                [zone.value for zone in t.zones],
                data.threshold_percent,
                data.prepared_on,
            ),
        )
        for t in data.treatments
    ]


def visit_label(data: ProgressReportData, visit: Assessment) -> str:
    """A visit named by the schedule and the time since the treatment before it ("3 months",
    "6 months — primary end point"); the baseline as such. Without a treatment, the time since
    the first assessment."""
    baseline = data.changes.baseline
    if baseline is not None and visit.id == baseline.id:
        return "baseline"
    before = [t.treated_on for t in data.treatments if t.treated_on <= visit.visit_date]
    if not before:
        if data.treatments:
            return "before the treatment"
        if baseline is None or visit.visit_date == baseline.visit_date:
            return "same day" if baseline is not None else ""
        return f"{time_since_treatment(baseline.visit_date, visit.visit_date)} later"
    treated_on = max(before)
    label = time_since_treatment(treated_on, visit.visit_date)
    if len({t.treated_on for t in data.treatments}) > 1:
        label += f" after the treatment of {format_uk(treated_on)}"
    end_points = {r.end_point.id for _, r in responses(data) if r.end_point is not None}
    if visit.id in end_points:
        label += " — primary end point"
    return label


# -- clinical flavour -----------------------------------------------------------------------


def _clinical_story(data: ProgressReportData) -> list[Flowable]:
    story: list[Flowable] = [
        _box(_clinical_summary(data)),
        para(_clinical_opening(data), "body"),
    ]
    story += _treatment_section(data)
    story += _follow_up_section(data)
    story += _adverse_event_section(data)
    story += _measurement_section(data)
    story += _bedside_section(data)
    story += chart_section(_shown_visits(data), plain=False, width=PAGE_WIDTH)
    story += _photo_section(data, plain=False)
    story += _comment_section(data, plain=False)
    story += [para("Context", "heading"), para(CONTEXT_CLINICAL, "body")]
    return story


def _clinical_opening(data: ProgressReportData) -> str:
    compared, named = "the baseline", "the time since the treatment"
    if not data.treatments:
        compared = named = "the first assessment"
    return (
        f"Prepared on {format_uk(data.prepared_on)} by {data.prepared_by}. Measurements are "
        f"trichoscopy values as recorded; each later visit is compared with {compared} "
        "(absolute change, then per cent; percentage points for measures that are themselves "
        f"percentages). Visits are named by {named}."
    )


def _treatment_section(data: ProgressReportData) -> list[Flowable]:
    out: list[Flowable] = [para("Treatment", "heading")]
    if not data.treatments:
        return [*out, para("No treatment has been recorded for this patient.", "body")]
    head = (
        "Date",
        "Site and clinician",
        "Zones treated",
        "Punches",
        "Kit and lot",
        "Anaesthetic and lot",
    )
    rows = [[para(text, "table_bold") for text in head]]
    for t in data.treatments:
        anaesthetic = t.anaesthetic or "not recorded"
        if t.anaesthetic_lot:
            anaesthetic += f", lot {t.anaesthetic_lot}"
        rows.append(
            [
                para(format_uk(t.treated_on), "table"),
                para(", ".join(part for part in (t.site, t.clinician) if part), "table"),
                para(", ".join(z.label for z in t.zones), "table"),
                para(f"{t.punches} × {t.punch_diameter_mm:g} mm", "table"),
                para(f"{t.kit_name}, lot {t.kit_lot}", "table"),
                para(anaesthetic, "table"),
            ]
        )
    widths = [20 * mm, 31 * mm, 25 * mm, 18 * mm, 40 * mm, 40 * mm]
    return [*out, _table(rows, widths)]


def _follow_up_section(data: ProgressReportData) -> list[Flowable]:
    out: list[Flowable] = [para("Follow-up", "heading")]
    if not data.follow_ups:
        return [*out, para("No follow-ups are scheduled.", "body")]
    attended, due = _attendance(data)
    out.append(para(f"Attended {attended} of the {due} follow-ups due so far.", "body"))
    several = len({f.treated_on for f in data.follow_ups}) > 1
    head = ["Follow-up", "Due", "Status"] + (["Treatment of"] if several else [])
    rows = [[para(text, "table_bold") for text in head]]
    for f in data.follow_ups:
        row = [
            para(f.kind.label, "table"),
            para(format_uk(f.due_on), "table"),
            para(f.status.label, "table"),
        ]
        if several:
            row.append(para(format_uk(f.treated_on), "table"))
        rows.append(row)
    widths = [62 * mm, 28 * mm, 34 * mm] + ([28 * mm] if several else [])
    return [*out, _table(rows, widths)]


def _attendance(data: ProgressReportData) -> tuple[int, int]:
    """(attended, due so far): a follow-up is due once its date has come, unless cancelled;
    one attended early counts as due."""
    attended = sum(f.status is FollowUpStatus.ATTENDED for f in data.follow_ups)
    due = sum(
        f.status is FollowUpStatus.ATTENDED
        or (f.due_on <= data.prepared_on and f.status is not FollowUpStatus.CANCELLED)
        for f in data.follow_ups
    )
    return attended, due


def _baseline_sentence(data: ProgressReportData) -> str:
    report = data.changes
    if report.baseline is None:
        if not data.assessments:
            return "No trichoscopy assessment has been recorded."
        return (
            "No assessment was made on or before the treatment day, so there is no baseline "
            "and no change can be calculated; the values measured are shown as recorded."
        )
    baseline_day = format_uk(report.baseline.visit_date)
    if report.treatment_date is None:
        text = f"Baseline: the first assessment, {baseline_day} (no treatment recorded)."
    else:
        text = (
            f"Baseline: the assessment of {baseline_day}, the latest on or before the "
            f"treatment of {format_uk(report.treatment_date)}."
        )
    if earlier := _earlier(data):
        days = ", ".join(format_uk(a.visit_date) for a in earlier)
        text += f" Earlier assessments ({days}) are in the record but not compared here."
    if not report.visits:
        text += " There has been no assessment since, so no change can be shown yet."
    return text


def _measurement_section(data: ProgressReportData) -> list[Flowable]:
    # The heading and the baseline sentence go in the first table's block, so they never end
    # a page on their own.
    opening: list[Flowable] = [
        para("Trichoscopy measurements", "heading"),
        para(_baseline_sentence(data), "body"),
    ]
    out: list[Flowable] = []
    for region in _regions(_shown_visits(data)):
        for number, columns in enumerate(_column_groups(data)):
            title = region.label + _treatment_tag(data, region)
            title += ", continued" if number else ""
            block: list[Flowable] = [
                *([] if out else opening),
                para(title, "subheading"),
                _region_table(data, region, columns),
            ]
            if number == 0 and (note := _site_note(data, region)):
                block.append(para(note, "small"))
            out.append(KeepTogether(block))
    shown = _shown_visits(data)
    if any(m.name == "hair_mass" for r in _regions(shown) for m in _measures_for(r, shown)):
        out.append(para(HAIR_MASS_NOTE, "small"))
    return out or opening


def _column_groups(data: ProgressReportData) -> list[tuple[Assessment, ...]]:
    """The visits of each region table: the baseline and up to ``VISITS_PER_TABLE`` later
    visits, the baseline repeated in each table when there are more (so every visit appears
    beside the value it is compared with)."""
    visits = _shown_visits(data)
    if data.changes.baseline is None:
        size = VISITS_PER_TABLE + 1
        return [visits[i : i + size] for i in range(0, len(visits), size)]
    baseline, later = visits[0], visits[1:]
    if not later:
        return [(baseline,)]
    return [
        (baseline, *later[i : i + VISITS_PER_TABLE]) for i in range(0, len(later), VISITS_PER_TABLE)
    ]


def _treatment_tag(data: ProgressReportData, region: Region) -> str:
    if region.is_reference or not data.treatments:
        return ""
    return " (treated)" if region in _treated(data) else " (not treated)"


def _region_table(data: ProgressReportData, region: Region, columns: Sequence[Assessment]) -> Table:
    baseline = data.changes.baseline
    measures = _measures_for(region, _shown_visits(data))
    head: list[Flowable] = [para("Measure", "table_bold")]
    for visit in columns:
        head.append(_visit_head(data, visit))
    rows: list[list[Flowable | list[Flowable]]] = [list(head)]
    for measure in measures:
        row: list[Flowable | list[Flowable]] = [para(_measure_label(measure), "table")]
        for visit in columns:
            row.append(_cell(data, region, measure, visit))
        rows.append(row)
    ratio_row: list[Flowable | list[Flowable]] = [para("Terminal:vellus ratio", "table")]
    for visit in columns:
        measured = visit.details.region(region)
        ratio = None if measured is None else measured.terminal_vellus_ratio
        ratio_row.append(para(format_number(ratio, 2), "table"))
    rows.append(ratio_row)
    value_width = min(24 * mm, (PAGE_WIDTH - LABEL_WIDTH) / len(columns))
    table = _table(rows, [LABEL_WIDTH] + [value_width] * len(columns))
    if baseline is not None and columns and columns[0].id == baseline.id:
        table.setStyle(TableStyle([("BACKGROUND", (1, 1), (1, -1), BASELINE_FILL)]))
    return table


def _visit_head(data: ProgressReportData, visit: Assessment) -> Flowable:
    label = visit_label(data, visit)
    text = format_uk(visit.visit_date) + (f"\n{label}" if label else "")
    return para(text, "table_bold")


# Hair mass has no unit of its own in the record: trichoscopy software reports cumulative
# thickness in mm/cm² (density × mean diameter); a device's hair-mass index is stored as it is.
HAIR_MASS_LABEL = "Hair mass, cumulative thickness (mm/cm²)"
HAIR_MASS_NOTE = (
    "Hair mass is the cumulative thickness, in mm of hair shaft per cm² of scalp (density × "
    "mean diameter), as the trichoscopy software reports it; a device that reports its own "
    "hair-mass index has that index recorded as it is."
)


def _measure_label(measure: Measure) -> str:
    if measure.name == "hair_mass":
        return HAIR_MASS_LABEL
    return f"{measure.label} ({measure.unit})" if measure.unit else measure.label


def _measures_for(region: Region, visits: Sequence[Assessment]) -> list[Measure]:
    """The required measures, and each optional one measured at some shown visit."""
    measured = [m for a in visits if (m := a.details.region(region)) is not None]
    return [
        measure
        for measure in MEASURES
        if measure.required or any(m.value(measure.name) is not None for m in measured)
    ]


def _cell(
    data: ProgressReportData, region: Region, measure: Measure, visit: Assessment
) -> Flowable | list[Flowable]:
    measured = visit.details.region(region)
    value = None if measured is None else measured.value(measure.name)
    shown = para(format_number(value), "table")
    report = data.changes
    if report.baseline is None or visit.id == report.baseline.id or value is None:
        return shown
    later = next((v for v in report.visits if v.assessment.id == visit.id), None)
    region_change = None if later is None else later.region(region)
    if region_change is None:  # not measured at the baseline: nothing to compare with
        return [shown, para("no baseline", "small")]
    change = region_change.changes[measure.name]
    return [shown, para(format_change(change, points=measure.is_percentage), "small")]


def _site_note(data: ProgressReportData, region: Region) -> str:
    """Where the region was measured, and the visits that did not name the same spot
    (matched sites cut counting error from about 9% to about 0.4%: CLINICAL.md)."""
    report = data.changes
    if report.baseline is None:
        return ""
    base = report.baseline.details.region(region)
    if base is None:
        return "Not measured at the baseline: no change can be calculated for this region."
    unmatched = [
        format_uk(v.assessment.visit_date)
        for v in report.visits
        if (c := v.region(region)) is not None and not c.matched_site
    ]
    where = f"Measured at: {base.measurement_site}. " if base.measurement_site else ""
    if not unmatched:
        return f"{where}Same spot at every visit." if where else ""
    return (
        f"{where}Spot not recorded as the same as the baseline's on {', '.join(unmatched)}: "
        "unmatched spots add counting error (about 9%, against 0.4% at matched spots)."
    )


def _clinical_summary(data: ProgressReportData) -> list[Flowable]:
    """The summary box: the response category of each treatment at the primary end point,
    per treated region, with the rule and the threshold; the adverse events in one line."""
    out: list[Flowable] = [para("Summary", "subheading")]
    if not data.treatments:
        out.append(
            para(
                "No treatment has been recorded for this patient, so there is no response to "
                "judge.",
                "body",
            )
        )
    else:
        judged = responses(data)
        for t, response in judged:
            prefix = f"Treatment of {format_uk(t.treated_on)}: " if len(judged) > 1 else ""
            out.append(
                para(
                    f"{prefix}Result at the primary end point (6 months): "
                    f"{response.category.label}.",
                    "table_bold",
                )
            )
            out += [para(text, "body") for text in _clinical_category_lines(response)]
        out.append(para(rule_text(data.threshold_percent), "small"))
        out.append(para(f"Published comparison: {PUBLISHED_SOURCE}.", "small"))
    out.append(para(f"Adverse events: {_adverse_event_count(data)}.", "body"))
    return out


def _clinical_category_lines(response: PatientResponse) -> list[str]:
    start, end = (format_uk(day) for day in response.window)
    category = response.category
    if category is ResponseCategory.TOO_EARLY:
        return [
            f"Too early to tell: the main assessment is at 6 months, due on "
            f"{format_uk(response.due)} (a visit from {start} to {end} counts)."
        ]
    if category is ResponseCategory.NO_END_POINT_VISIT:
        return [
            f"No 6-month visit: no assessment between {start} and {end} (due "
            f"{format_uk(response.due)}), so the response cannot be judged."
        ]
    assert response.end_point is not None
    when = response.end_point.visit_date
    lines = [
        f"End-point visit: {format_uk(when)} "
        f"({time_since_treatment(response.treated_on, when)} after the treatment)."
    ]
    for region in response.regions:
        name = region.region.label
        if region.region == response.main_region:
            name += " (main region)"
        if region.category is ResponseCategory.NOT_MEASURED:
            lines.append(
                f"{name}: not measured both at the baseline and at the end-point visit, so "
                "it cannot be judged."
            )
            continue
        lines.append(
            f"{name}: {region.category.label.lower()}. Terminal density "
            f"{_from_to(region.density, 'hairs/cm²')}; mean shaft diameter "
            f"{_from_to(region.diameter, 'µm')}."
        )
    return lines


def _sentence(text: str) -> str:
    """``text`` ending with a full stop (free text is printed as typed, plus the stop)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _from_to(change: Change, unit: str) -> str:
    return (
        f"{format_number(change.baseline)} → {format_number(change.value)} {unit}, "
        f"{format_change(change)}"
    )


def _adverse_event_count(data: ProgressReportData) -> str:
    events = data.adverse_events
    if not events:
        return "none recorded"
    kinds = "; ".join(f"{e.event_type.label.lower()}, {e.outcome.label.lower()}" for e in events)
    number = "1 recorded" if len(events) == 1 else f"{len(events)} recorded"
    return f"{number} ({kinds}), listed below"


def _adverse_event_section(data: ProgressReportData) -> list[Flowable]:
    out: list[Flowable] = [para("Adverse events", "heading")]
    if not data.adverse_events:
        return [*out, para("None recorded.", "body")]
    several = len({t.treated_on for t in data.treatments}) > 1
    head = ("Event", "Onset", "Severity", "Outcome", "Description and action")
    rows = [[para(text, "table_bold") for text in head]]
    for event in data.adverse_events:
        onset = format_uk(event.onset_on)
        days = (event.onset_on - event.treated_on).days
        onset += f"\nday {days} after the treatment"
        if several:
            onset += f" of {format_uk(event.treated_on)}"
        outcome = event.outcome.label
        if event.outcome_on is not None:
            outcome += f", {format_uk(event.outcome_on)}"
        details = " ".join(
            _sentence(text)
            for text in (event.description, event.action_taken and f"Action: {event.action_taken}")
            if text
        )
        rows.append(
            [
                para(event.event_type.label, "table"),
                para(onset, "table"),
                para(event.severity.label, "table"),
                para(outcome, "table"),
                para(details or "—", "table"),
            ]
        )
    out.append(_table(rows, [30 * mm, 32 * mm, 18 * mm, 30 * mm, 64 * mm]))
    for event in data.adverse_events:
        if (note := _shedding_note(data, event, plain=False)) is not None:
            out.append(para(note, "small"))
            break
    return out


# Shedding is expected in the first months (CLINICAL.md: "temporary shedding", a material
# risk on the consent form); one still going on after this long is not the usual kind.
EXPECTED_SHEDDING_MONTHS = 4


def _shedding_note(data: ProgressReportData, event: AdverseEventLine, *, plain: bool) -> str | None:
    """What an ongoing shedding event means: expected in the first months, to be looked at
    after them. ``None`` for any other event."""
    if event.event_type is not AdverseEventType.SHEDDING:
        return None
    if event.outcome is not AdverseEventOutcome.ONGOING:
        return None
    early = data.prepared_on <= add_months(event.treated_on, EXPECTED_SHEDDING_MONTHS)
    if plain and early:
        return (
            "Some hair shedding in the first weeks and months after the treatment is expected. "
            "It is usually temporary: the hairs that fall are in their resting phase, and new "
            "hairs grow back in the months that follow. It does not mean the treatment has "
            "failed. Tell us if it has not settled by your next check-up."
        )
    if plain:
        return (
            "Shedding that goes on for more than a few months after the treatment is not the "
            "usual temporary shedding: please talk to your clinician about it."
        )
    if early:
        return (
            "Ongoing shedding within the first months after treatment is expected (temporary "
            "telogen shedding, a risk on the consent form); review if it persists beyond "
            f"{EXPECTED_SHEDDING_MONTHS} months."
        )
    return (
        f"Shedding still ongoing more than {EXPECTED_SHEDDING_MONTHS} months after treatment is "
        "beyond the expected temporary shedding: review."
    )


def _bedside_section(data: ProgressReportData) -> list[Flowable]:
    """The bedside tests of each visit (pull test, satisfaction, global photographic score)
    and the frontal/occipital diameter ratio, where recorded."""
    rows_for: list[tuple[str, Callable[[Assessment], str | None]]] = [
        ("Pull test (hairs pulled)", _pull_test),
        ("Patient satisfaction (0-10)", lambda a: _whole(a.details.satisfaction)),
        ("Global photographic score (-3 to +3)", _photo_score),
        (
            "Frontal/occipital diameter ratio",
            lambda a: (
                None
                if (r := a.details.frontal_occipital_diameter_ratio) is None
                else format_number(r, 2)
            ),
        ),
    ]
    visits = _shown_visits(data)
    kept = [(label, value) for label, value in rows_for if any(value(a) for a in visits)]
    if not kept:
        return []
    out: list[Flowable] = []
    for number, columns in enumerate(_column_groups(data)):
        head: list[Flowable] = [para("Test", "table_bold")]
        head += [_visit_head(data, visit) for visit in columns]
        rows: list[list[Flowable]] = [head]
        for label, value in kept:
            rows.append(
                [para(label, "table")] + [para(value(visit) or "—", "table") for visit in columns]
            )
        value_width = min(24 * mm, (PAGE_WIDTH - LABEL_WIDTH) / len(columns))
        title = "Bedside tests and ratios" + (", continued" if number else "")
        out.append(
            KeepTogether(
                [
                    para(title, "heading"),
                    _table(rows, [LABEL_WIDTH] + [value_width] * len(columns)),
                ]
            )
        )
    out.append(
        para(
            "The photographic score is the 7-point global assessment (-3 greatly worse to +3 "
            'greatly improved), marked "blinded" when scored without knowing the visit.',
            "small",
        )
    )
    return out


def _whole(value: int | None) -> str | None:
    return None if value is None else str(value)


def _pull_test(visit: Assessment) -> str | None:
    details = visit.details
    if details.pull_test_pulled is None:
        return None
    if details.pull_test_of is None:
        return str(details.pull_test_pulled)
    return f"{details.pull_test_pulled} of {details.pull_test_of}"


def _photo_score(visit: Assessment) -> str | None:
    score = visit.details.global_photo_score
    if score is None:
        return None
    blinded = "blinded" if visit.details.photo_score_blinded else "not blinded"
    sign = f"{score:+d}" if score else "0"
    return f"{sign} {GLOBAL_PHOTO_SCORES[score].lower()} ({blinded})"


def _box(flowables: list[Flowable]) -> Table:
    """Flowables in a ruled, shaded box the width of the page (the summary)."""
    table = Table([[flowables]], colWidths=[PAGE_WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, ACCENT),
                ("BACKGROUND", (0, 0), (-1, -1), BAND),
                ("LEFTPADDING", (0, 0), (-1, -1), 3 * mm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2 * mm),
            ]
        )
    )
    table.hAlign = "LEFT"
    table.spaceAfter = 3 * mm
    return table


# -- patient flavour ------------------------------------------------------------------------


def _patient_story(data: ProgressReportData) -> list[Flowable]:
    summary = [para("Your result", "subheading")]
    for number, (text, style) in enumerate(patient_summary(data)):
        summary.append(para(text, style if number else "body"))
    if data.treatments:
        opening = "This report shows how your hair has changed since your treatment. It was"
    else:
        opening = "This report was"
    story: list[Flowable] = [
        _box(summary),
        para(
            f"{opening} prepared for you on {long_date(data.prepared_on)} by {data.prepared_by}.",
            "body",
        ),
        para("Your treatment", "heading"),
    ]
    story += [para(text, "body") for text in _plain_treatments(data)]
    story += _plain_adverse_events(data)
    story += [para("Your results", "heading")]
    story += [para(text, "body") for text in _plain_results(data)]
    story += chart_section(_shown_visits(data), plain=True, width=PAGE_WIDTH)
    story += _photo_section(data, plain=True)
    story += _comment_section(data, plain=True)
    story += [para("What to expect", "heading"), para(CONTEXT_PATIENT, "body")]
    return story


# CLINICAL.md "Consent": the reasonable alternatives, in plain words.
PLAIN_ALTERNATIVES = (
    "minoxidil (a lotion, foam or tablets)",
    "finasteride or dutasteride tablets (for men)",
    "anti-androgen tablets such as spironolactone (for some women)",
    "platelet-rich plasma (PRP) injections",
    "low-level laser treatment",
    "a hair transplant",
    "camouflage products",
    "or no further treatment",
)
PLAIN_CATEGORIES = {
    ResponseCategory.RESPONDED: "responded",
    ResponseCategory.NOT_RESPONDED: "did not respond",
    ResponseCategory.NOT_MEASURED: "was not measured at both check-ups",
}


def patient_summary(data: ProgressReportData) -> list[tuple[str, str]]:
    """The patient's summary box as (text, style) paragraphs; the first says the result (or
    that there is no treatment) plainly. With several treatments, the latest comes first."""
    if not data.treatments:
        first = "You have not had a treatment with us yet, so there is no treatment result to show."
        if data.assessments:
            first += " This report shows the measurements of your scalp taken so far."
        return [(first, "body")]
    judged = responses(data)
    out: list[tuple[str, str]] = []
    for t, response in reversed(judged):
        text = _plain_result(t, response)
        if len(judged) > 1:
            text = f"About your treatment of {long_date(t.treated_on)}: {text}"
        out.append((text, "body"))
        if (areas := _plain_areas(response)) is not None:
            out.append((areas, "body"))
    out.append((plain_rule_text(data.threshold_percent), "small"))
    return out


def _plain_result(t: TreatmentLine, response: PatientResponse) -> str:
    category = response.category
    due = long_date(response.due)
    if category is ResponseCategory.TOO_EARLY:
        return (
            "It is too early to tell whether your treatment has worked. The main assessment "
            f"is at 6 months after the treatment: your 6-month check-up is due on {due}. Hair "
            "grows slowly, so changes before then say little about your final result."
        )
    if category is ResponseCategory.NO_END_POINT_VISIT:
        return (
            "We cannot tell whether your treatment has worked, because there is no "
            "measurement from your 6-month check-up (the main assessment, due on "
            f"{due}). If you would like your result measured, please contact the clinic."
        )
    assert response.end_point is not None
    when = long_date(response.end_point.visit_date)
    main = response.region(response.main_region) if response.main_region else None
    if category is ResponseCategory.NOT_MEASURED or main is None:
        area = PLACES[response.main_region] if response.main_region else "in the area treated"
        return (
            "We cannot tell whether your treatment has worked: your scalp "
            f"{area} was not measured both before your treatment and at your 6-month "
            f"check-up on {when}. Your clinician can explain what this means for you."
        )
    place = PLACES[main.region]
    measured = (
        f"At your 6-month check-up on {when}, the number of thicker hairs {place} "
        f"{went(main.density, 'per cm²', 1)}, and their average thickness "
        f"{went(main.diameter, 'µm', 1)}."
    )
    if category is ResponseCategory.RESPONDED:
        return (
            f"Your measurements have improved. {measured} By the measure we use, the treatment "
            "has worked for you. Gains from this treatment are usually modest and differ from "
            "person to person: in the published study, about 2 in 3 people responded."
        )
    clinician = f"your clinician, {t.clinician}," if t.clinician else "your clinician"
    return (
        "We are sorry to tell you that your measurements have not improved enough to show "
        f"that the treatment has worked for you. {measured} This is not unusual: in the "
        "published study, about 1 in 3 people did not respond to this treatment. There are "
        f"other options, and {clinician} will talk them through with you: "
        f"{', '.join(PLAIN_ALTERNATIVES)}."
    )


def _plain_areas(response: PatientResponse) -> str | None:
    """Each treated area's result, when more than one was treated and measured."""
    if response.end_point is None or len(response.regions) < 2:
        return None
    parts = [
        f"{PLAIN_ZONES[TreatedZone(r.region.value)]} {PLAIN_CATEGORIES[r.category]}"
        for r in response.regions
    ]
    return f"Area by area: {'; '.join(parts)}."


def _plain_adverse_events(data: ProgressReportData) -> list[Flowable]:
    out: list[Flowable] = [para("Side effects and problems", "heading")]
    if not data.adverse_events:
        return [*out, para("None recorded.", "body")]
    notes: list[str] = []
    for event in data.adverse_events:
        what = PLAIN_EVENTS[event.event_type]
        if event.event_type is AdverseEventType.OTHER and event.description:
            what += f" ({event.description})"
        text = f"{what}, {event.severity.label.lower()}, from {long_date(event.onset_on)}: "
        text += _plain_outcome(event) + "."
        out.append(para(text, "body"))
        if (note := _shedding_note(data, event, plain=True)) is not None and note not in notes:
            notes.append(note)
    return out + [para(note, "body") for note in notes]


PLAIN_EVENTS = {
    AdverseEventType.DONOR_SITE_INFECTION: "An infection where the small skin samples were taken",
    AdverseEventType.SCARRING_KELOID: "Scarring where the small skin samples were taken",
    AdverseEventType.SHEDDING: "Hair shedding",
    AdverseEventType.HEADACHE: "Headache",
    AdverseEventType.ANAESTHETIC_REACTION: "A reaction to the local anaesthetic",
    AdverseEventType.OTHER: "Another problem",
}


def _plain_outcome(event: AdverseEventLine) -> str:
    by = f" by {long_date(event.outcome_on)}" if event.outcome_on is not None else ""
    if event.outcome is AdverseEventOutcome.ONGOING:
        return "still going on when this report was prepared"
    if event.outcome is AdverseEventOutcome.RESOLVED:
        return f"cleared up{by}"
    return f"cleared up{by}, with some lasting effects"


def _plain_treatments(data: ProgressReportData) -> list[str]:
    if not data.treatments:
        return ["No treatment has been recorded yet."]
    lines = []
    for t in data.treatments:
        zones = join_words([PLAIN_ZONES[z] for z in t.zones])
        lines.append(
            f"You had a micrograft treatment on {long_date(t.treated_on)} at {t.site}, "
            f"with {t.clinician}, to {zones}."
        )
    attended, due = _attendance(data)
    if due:
        lines.append(f"You have come to {attended} of the {due} check-ups due so far.")
    return lines


def _plain_results(data: ProgressReportData) -> list[str]:
    report = data.changes
    if report.baseline is None:
        if not data.assessments:
            return ["Your scalp has not been measured yet."]
        return [
            "There is no measurement from before your treatment, so we cannot show how your "
            "hair has changed."
        ]
    first = long_date(report.baseline.visit_date)
    treated_on = report.treatment_date if data.treatments else None
    if not report.visits:
        when = f"on {first}, before your treatment" if treated_on else f"on {first}"
        return [
            f"Your scalp was measured {when}. There has been no measurement since, so there is "
            "no change to show yet."
        ]
    latest = report.visits[-1].assessment.visit_date
    if treated_on is not None:
        since = time_since_treatment(treated_on, latest)
        compared = (
            f"These compare your measurements of {first}, before your treatment, with your "
            f"latest, on {long_date(latest)} ({since} after the treatment)."
        )
    else:
        compared = (
            f"These compare your first measurements, on {first}, with your latest, on "
            f"{long_date(latest)}."
        )
    lines = [
        f"{compared} Density is the number of hairs in one square centimetre of scalp; "
        "thickness is the average width of a hair, in micrometres (µm, thousandths of a "
        "millimetre)."
    ]
    for region in _regions(_shown_visits(data)):
        lines.append(_plain_region(data, region, latest))
    if any(r.is_reference for r in _regions(_shown_visits(data))):
        lines.append(
            "The back of your head is not treated. We measure it for comparison: a change "
            "there shows how much measurements vary on their own."
        )
    return lines


def _plain_region(data: ProgressReportData, region: Region, latest: date) -> str:
    report = data.changes
    place = PLACES[region]
    if data.treatments and not region.is_reference and region not in _treated(data):
        place += ", which was not treated,"
    changes = [(v.assessment.visit_date, c) for v in report.visits if (c := v.region(region))]
    if not changes:
        assert report.baseline is not None
        before = "before your treatment" if data.treatments else "at your first visit"
        if report.baseline.details.region(region) is None:
            return (
                f"Your scalp {place} was not measured {before}, so we cannot show a change there."
            )
        since = "your treatment" if data.treatments else "your first visit"
        return f"Your scalp {place} has not been measured again since {since}."
    when, last = changes[-1]
    density, thickness = last.changes["total_density"], last.changes["mean_diameter_um"]
    text = (
        f"Your hair density {place} {went(density, 'hairs per cm²')}, and the average "
        f"thickness of your hairs {went(thickness, 'µm')}."
    )
    if when != latest:
        text += f" (This area was last measured on {long_date(when)}.)"
    return text


# -- shared sections ------------------------------------------------------------------------


def _comment_section(data: ProgressReportData, *, plain: bool) -> list[Flowable]:
    if not data.comment.strip():
        return []
    heading = "A note from your clinician" if plain else "Clinician's comment"
    lines = [line for line in data.comment.splitlines() if line.strip()]
    return [para(heading, "heading"), *(para(line, "body") for line in lines)]


def _photo_section(data: ProgressReportData, *, plain: bool) -> list[Flowable]:
    if not data.photo_pairs and not data.missing_pairs:
        return []
    if not plain:
        heading = para("Standard views", "heading")
    else:
        heading = para("Before and after" if data.treatments else "Photographs", "heading")
    out: list[Flowable] = []
    if not data.photo_pairs:
        none = "before-and-after photographs" if data.treatments else "photographs to compare"
        out += [heading, para(f"There are no {none} to show yet.", "body")]
    for pair in data.photo_pairs:
        images = [_fitted(pair.before_jpeg), _fitted(pair.after_jpeg)]
        name = PLAIN_VIEWS[pair.view] if plain else pair.view.label
        if not plain:
            before, after = "baseline", "latest"
        else:
            before, after = ("before", "after") if data.treatments else ("first", "latest")
        captions = [
            para(f"{name}: {before}, {format_uk(pair.before_on)}", "small"),
            para(f"{name}: {after}, {format_uk(pair.after_on)}", "small"),
        ]
        table = Table(
            [images, captions],
            colWidths=[PHOTO_BOX[0] + 4 * mm] * 2,
            rowHeights=[PHOTO_BOX[1] + 2 * mm, None],
        )
        table.setStyle(
            TableStyle(
                [
                    ("ALIGN", (0, 0), (-1, 0), "LEFT"),  # photo and caption share an edge
                    ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2 * mm),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2 * mm),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 1), (-1, 1), 4 * mm),
                ]
            )
        )
        table.hAlign = "LEFT"
        out.append(KeepTogether([*([] if out else [heading]), para(name, "subheading"), table]))
    for missing in data.missing_pairs:
        name = PLAIN_VIEWS[missing.view] if plain else missing.view.label
        out.append(para(f"{name}: {missing.reason}.", "small"))
    return out


def _fitted(jpeg: bytes) -> Image:
    """The photo scaled to fit the photo box, keeping its shape."""
    width, height = ImageReader(io.BytesIO(jpeg)).getSize()
    scale = min(PHOTO_BOX[0] / width, PHOTO_BOX[1] / height)
    return Image(io.BytesIO(jpeg), width * scale, height * scale)


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> Table:
    table = Table(list(rows), colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8.5),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    table.hAlign = "LEFT"
    return table
