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

Two flavours. ``clinical`` is the full record: the treatments, the follow-ups, a table per
region of every measure at the baseline and each later visit with its absolute and per cent
change, and the charts. ``patient`` is for the patient to take home: plain sentences per region
("Your hair density at the crown went from 120 to 131 hairs per cm² (up 9%)"), the same charts
and photos, fewer technical words, and a fall said as plainly as a gain.

The footer stamp's hash (``report_hash``) is the sha256 of the report's input, written as
canonical JSON: every value, date, name and the comment, with each photo as the sha256 of the
bytes embedded. The same hash means the same report content; it does not depend on reportlab.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Iterable, Sequence
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
from clinicdesk.documents.text import para, print_size
from clinicdesk.domain.assessments import (
    MEASURES,
    Assessment,
    BaselineReport,
    Measure,
    Region,
    format_change,
    format_number,
)
from clinicdesk.domain.clinical import TreatedZone
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.follow_ups import FollowUpKind, FollowUpStatus
from clinicdesk.domain.photos import View

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


# -- clinical flavour -----------------------------------------------------------------------


def _clinical_story(data: ProgressReportData) -> list[Flowable]:
    story: list[Flowable] = [
        para(
            f"Prepared on {format_uk(data.prepared_on)} by {data.prepared_by}. Measurements are "
            "trichoscopy values as recorded; each later visit is compared with the baseline "
            "(absolute change, then per cent).",
            "body",
        )
    ]
    story += _treatment_section(data)
    story += _follow_up_section(data)
    story += _measurement_section(data)
    story += chart_section(_shown_visits(data), plain=False, width=PAGE_WIDTH)
    story += _photo_section(data, plain=False)
    story += _comment_section(data, plain=False)
    story += [para("Context", "heading"), para(CONTEXT_CLINICAL, "body")]
    return story


def _treatment_section(data: ProgressReportData) -> list[Flowable]:
    out: list[Flowable] = [para("Treatment", "heading")]
    if not data.treatments:
        return [*out, para("No treatment has been recorded for this patient.", "body")]
    rows = [
        [
            para(text, "table_bold")
            for text in ("Date", "Site", "Clinician", "Zones treated", "Punches", "Kit and lot")
        ]
    ]
    for t in data.treatments:
        rows.append(
            [
                para(format_uk(t.treated_on), "table"),
                para(t.site, "table"),
                para(t.clinician, "table"),
                para(", ".join(z.label for z in t.zones), "table"),
                para(f"{t.punches} × {t.punch_diameter_mm:g} mm", "table"),
                para(f"{t.kit_name}, lot {t.kit_lot}", "table"),
            ]
        )
    widths = [21 * mm, 23 * mm, 29 * mm, 31 * mm, 22 * mm, 48 * mm]
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
        label = format_uk(visit.visit_date)
        if baseline is not None and visit.id == baseline.id:
            label += "\nbaseline"
        elif baseline is not None:
            label += f"\nday {(visit.visit_date - baseline.visit_date).days}"
        head.append(para(label, "table_bold"))
    rows: list[list[Flowable | list[Flowable]]] = [list(head)]
    for measure in measures:
        row: list[Flowable | list[Flowable]] = [para(_measure_label(measure), "table")]
        for visit in columns:
            row.append(_cell(data, region, measure, visit))
        rows.append(row)
    value_width = min(24 * mm, (PAGE_WIDTH - LABEL_WIDTH) / len(columns))
    table = _table(rows, [LABEL_WIDTH] + [value_width] * len(columns))
    if baseline is not None and columns and columns[0].id == baseline.id:
        table.setStyle(TableStyle([("BACKGROUND", (1, 1), (1, -1), BASELINE_FILL)]))
    return table


def _measure_label(measure: Measure) -> str:
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
    return [shown, para(format_change(region_change.changes[measure.name]), "small")]


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


# -- patient flavour ------------------------------------------------------------------------


def _patient_story(data: ProgressReportData) -> list[Flowable]:
    story: list[Flowable] = [
        para(
            f"This report shows how your hair has changed since your treatment. It was prepared "
            f"for you on {long_date(data.prepared_on)} by {data.prepared_by}.",
            "body",
        ),
        para("Your treatment", "heading"),
    ]
    story += [para(text, "body") for text in _plain_treatments(data)]
    story += [para("Your results", "heading")]
    story += [para(text, "body") for text in _plain_results(data)]
    story += chart_section(_shown_visits(data), plain=True, width=PAGE_WIDTH)
    story += _photo_section(data, plain=True)
    story += _comment_section(data, plain=True)
    story += [para("What to expect", "heading"), para(CONTEXT_PATIENT, "body")]
    return story


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
    if not report.visits:
        return [
            f"Your scalp was measured on {long_date(report.baseline.visit_date)}, before your "
            "treatment. There has been no measurement since, so there is no change to show yet."
        ]
    latest = report.visits[-1].assessment.visit_date
    lines = [
        f"These compare your measurements of {long_date(report.baseline.visit_date)}, before "
        f"your treatment, with your latest, on {long_date(latest)}. Density is the number of "
        "hairs in one square centimetre of scalp; thickness is the average width of a hair, in "
        "micrometres (µm, thousandths of a millimetre)."
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
        if report.baseline.details.region(region) is None:
            return (
                f"Your scalp {place} was not measured before your treatment, so we cannot "
                "show a change there."
            )
        return f"Your scalp {place} has not been measured again since your treatment."
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
    heading = para("Before and after" if plain else "Standard views", "heading")
    out: list[Flowable] = []
    if not data.photo_pairs:
        out += [heading, para("There are no before-and-after photographs to show yet.", "body")]
    for pair in data.photo_pairs:
        images = [_fitted(pair.before_jpeg), _fitted(pair.after_jpeg)]
        name = PLAIN_VIEWS[pair.view] if plain else pair.view.label
        before, after = ("before", "after") if plain else ("baseline", "latest")
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
