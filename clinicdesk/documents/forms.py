"""Consent forms and information sheets: a template's blocks laid out in the shared page frame.

``render_form`` prints one template for one patient; ``render_pack`` prints several (the consent
pack reception hands over) as one PDF in which each document keeps its own title, stamp and page
numbering. Placeholders are filled from ``fields`` (plus the patient's and the clinic's details,
which always come from ``patient`` and ``clinic``); a placeholder with no value prints as a line
to write on, never as ``{{name}}``. Values are printed literally (see ``text.para``).

Given ``printed_on``, each form opens with the date it was printed; a form with signatures ends
with a line to record when a copy was given to the patient, and by whom. Names in the boxes
wrap between words or after a hyphen, never inside a word (``wrap_at_boundaries``).

In large print (``large_print=True``: 12 pt body text) the same blocks are laid out in the larger
styles, and every row of a fixed height (a row to write in, a signature box, the on-the-day
strip) grows to hold its text: nothing is drawn over a rule or outside its box.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import NotAtTopPageBreak

from clinicdesk.documents.fonts import FONT_BOLD, text_width
from clinicdesk.documents.layout import (
    CONTENT_WIDTH,
    ClinicDetails,
    PatientIdentity,
    Stamp,
    build_pdf_sections,
)
from clinicdesk.documents.templates import (
    Bullets,
    Callout,
    Fields,
    Heading,
    Line,
    NewPage,
    Scopes,
    Signatures,
    Template,
    Text,
    TickBoxes,
    WriteIn,
)
from clinicdesk.documents.text import (
    ACCENT,
    BAND,
    INK,
    RULE,
    check_length,
    format_date,
    para,
    print_size,
    rich_para,
    style,
)
from clinicdesk.domain.identifiers import format_nhs_number

# How many "_" a missing value prints as, for placeholders whose values are short.
_BLANK_LENGTH = {
    "consultation_date": 14,
    "decision_date": 14,
    "treatment_date": 14,
    "date_of_birth": 14,
    "cost": 14,
    "cooling_off_days": 4,
    "earliest_treatment_date": 14,
    "notice_effective_date": 14,
    "ico_registration_number": 14,
}
_DEFAULT_BLANK_LENGTH = 30
SIGNATURE_HEIGHT = 13 * mm
WRITE_ROW_HEIGHT = 7.5 * mm
CELL_PADDING = 5


def stamp_for(template: Template) -> Stamp:
    return Stamp(template.id, f"v{template.version}", template.text_hash)


def render_form(
    template: Template,
    clinic: ClinicDetails,
    patient: PatientIdentity,
    fields: Mapping[str, str],
    *,
    printed_on: date | None = None,
    large_print: bool = False,
    generated_at: datetime | None = None,
) -> bytes:
    """One template, filled in for one patient, as PDF bytes (``render_pack``)."""
    return render_pack(
        [(template, fields)],
        clinic,
        patient,
        printed_on=printed_on,
        large_print=large_print,
        generated_at=generated_at,
    )


def render_pack(
    items: Sequence[tuple[Template, Mapping[str, str]]],
    clinic: ClinicDetails,
    patient: PatientIdentity,
    *,
    printed_on: date | None = None,
    large_print: bool = False,
    generated_at: datetime | None = None,
) -> bytes:
    """Several templates for one patient as one PDF; each starts on a new page. In large
    print with ``large_print``; ``generated_at`` is the creation date the file states."""
    with print_size(large=large_print):
        sections = [
            (
                template.title,
                stamp_for(template),
                form_story(template, clinic, patient, fields, printed_on=printed_on),
            )
            for template, fields in items
        ]
        return build_pdf_sections(clinic, patient, sections, generated_at=generated_at)


def form_story(
    template: Template,
    clinic: ClinicDetails,
    patient: PatientIdentity,
    fields: Mapping[str, str],
    *,
    printed_on: date | None = None,
) -> list[Flowable]:
    """The flowables of one filled-in template (without its title, which the frame prints)."""
    renderer = _Renderer(_values(clinic, patient, fields))
    story: list[Flowable] = []
    signed = any(isinstance(block, Signatures) for block in template.blocks)
    if printed_on is not None or signed:
        story.append(office_line(printed_on, copy_given=signed))
    # Headings, a paragraph introducing a box ("Alternatives discussed with you:") and what a
    # patient signs stay on the page of what follows (keepWithNext cannot join a KeepTogether).
    pending: list[Flowable] = []
    blocks = template.blocks
    for i, block in enumerate(blocks):
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        if isinstance(block, Heading):
            pending += renderer.block(block)
            continue
        if isinstance(block, Text) and isinstance(following, _INTRODUCED):
            pending.append(rich_para(renderer.runs(block.text), "lead"))
            continue
        flowables = renderer.block(block)
        if isinstance(following, Signatures) and not isinstance(block, NewPage):
            pending += flowables
            continue
        if pending and flowables and not isinstance(block, NewPage):
            story.append(_keep_together([*pending, flowables[0]]))
            story += flowables[1:]
        else:
            story += pending + flowables
        pending = []
    story += pending
    return story


def office_line(printed_on: date | None, *, copy_given: bool) -> Flowable:
    """The line under the title: the date the form was printed and, on a form that is signed,
    where the clinic records giving the patient a copy (date and who, written in)."""
    printed = f"Printed on {format_date(printed_on)}" if printed_on is not None else ""
    row: list[Any] = [para(printed, "small")]
    widths = [36 * mm]
    if copy_given:
        row += [para("Copy given to the patient on", "small"), "", para("by", "small"), ""]
        widths += [40 * mm, 32 * mm, 7 * mm]
    widths.append(CONTENT_WIDTH - sum(widths))
    row += [""] * (len(widths) - len(row))
    table = Table([row], colWidths=widths, rowHeights=[6 * mm])
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
    if copy_given:
        style += [("LINEBELOW", (c, 0), (c, 0), 0.5, RULE) for c in (2, 4)]
    table.setStyle(TableStyle(style))
    return KeepTogether([table, Spacer(1, 2 * mm)])


def _values(
    clinic: ClinicDetails, patient: PatientIdentity, fields: Mapping[str, str]
) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in fields.items():
        if not isinstance(value, str):
            raise TypeError(f"field {name!r} must be text, not {type(value).__name__}")
        check_length(value, name.replace("_", " "))
        if value.strip():
            values[name] = value.strip()
    # Who the form is about and whose form it is always come from the records themselves.
    automatic = {
        "patient_name": patient.name,
        "date_of_birth": format_date(patient.date_of_birth),
        "nhs_number": format_nhs_number(patient.nhs_number.strip()),
        "clinic_name": clinic.name,
        "clinic_address": ", ".join(
            line.strip() for line in clinic.address.splitlines() if line.strip()
        ),
        "clinic_phone": clinic.phone,
    }
    for name, value in automatic.items():
        check_length(value, name.replace("_", " "))
        values.pop(name, None)
        if value.strip():
            values[name] = value.strip()
    return values


# Blocks that a short paragraph just before them introduces, and must not be parted from.
_INTRODUCED = (TickBoxes, Fields, Scopes, WriteIn, Signatures)


class TickBox(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """An empty square to tick."""

    def __init__(self, size: float = 3.8 * mm) -> None:
        super().__init__()
        self.size = size
        self.width = self.height = size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        self.canv.setStrokeColor(ACCENT)
        self.canv.setLineWidth(0.8)
        self.canv.rect(0, 0, self.size, self.size, stroke=1, fill=0)


class RuledLines(Flowable):  # type: ignore[misc]
    """Lines to write on, across the frame."""

    def __init__(self, count: int, spacing: float = 7.5 * mm) -> None:
        super().__init__()
        self.count = count
        self.spacing = spacing

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        self.height = self.count * self.spacing + 1.5 * mm
        return self.width, self.height

    def draw(self) -> None:
        self.canv.setStrokeColor(RULE)
        self.canv.setLineWidth(0.5)
        for n in range(self.count):
            y = self.height - (n + 1) * self.spacing
            self.canv.line(0, y, self.width, y)


class _Renderer:
    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

    def runs(self, line: Line) -> list[tuple[str, bool]]:
        out: list[tuple[str, bool]] = []
        for run in line:
            if not run.placeholder:
                out.append((run.text, run.bold))
            elif run.text in self.values:
                out.append((self.values[run.text], True))
            else:
                out.append(("_" * _BLANK_LENGTH.get(run.text, _DEFAULT_BLANK_LENGTH), False))
        return out

    def is_blank(self, line: Line) -> bool:
        """A line made only of placeholders with no values (a table cell to write in)."""
        return all(run.placeholder and run.text not in self.values for run in line) and bool(line)

    def block(self, block: Any) -> list[Flowable]:
        if isinstance(block, Heading):
            style = "heading" if block.level == 1 else "subheading"
            return [rich_para(self.runs(block.text), style)]
        if isinstance(block, Text):
            return [rich_para(self.runs(block.text))]
        if isinstance(block, Bullets):
            return [rich_para(self.runs(item), "bullet", bullet="•") for item in block.items]
        if isinstance(block, TickBoxes):
            return [self.tick_boxes(block)]
        if isinstance(block, Callout):
            return [rich_para(self.runs(block.text), "callout")]
        if isinstance(block, Fields):
            return [self.fields(block)]
        if isinstance(block, Scopes):
            return [self.scopes(block)]
        if isinstance(block, WriteIn):
            return self.write_in(block)
        if isinstance(block, Signatures):
            return self.signatures(block)
        if isinstance(block, NewPage):
            return [NotAtTopPageBreak()]
        raise TypeError(f"no layout for {block!r}")

    def tick_boxes(self, block: TickBoxes) -> Flowable:
        """The statements stay together: a ticked list split over two pages is easy to miss."""
        rows = [[TickBox(), rich_para(self.runs(item), "table")] for item in block.items]
        table = Table(rows, colWidths=[8 * mm, CONTENT_WIDTH - 8 * mm], splitInRow=1)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.8),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8),
                    ("TOPPADDING", (0, 0), (0, -1), 2.2),
                ]
            )
        )
        return KeepTogether([table, Spacer(1, 2 * mm)])

    def fields(self, block: Fields) -> Flowable:
        label_width = 52 * mm
        value_width = CONTENT_WIDTH - label_width
        rows: list[list[Any]] = []
        heights: list[float | None] = []
        for label, value in block.rows:
            runs = [] if self.is_blank(value) else self.runs(value)
            if len(runs) == 1 and runs[0][1]:
                # One value on its own (a name, a list of areas): wrapped between words.
                room = value_width - 2 * CELL_PADDING - 1
                size = style("body").fontSize
                runs = [(wrap_at_boundaries(runs[0][0], FONT_BOLD, size, room), True)]
            text = "".join(text for text, _ in runs)
            one_line = _fits(text, FONT_BOLD, style("body").fontSize, value_width) and _fits(
                label, FONT_BOLD, style("table_bold").fontSize, label_width
            )
            rows.append([para(label, "table_bold"), rich_para(runs) if runs else ""])
            # Every row is tall enough to write in; a long value makes its row grow.
            heights.append(_write_row_height() if one_line else None)
        table = Table(rows, colWidths=[label_width, value_width], rowHeights=heights, splitInRow=1)
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                    ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
                    ("BACKGROUND", (0, 0), (0, -1), BAND),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ]
            )
        )
        return KeepTogether([table, Spacer(1, 3 * mm)])

    def scopes(self, block: Scopes) -> Flowable:
        widths = [88 * mm, 13 * mm, 13 * mm, 28 * mm]
        widths.append(CONTENT_WIDTH - sum(widths))
        header = [
            para("Use of my photographs", "table_bold"),
            para("Yes", "table_bold_centre"),
            para("No", "table_bold_centre"),
            para("Date", "table_bold"),
            para("Withdrawn on", "table_bold"),
        ]
        rows: list[list[Any]] = [header]
        for number, (title, description) in enumerate(block.rows, start=1):
            text = [(f"{number}. {title}\n", True), *self.runs(description)]
            rows.append([rich_para(text, "table"), TickBox(4.5 * mm), TickBox(4.5 * mm), "", ""])
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.8, ACCENT),
                    ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
                    ("BACKGROUND", (0, 0), (-1, 0), BAND),
                    ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
                    ("VALIGN", (0, 1), (-1, -1), "MIDDLE"),
                    ("ALIGN", (1, 0), (2, -1), "CENTER"),
                    ("TOPPADDING", (0, 1), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 1), (-1, -1), 6),
                ]
            )
        )
        return KeepTogether([table, Spacer(1, 2 * mm)])

    def write_in(self, block: WriteIn) -> list[Flowable]:
        value = self.values.get(block.placeholder)
        if value is None:
            return [RuledLines(block.lines), Spacer(1, 2 * mm)]
        # A framed box, one row per line of the note, so a long note splits across pages
        # between its lines instead of being laid out as one huge paragraph.
        rows = [[para(line, "field")] for line in value.split("\n")]
        table = Table(rows, colWidths=[CONTENT_WIDTH], splitInRow=1)
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    ("TOPPADDING", (0, 0), (-1, 0), 4),
                    ("BOTTOMPADDING", (0, -1), (-1, -1), 3),
                ]
            )
        )
        return [table, Spacer(1, 3 * mm)]

    def signatures(self, block: Signatures) -> list[Flowable]:
        boxed = [role for role in block.roles if role not in _ON_THE_DAY]
        on_the_day = [role for role in block.roles if role in _ON_THE_DAY]
        story: list[Flowable] = []
        if boxed:
            story.append(
                KeepTogether([Spacer(1, 2 * mm), self.signature_boxes(boxed), Spacer(1, 2 * mm)])
            )
        if on_the_day:
            story.append(self.on_the_day(on_the_day))
        return story

    def signature_boxes(self, roles: Sequence[str]) -> Table:
        """Boxes two abreast: heading, name (and registration), signature, date."""
        width = (CONTENT_WIDTH - 6 * mm) / 2
        rows: list[list[Any]] = []
        for i in range(0, len(roles), 2):
            pair = roles[i : i + 2]
            boxes = [self.signature_box(role, width) for role in pair]
            if len(boxes) == 2:
                # Side by side boxes end level: the shorter one gets a taller signature space.
                heights = [box.wrap(width, 1000)[1] for box in boxes]
                shorter = heights.index(min(heights))
                extra = max(heights) - min(heights)
                if extra > 0.5:
                    boxes[shorter] = self.signature_box(pair[shorter], width, extra)
            rows.append([*boxes, ""] if len(boxes) == 1 else boxes)
        outer = Table(rows, colWidths=[width + 6 * mm, width])
        outer.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -2), 4 * mm),
                    ("BOTTOMPADDING", (0, -1), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return outer

    def signature_box(self, role: str, width: float, extra: float = 0) -> Table:
        value = self.values.get
        clinician: list[tuple[str, str | None]] = [
            ("Name", value("clinician_name")),
            ("Registration no.", value("clinician_registration")),
        ]
        boxes: dict[str, tuple[str, list[tuple[str, str | None]]]] = {
            "patient": ("Patient", [("Name", value("patient_name"))]),
            "treating-clinician": ("Treating clinician, taking consent", clinician),
            "clinician": ("Clinician", clinician),
            "witness": ("Witness (if present)", [("Name", None), ("Role", None)]),
            "interpreter": (
                "Interpreter (if used)",
                [("Name", None), ("Language", value("interpreter_language"))],
            ),
        }
        heading, rows = boxes[role]
        statement = _STATEMENTS.get(role)
        label_width = 31 * mm
        value_width = width - label_width
        data: list[list[Any]] = [[para(heading, "table_bold"), ""]]
        heights: list[float | None] = [None]
        if statement:
            data.append([para(statement, "small"), ""])
            heights.append(None)
        for label, filled in rows:
            room = value_width - 2 * CELL_PADDING - 1
            size = style("table_bold").fontSize
            shown = wrap_at_boundaries(filled, FONT_BOLD, size, room) if filled else ""
            data.append([para(label, "table"), para(shown, "table_bold") if shown else ""])
            fits = filled is None or _fits(filled, FONT_BOLD, size, value_width)
            heights.append(_write_row_height() if fits else None)
        data.append([para("Signature", "table"), ""])
        heights.append(SIGNATURE_HEIGHT + extra)
        data.append([para("Date", "table"), ""])
        heights.append(_write_row_height())
        widths = [label_width, value_width]
        table = Table(data, colWidths=widths, rowHeights=_holding(data, widths, heights, 6.5))
        table.setStyle(
            TableStyle(
                [
                    ("SPAN", (0, 0), (1, 0)),
                    *([("SPAN", (0, 1), (1, 1))] if statement else []),
                    ("BACKGROUND", (0, 0), (1, 0), BAND),
                    ("BOX", (0, 0), (-1, -1), 0.8, ACCENT),
                    ("LINEBELOW", (0, 0), (1, 0), 0.8, ACCENT),
                    ("LINEBELOW", (0, 1), (-1, -2), 0.4, RULE),
                    ("VALIGN", (0, 0), (1, 0), "MIDDLE"),
                    ("VALIGN", (0, 1), (-1, -1), "BOTTOM"),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
                ]
            )
        )
        return table

    def on_the_day(self, roles: Sequence[str]) -> Flowable:
        """One full-width strip: a statement per row, with a signature and a date beside it."""
        widths = [CONTENT_WIDTH - 92 * mm, 56 * mm, 36 * mm]
        data: list[list[Any]] = []
        for role in roles:
            statement, signer = _ON_THE_DAY[role]
            data.append(
                [
                    para(statement, "table"),
                    para(f"{signer}'s signature", "small"),
                    para("Date", "small"),
                ]
            )
        heights = _holding(data, widths, [12 * mm] * len(data), 3 + 3)
        table = Table(data, colWidths=widths, rowHeights=heights)
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.8, ACCENT),
                    ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
                    ("BACKGROUND", (0, 0), (0, -1), BAND),
                    ("VALIGN", (0, 0), (0, -1), "MIDDLE"),
                    ("VALIGN", (1, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return KeepTogether([table])


# What a signatory confirms by signing, printed in their box.
_STATEMENTS = {
    "interpreter": "I have interpreted the information in this form to the patient, to the best "
    "of my ability, in a language they understand.",
}

# Statements completed on the day of treatment, and who signs beside them.
_ON_THE_DAY = {
    "confirmation": (
        "Confirmed by the treating clinician: the patient has no further questions and still "
        "wishes to go ahead.",
        "Clinician",
    ),
    "withdrawal": (
        "Consent withdrawn: the patient no longer wishes to go ahead (any reason given is "
        "recorded in the notes).",
        "Patient",
    ),
}


def _keep_together(flowables: Sequence[Flowable]) -> KeepTogether:
    """One KeepTogether of ``flowables``, with any KeepTogether among them opened up: a nested
    one reports an "infinite" height to force a split, so the outer one always broke the page."""
    content: list[Flowable] = []
    for flowable in flowables:
        if isinstance(flowable, KeepTogether):
            content += flowable._content
        else:
            content.append(flowable)
    return KeepTogether(content)


WRAP_MOST = 400
_WORDS = re.compile(r"(\s+)")
_AFTER_HYPHEN = re.compile(r"[^-\u2010\u2011]*[-\u2010\u2011]+|[^-\u2010\u2011]+")


def wrap_at_boundaries(text: str, font: str, size: float, width: float) -> str:
    """``text`` with line breaks where it must wrap to fit ``width``: between words, or just
    after a hyphen of a double-barrelled name, never inside a word. (reportlab breaks only at
    spaces, and cuts a word too long for the line wherever the line ends.) Only a single word
    wider than the whole line is still cut, by reportlab: there is no other way to print it.
    Text longer than ``WRAP_MOST`` characters (a note, not a name) is left to reportlab."""
    if len(text) > WRAP_MOST:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        current, used = "", 0.0  # the line so far, and its width (measured piece by piece)
        for word in _WORDS.split(line):
            if not word or word.isspace():
                continue
            for n, piece in enumerate(_AFTER_HYPHEN.findall(word)):
                joint = " " if current and n == 0 else ""
                extra = text_width(joint + piece, font, size)
                if not current or used + extra <= width:
                    current, used = current + joint + piece, used + extra
                else:
                    out.append(current)
                    current, used = piece, text_width(piece, font, size)
        out.append(current)
    return "\n".join(out)


def _write_row_height() -> float:
    """A row to write in: 7.5 mm, or more if a line of body text and its padding need it
    (in large print)."""
    leading: float = style("body").leading
    return max(float(WRITE_ROW_HEIGHT), leading + 8)


def _holding(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    heights: Sequence[float | None],
    padding: float,
) -> list[float | None]:
    """``heights`` with each fixed height raised to what its cells' paragraphs need, laid
    out in their column less the cell padding (``padding``: top and bottom together): a
    label that wraps in large print grows its row instead of running over the rule below."""
    out: list[float | None] = []
    for row, height in zip(rows, heights, strict=True):
        if height is None:
            out.append(None)
            continue
        needed = max(
            (
                cell.wrap(width - 2 * CELL_PADDING, 10_000)[1] + padding
                for cell, width in zip(row, widths, strict=True)
                if isinstance(cell, Flowable)
            ),
            default=0.0,
        )
        out.append(max(height, needed))
    return out


def _fits(text: str, font: str, size: float, cell_width: float) -> bool:
    """Whether ``text`` fits on one line of a table cell of ``cell_width``."""
    return "\n" not in text and text_width(text, font, size) <= cell_width - 2 * CELL_PADDING - 1
