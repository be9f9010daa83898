"""The printed recovery key: one A4 page for the practice safe.

It says whose key it is (the clinic's name) and when it was printed, and gives the key in a
large monospaced font (DejaVu Sans Mono Bold, embedded like every font of every ClinicDesk
PDF: a printer never substitutes its own), four groups to a line, so that 0 and O or 1 and I
are not confused when it is typed back (the key is base32: letters A-Z and digits 2-7 only).
Nothing else about the clinic is on it.
"""

from __future__ import annotations

import io
from datetime import date

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from clinicdesk.documents.fonts import (
    FONT,
    FONT_BOLD,
    FONT_MONO_BOLD,
    register_fonts,
    register_mono_font,
)
from clinicdesk.documents.layout import CREATOR, LANGUAGE, MARGIN_X
from clinicdesk.documents.text import ACCENT, INK, escape_text, format_date

KEY_FONT = FONT_MONO_BOLD
KEY_SIZE = 22  # points: 19 characters a line, about 75 mm wide
GROUPS_PER_LINE = 4


def key_lines(recovery_key: str) -> list[str]:
    """The key's groups of four, ``GROUPS_PER_LINE`` to a line, joined by "-"."""
    groups = [group for group in recovery_key.split("-") if group]
    return [
        "-".join(groups[i : i + GROUPS_PER_LINE]) for i in range(0, len(groups), GROUPS_PER_LINE)
    ]


def render_recovery_key(
    clinic_name: str, recovery_key: str, printed_on: date, app_name: str = CREATOR
) -> bytes:
    """The recovery-key page as PDF bytes (the same input gives the same bytes)."""
    register_fonts()
    register_mono_font()
    title = ParagraphStyle(
        "recovery_title", fontName=FONT_BOLD, fontSize=18, leading=23, textColor=ACCENT
    )
    clinic = ParagraphStyle(
        "recovery_clinic", fontName=FONT_BOLD, fontSize=16, leading=21, textColor=INK
    )
    body = ParagraphStyle(
        "recovery_body", fontName=FONT, fontSize=11, leading=15, textColor=INK, spaceAfter=6
    )
    key = ParagraphStyle(
        "recovery_key",
        fontName=KEY_FONT,
        fontSize=KEY_SIZE,
        leading=KEY_SIZE * 1.5,
        textColor=INK,
        alignment=TA_CENTER,
    )
    story = [
        Paragraph(escape_text(f"{app_name} recovery key", FONT_BOLD), title),
        Spacer(1, 4 * mm),
        Paragraph(escape_text(clinic_name.strip(), FONT_BOLD), clinic),
        Paragraph(escape_text(f"Printed on {format_date(printed_on)}", FONT), body),
        Spacer(1, 10 * mm),
        *[Paragraph(line, key) for line in key_lines(recovery_key)],
        Spacer(1, 10 * mm),
        Paragraph(
            escape_text(
                "If every administrator forgets their password, this key is the only way "
                f"back into the clinic's data: on the {app_name} sign-in screen choose "
                "“Forgotten password?”, then type the key (the dashes may be left out).",
                FONT,
            ),
            body,
        ),
        Paragraph(
            escape_text(
                "Keep this page in the practice safe. Anyone holding it can open the "
                "clinic's data. Do not photograph, scan or email it.",
                FONT_BOLD,
            ),
            body,
        ),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=25 * mm,
        bottomMargin=20 * mm,
        title=f"{app_name} recovery key",
        pagesize=A4,
        author=" ".join(clinic_name.split())[:300],
        creator=CREATOR,
        invariant=1,
        lang=LANGUAGE,
        displayDocTitle=True,
        initialFontName=FONT,  # not an unembedded Helvetica
    )
    doc.build(story)
    return buffer.getvalue()
