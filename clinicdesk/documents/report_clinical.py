"""The clinical flavour's sections of the progress report: the treatments (kit and
anaesthetic with their lots), the follow-ups, the adverse events, a table per region of every
measure at the baseline and each later visit with its change, and the bedside tests and ratios.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from clinicdesk.documents.report_data import (
    ProgressReportData,
    attendance,
    earlier_visits,
    measured_regions,
    shown_visits,
    treated_regions,
    visit_label,
)
from clinicdesk.documents.report_summary import shedding_note
from clinicdesk.documents.tables import grid_table
from clinicdesk.documents.text import para
from clinicdesk.domain.assessments import (
    GLOBAL_PHOTO_SCORES,
    MEASURES,
    Assessment,
    Measure,
    Region,
    format_change,
    format_number,
)
from clinicdesk.domain.dates import format_uk

VISITS_PER_TABLE = 4  # later visits beside the baseline per table: 1, 3, 6 and 12 months fit one


PAGE_WIDTH = 174 * mm  # the layout's frame: A4 less two 18 mm margins
LABEL_WIDTH = 50 * mm
BASELINE_FILL = colors.HexColor("#f5f7f9")


def clinical_opening(data: ProgressReportData) -> str:
    compared, named = "the baseline", "the time since the treatment"
    if not data.treatments:
        compared = named = "the first assessment"
    return (
        f"Prepared on {format_uk(data.prepared_on)} by {data.prepared_by}. Measurements are "
        f"trichoscopy values as recorded; each later visit is compared with {compared} "
        "(absolute change, then per cent; percentage points for measures that are themselves "
        f"percentages). Visits are named by {named}."
    )


def treatment_section(data: ProgressReportData) -> list[Flowable]:
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
    return [*out, grid_table(rows, widths)]


def follow_up_section(data: ProgressReportData) -> list[Flowable]:
    out: list[Flowable] = [para("Follow-up", "heading")]
    if not data.follow_ups:
        return [*out, para("No follow-ups are scheduled.", "body")]
    attended, due = attendance(data)
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
    return [*out, grid_table(rows, widths)]


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
    if earlier := earlier_visits(data):
        days = ", ".join(format_uk(a.visit_date) for a in earlier)
        text += f" Earlier assessments ({days}) are in the record but not compared here."
    if not report.visits:
        text += " There has been no assessment since, so no change can be shown yet."
    return text


def measurement_section(data: ProgressReportData) -> list[Flowable]:
    # The heading and the baseline sentence go in the first table's block, so they never end
    # a page on their own.
    opening: list[Flowable] = [
        para("Trichoscopy measurements", "heading"),
        para(_baseline_sentence(data), "body"),
    ]
    out: list[Flowable] = []
    for region in measured_regions(shown_visits(data)):
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
    shown = shown_visits(data)
    if any(m.name == "hair_mass" for r in measured_regions(shown) for m in _measures_for(r, shown)):
        out.append(para(HAIR_MASS_NOTE, "small"))
    return out or opening


def _column_groups(data: ProgressReportData) -> list[tuple[Assessment, ...]]:
    """The visits of each region table: the baseline and up to ``VISITS_PER_TABLE`` later
    visits, the baseline repeated in each table when there are more (so every visit appears
    beside the value it is compared with)."""
    visits = shown_visits(data)
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
    return " (treated)" if region in treated_regions(data) else " (not treated)"


def _region_table(data: ProgressReportData, region: Region, columns: Sequence[Assessment]) -> Table:
    baseline = data.changes.baseline
    measures = _measures_for(region, shown_visits(data))
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
    table = grid_table(rows, [LABEL_WIDTH] + [value_width] * len(columns))
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


def _sentence(text: str) -> str:
    """``text`` ending with a full stop (free text is printed as typed, plus the stop)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def adverse_event_section(data: ProgressReportData) -> list[Flowable]:
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
    out.append(grid_table(rows, [30 * mm, 32 * mm, 18 * mm, 30 * mm, 64 * mm]))
    for event in data.adverse_events:
        if (note := shedding_note(data, event, plain=False)) is not None:
            out.append(para(note, "small"))
            break
    return out


def bedside_section(data: ProgressReportData) -> list[Flowable]:
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
    visits = shown_visits(data)
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
                    grid_table(rows, [LABEL_WIDTH] + [value_width] * len(columns)),
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
