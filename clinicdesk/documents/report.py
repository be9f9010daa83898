"""The progress report: how a patient's scalp measured before treatment and at every visit
since, with charts, before/after photos, the clinician's comment and one honest sentence from
the published studies (CLINICAL.md).

It is rendered from plain data, ``ProgressReportData``, that ``services.reports`` gathers;
nothing here reads the database. The numbers are the domain's own: the baseline and every
change come from ``changes_from_baseline`` (the assessment service's baseline report) and are
written with ``format_number`` / ``format_change``, exactly as the Measurements tab shows them.
This module assembles the two flavours from the sections of its neighbours: the input is
``report_data``, the summary box's wording ``report_summary``, the clinical flavour's tables
``report_clinical``, the patient flavour's plain sentences ``report_patient`` (its wording of
numbers, dates and places ``plain_words``), the photographs ``report_photos`` and the charts
``charts``. Every region measured appears and so does every visit after the baseline: nothing
is left out for looking bad (CLINICAL.md: "no cherry-picked regions").

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
import json
import math
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from clinicdesk.documents.charts import chart_section
from clinicdesk.documents.layout import Stamp, build_pdf
from clinicdesk.documents.plain_words import long_date
from clinicdesk.documents.report_clinical import (
    PAGE_WIDTH,
    adverse_event_section,
    bedside_section,
    clinical_opening,
    follow_up_section,
    measurement_section,
    treatment_section,
)
from clinicdesk.documents.report_data import ProgressReportData, shown_visits
from clinicdesk.documents.report_patient import (
    plain_adverse_events,
    plain_results,
    plain_treatments,
)
from clinicdesk.documents.report_photos import photo_section
from clinicdesk.documents.report_summary import clinical_summary, patient_summary
from clinicdesk.documents.text import ACCENT, BAND, para, print_size
from clinicdesk.domain.report_flavours import FLAVOURS, Flavour

DOCUMENT_ID = "progress-report"
DOCUMENT_VERSION = "1"


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


# -- clinical flavour -----------------------------------------------------------------------


def _clinical_story(data: ProgressReportData) -> list[Flowable]:
    story: list[Flowable] = [
        _box(clinical_summary(data)),
        para(clinical_opening(data), "body"),
    ]
    story += treatment_section(data)
    story += follow_up_section(data)
    story += adverse_event_section(data)
    story += measurement_section(data)
    story += bedside_section(data)
    story += chart_section(shown_visits(data), plain=False, width=PAGE_WIDTH)
    story += photo_section(data, plain=False)
    story += _comment_section(data, plain=False)
    story += [para("Context", "heading"), para(CONTEXT_CLINICAL, "body")]
    return story


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
    story += [para(text, "body") for text in plain_treatments(data)]
    story += plain_adverse_events(data)
    story += [para("Your results", "heading")]
    story += [para(text, "body") for text in plain_results(data)]
    story += chart_section(shown_visits(data), plain=True, width=PAGE_WIDTH)
    story += photo_section(data, plain=True)
    story += _comment_section(data, plain=True)
    story += [para("What to expect", "heading"), para(CONTEXT_PATIENT, "body")]
    return story


# -- shared sections ------------------------------------------------------------------------


def _comment_section(data: ProgressReportData, *, plain: bool) -> list[Flowable]:
    if not data.comment.strip():
        return []
    heading = "A note from your clinician" if plain else "Clinician's comment"
    lines = [line for line in data.comment.splitlines() if line.strip()]
    return [para(heading, "heading"), *(para(line, "body") for line in lines)]
