"""The readable summary of a subject access export: everything the clinic holds about one
patient, section by section, in the page frame every ClinicDesk document shares.

It is rendered from plain data (``SubjectAccessSummary``) that ``services.subject_access``
gathers; nothing here reads the database. Each section is a heading and its parts: lines of
text, label/value lists (``Fields``) and tables (``Grid``); a section with no parts says "None
recorded." so the reader sees that it was looked for. Every text is printed as typed
(``documents.text.para`` escapes it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from clinicdesk.documents.layout import (
    CONTENT_WIDTH,
    ClinicDetails,
    PatientIdentity,
    Stamp,
    build_pdf,
)
from clinicdesk.documents.tables import GRID, grid_table
from clinicdesk.documents.text import para
from clinicdesk.domain.dates import format_uk

DOCUMENT_ID = "subject-access-summary"
DOCUMENT_VERSION = "1"
TITLE = "Subject access: everything the clinic holds"
NONE_RECORDED = "None recorded."
LABEL_WIDTH = 52 * mm


@dataclass(frozen=True)
class Fields:
    """Label and value pairs, one to a line (a record's details)."""

    pairs: tuple[tuple[str, str], ...]
    caption: str = ""


@dataclass(frozen=True)
class Grid:
    """A table: column headings, rows of text, and each column's share of the page width."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    shares: tuple[float, ...]
    caption: str = ""


Part = str | Fields | Grid


@dataclass(frozen=True)
class Section:
    title: str
    parts: tuple[Part, ...] = ()


@dataclass(frozen=True)
class SubjectAccessSummary:
    clinic: ClinicDetails
    patient: PatientIdentity
    prepared_on: date
    prepared_by: str
    introduction: tuple[str, ...]
    sections: tuple[Section, ...]


def summary_hash(summary: SubjectAccessSummary) -> str:
    """sha256 of the summary's content (not of the clinic's logo), for the footer stamp."""
    content = {
        "patient": asdict(summary.patient),
        "prepared_on": summary.prepared_on,
        "prepared_by": summary.prepared_by,
        "introduction": summary.introduction,
        "sections": [asdict(s) for s in summary.sections],
    }
    text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def render_subject_access_summary(
    summary: SubjectAccessSummary, generated_at: datetime | None = None
) -> bytes:
    """The summary as PDF bytes; ``generated_at`` (time-zone aware) is its creation date."""
    stamp = Stamp(DOCUMENT_ID, DOCUMENT_VERSION, summary_hash(summary))
    story: list[Flowable] = [
        para(
            f"Prepared on {format_uk(summary.prepared_on)} by {summary.prepared_by}.",
            "body",
        )
    ]
    story += [para(text, "body") for text in summary.introduction]
    contents = ", ".join(section.title for section in summary.sections)
    story.append(para(f"Sections: {contents}.", "small"))
    for number, section in enumerate(summary.sections, start=1):
        story += _section(number, section)
    return build_pdf(
        summary.clinic, summary.patient, TITLE, stamp, story, generated_at=generated_at
    )


def _section(number: int, section: Section) -> list[Flowable]:
    heading = para(f"{number}. {section.title}", "heading")
    if not section.parts:
        return [KeepTogether([heading, para(NONE_RECORDED, "body")])]
    out: list[Flowable] = [heading]
    for part in section.parts:
        if isinstance(part, str):
            out.append(para(part, "body"))
        elif isinstance(part, Fields):
            out += _fields(part)
        else:
            out += _grid(part)
    return out


def _fields(part: Fields) -> list[Flowable]:
    rows = [[para(label, "table_bold"), para(value or "-", "table")] for label, value in part.pairs]
    table = Table(rows, colWidths=[LABEL_WIDTH, CONTENT_WIDTH - LABEL_WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    table.hAlign = "LEFT"
    caption = [para(part.caption, "subheading")] if part.caption else []
    return [*caption, table, para("", "small")]


def _grid(part: Grid) -> list[Flowable]:
    caption = [para(part.caption, "subheading")] if part.caption else []
    if not part.rows:
        return [*caption, para(NONE_RECORDED, "body")]
    total = sum(part.shares)
    widths = [CONTENT_WIDTH * share / total for share in part.shares]
    rows = [[para(text, "table_bold") for text in part.headers]]
    rows += [[para(text, "table") for text in row] for row in part.rows]
    table = grid_table(rows, widths)
    return [*caption, table, para("", "small")]
