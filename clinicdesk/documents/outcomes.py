"""The outcomes audit report (PDF): the clinic's responder rate against the published one.

No patient is named: it is about the clinic, so the page frame has no patient band. The house
style of the other documents (their fonts, colours, title and heading styles, tables ruled in
the same grey); on each page the clinic, the title and "Page x". What it holds: the rate with
its 95% Wilson interval beside the published figure and its source, the threshold and the rule,
every count, the rate by each breakdown (small groups as counts with a warning), the change
from baseline per region and visit with its spread, lost to follow-up, the rate per quarter,
and what the numbers cannot tell.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from clinicdesk.documents.fonts import FONT, register_fonts
from clinicdesk.documents.layout import CREATOR, MARGIN_X
from clinicdesk.documents.text import BAND, MUTED, RULE, format_date, para
from clinicdesk.domain.assessments import MEASURE_BY_NAME
from clinicdesk.domain.outcomes import (
    CHANGE_MEASURES,
    COUNTS,
    GROUP_FIELDS,
    LIMITATIONS,
    LOST_REASONS,
    WHO_COUNTS,
    Rate,
    Summary,
    percent,
    rate_text,
)
from clinicdesk.domain.response import rule_text

TITLE = "Outcomes audit"
UNITS = {name: unit for name, _label, unit in CHANGE_MEASURES}
RATE_COUNTS = ("treated", "evaluable", "responded", "not_responded", "lost", "too_early")


def _table(rows: Sequence[Sequence[str]], widths: Sequence[float]) -> Table:
    cells = [
        [para(text, "table_bold" if r == 0 else "table") for text in row]
        for r, row in enumerate(rows)
    ]
    table = Table(cells, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), BAND),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _rate_rows(first: str, rates: Sequence[Rate], min_group: int) -> list[list[str]]:
    head = [first, *(COUNTS[c] for c in RATE_COUNTS), "Responder rate (95% CI)"]
    return [head] + [
        [r.label, *(str(len(r.patients(c))) for c in RATE_COUNTS), rate_text(r, min_group)]
        for r in rates
    ]


RATE_WIDTHS = (26 * mm, 17 * mm, 19 * mm, 22 * mm, 17 * mm, 21 * mm, 14 * mm, 38 * mm)


def render_outcomes_report(summary: Summary, clinic_name: str, made_by: str) -> bytes:
    """The report as PDF bytes."""
    register_fonts()
    s = summary
    story: list[object] = [
        para(TITLE, "title"),
        para(
            f"{clinic_name} — as of {format_date(s.today)}, made by {made_by}. No patient is "
            "named in this report.",
            "small",
        ),
        para(f"Responder rate: {rate_text(s.overall, s.min_group)}", "heading"),
        para(f"Published: {percent(s.published_rate)} — {s.published_source}."),
        para(f"Threshold {s.threshold_text}. {rule_text(s.threshold)}"),
        para(
            f"Groups with fewer than {s.min_group} evaluable patients are given as counts with "
            "their interval, not as a percentage. " + WHO_COUNTS
        ),
        _table(
            [[COUNTS[c] for c in COUNTS], [str(len(s.overall.patients(c))) for c in COUNTS]],
            [24 * mm] * len(COUNTS),
        ),
        Spacer(1, 4 * mm),
        para("Lost to follow-up: what happened to the 6-month visit", "subheading"),
    ]
    if s.lost:
        story.append(
            _table(
                [["What happened", "Patients"]]
                + [[LOST_REASONS[k], str(len(ids))] for k, ids in s.lost],
                [80 * mm, 25 * mm],
            )
        )
    else:
        story.append(para("Nobody is lost to follow-up."))
    for name, heading in GROUP_FIELDS.items():
        story += [
            para(f"By {heading.lower()}", "subheading"),
            _table(_rate_rows(heading.split(" (")[0], s.groups[name], s.min_group), RATE_WIDTHS),
        ]
    story += [
        para("By quarter of treatment", "subheading"),
        _table(_rate_rows("Quarter", s.quarters, s.min_group), RATE_WIDTHS),
        para("Change from baseline in the treated regions", "heading"),
        _table(
            [["Measure", "Region", "Visit", "n", "Mean", "Median", "SD", "IQR"]]
            + [
                [
                    MEASURE_BY_NAME[c.measure].label,
                    c.region.label,
                    f"{c.months} mo",
                    str(c.spread.n),
                    _num(c.spread.mean, UNITS[c.measure]),
                    _num(c.spread.median, UNITS[c.measure]),
                    "—" if c.spread.sd is None else f"{c.spread.sd:.1f}",
                    "—" if (q := c.spread.quartiles) is None else f"{q[0]:+.1f} to {q[1]:+.1f}",
                ]
                for c in s.changes
            ],
            (34 * mm, 30 * mm, 14 * mm, 10 * mm, 24 * mm, 24 * mm, 14 * mm, 24 * mm),
        ),
        Spacer(1, 4 * mm),
        para("What these numbers cannot tell", "heading"),
        para(LIMITATIONS),
    ]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{TITLE} — {clinic_name}",
        author=clinic_name,
        creator=CREATOR,
        invariant=1,
    )

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN_X, 14 * mm, A4[0] - MARGIN_X, 14 * mm)
        canvas.drawString(MARGIN_X, 10 * mm, f"{clinic_name} — {TITLE}, {format_date(s.today)}")
        canvas.drawRightString(A4[0] - MARGIN_X, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _num(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:+.1f} {unit}"
