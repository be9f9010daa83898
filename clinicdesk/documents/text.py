"""Text on a ClinicDesk page: the palette, the paragraph styles, and text made safe to print.

Text never goes into reportlab as markup: ``para`` escapes it (an unescaped ``<img src=...>`` in
a name would embed that local file, and a lone ``<`` raises), and each text is capped at
``TEXT_MAX`` characters so a pasted novel cannot stall a build (DESIGN.md: a 240 KB paragraph
took 12.6 s).

The fonts, and the fallback for characters DejaVu Sans lacks, are ``documents.fonts``.

Large print: inside ``print_size(large=True)`` every paragraph is made in the large-print styles,
whose body text is 12 pt (the RNIB's minimum for large print) and every other style grows in the
same proportion. A renderer wraps its whole story in it; ``style`` and ``is_large_print`` tell
the layout code (row heights, chart labels) which sizes are in force.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from clinicdesk.documents.fonts import FONT, FONT_BOLD, font_runs, register_fonts
from clinicdesk.domain.dates import format_uk
from clinicdesk.errors import UserError

# The most characters one text (a field, a note) may have on a page. 20,000 characters is about
# seven pages of notes and builds in well under a second; longer text is refused, not cut.
TEXT_MAX = 20_000

# The palette of every document: text, headings, rules and the patient band.
INK = colors.HexColor("#1B1F23")
ACCENT = colors.HexColor("#1F3A5F")
MUTED = colors.HexColor("#5B6670")
RULE = colors.HexColor("#9AA5B1")
BAND = colors.HexColor("#EDF1F5")


def _style(name: str, **overrides: Any) -> ParagraphStyle:
    base: dict[str, Any] = {
        "fontName": FONT,
        # reportlab draws a bullet in Helvetica unless told: a font the PDF would not embed.
        "bulletFontName": FONT,
        "fontSize": 9,
        "leading": 12.5,
        "textColor": INK,
        "spaceAfter": 4,
        "splitLongWords": 1,
    }
    return ParagraphStyle(name, **(base | overrides))


STYLES: dict[str, ParagraphStyle] = {
    "title": _style(
        "title", fontName=FONT_BOLD, fontSize=15, leading=19, textColor=ACCENT, spaceAfter=8
    ),
    "heading": _style(
        "heading",
        fontName=FONT_BOLD,
        fontSize=11,
        leading=14,
        textColor=ACCENT,
        spaceBefore=9,
        spaceAfter=4,
        keepWithNext=1,
    ),
    "subheading": _style(
        "subheading",
        fontName=FONT_BOLD,
        fontSize=9.5,
        leading=12.5,
        spaceBefore=6,
        spaceAfter=2,
        keepWithNext=1,
    ),
    "body": _style("body"),
    "lead": _style("lead", keepWithNext=1),
    "bullet": _style("bullet", leftIndent=13, bulletIndent=3, spaceAfter=2.5),
    "small": _style("small", fontSize=7.5, leading=9.5, textColor=MUTED, spaceAfter=2),
    "table": _style("table", fontSize=8.5, leading=11, spaceAfter=0),
    "table_bold": _style("table_bold", fontName=FONT_BOLD, fontSize=8.5, leading=11, spaceAfter=0),
    "table_bold_centre": _style(
        "table_bold_centre", fontName=FONT_BOLD, fontSize=8.5, leading=11, spaceAfter=0, alignment=1
    ),
    "field": _style("field", fontSize=9, leading=12.5, spaceAfter=2),
    "callout": _style(
        "callout",
        fontName=FONT_BOLD,
        fontSize=9,
        leading=12.5,
        textColor=ACCENT,
        backColor=BAND,
        borderColor=ACCENT,
        borderWidth=0.6,
        borderPadding=(5, 6, 5, 6),
        spaceBefore=9,
        spaceAfter=11,
        leftIndent=6,
        rightIndent=6,
    ),
}


LARGE_BODY_SIZE = 12.0
LARGE_SCALE: float = LARGE_BODY_SIZE / float(STYLES["body"].fontSize)


def _enlarged(style: ParagraphStyle) -> ParagraphStyle:
    """``style`` for large print: sizes, leading and spacing times ``LARGE_SCALE`` (to the
    half point)."""

    def grown(value: float) -> float:
        return round(float(value) * LARGE_SCALE * 2) / 2

    changes: dict[str, Any] = {
        "fontSize": grown(style.fontSize),
        "leading": grown(style.leading),
        "spaceBefore": grown(style.spaceBefore),
        "spaceAfter": grown(style.spaceAfter),
        "bulletFontSize": grown(style.fontSize),
        "leftIndent": grown(style.leftIndent),
    }
    return ParagraphStyle(f"{style.name}-large", parent=style, **changes)


LARGE_STYLES: dict[str, ParagraphStyle] = {name: _enlarged(s) for name, s in STYLES.items()}

# Whether the paragraphs being made now are for a large-print document. A context variable:
# each thread (a document built in the background) has its own.
_large_print: ContextVar[bool] = ContextVar("large_print", default=False)


@contextlib.contextmanager
def print_size(large: bool = True) -> Iterator[None]:
    """Make every paragraph (and chart, and table row) inside in large print, or not."""
    token = _large_print.set(large)
    try:
        yield
    finally:
        _large_print.reset(token)


def is_large_print() -> bool:
    return _large_print.get()


def style(name: str) -> ParagraphStyle:
    """The paragraph style ``name`` as it is now (large print or not)."""
    return _named_style(name)


# -- text ----------------------------------------------------------------------------------------


def check_length(text: str, what: str = "text") -> None:
    """Refuse (with a message naming ``what``) text longer than ``TEXT_MAX`` characters."""
    if len(text) > TEXT_MAX:
        raise UserError(
            f"The {what} is too long to print ({len(text):,} characters; the most is "
            f"{TEXT_MAX:,}). Shorten it and try again."
        )


# Control characters (C0, DEL, C1) have no glyph, and NUL must never reach a PDF string. They
# are refused when text is typed, but a document may be fed from elsewhere: drop them here.
CONTROLS: dict[int, str | None] = {code: None for code in [*range(0x20), *range(0x7F, 0xA0)]}
# Bidirectional embedding, override and isolate controls too: refused at input ("Trojan
# Source"), and meaningless to reportlab, which draws characters in stored order (see
# ``visual_order``).
CONTROLS.update(
    dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))
)
CONTROLS[ord("\t")] = " "
del CONTROLS[ord("\n")]


def escape_text(text: str, font: str = FONT) -> str:
    """``text`` as Paragraph markup that prints exactly those characters, newlines kept, in a
    paragraph whose font is ``font``: what it lacks is put in the fallback with ``<font>``."""
    lines = text.translate(CONTROLS).split("\n")
    return "<br/>".join(_line_markup(visual_order(line), font) for line in lines)


def _line_markup(line: str, font: str) -> str:
    # Only the escaped runs come from the text; the tags and the font name are ours.
    return "".join(
        escape(run) if run_font == font else f'<font name="{run_font}">{escape(run)}</font>'
        for run, run_font in font_runs(line, font)
    )


# Right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko... and their presentation forms).
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_MIRRORED = str.maketrans("()[]{}<>", ")(][}{><")


def visual_order(line: str) -> str:
    """``line`` in the order its characters are drawn, left to right, on an English page.

    reportlab draws characters in the order they are stored, so a Hebrew or Arabic name would
    print back to front. This is the part of the Unicode bidirectional algorithm that names
    need, for a left-to-right page: each stretch that starts and ends with a right-to-left
    letter (with spaces, punctuation and numbers inside it) is reversed, keeping numbers in it
    readable left to right and marks after their letters, and mirroring brackets. Arabic
    letters are not joined into their connected forms: that needs a shaping engine, which
    reportlab only has with extra packages (uharfbuzz).
    """
    if not _RTL.search(line):
        return line
    kinds = [unicodedata.bidirectional(ch) for ch in line]
    out: list[str] = []
    i = 0
    while i < len(line):
        if kinds[i] not in ("R", "AL"):
            out.append(line[i])
            i += 1
            continue
        # The stretch runs to the last right-to-left letter before the next left-to-right one.
        end = i
        j = i
        while j < len(line) and kinds[j] != "L":
            if kinds[j] in ("R", "AL"):
                end = j
            j += 1
        tokens: list[str] = []
        for token in re.findall(r"\d+(?:[.,:/]\d+)*|.", line[i : end + 1], flags=re.DOTALL):
            if tokens and unicodedata.category(token[0]) == "Mn":
                tokens[-1] += token  # a vowel point or accent stays after its letter
            else:
                tokens.append(token)
        out.append("".join(reversed(tokens)).translate(_MIRRORED))
        i = end + 1
    return "".join(out)


def para(text: str, style: str = "body") -> Paragraph:
    """A Paragraph printing ``text`` literally (never parsed as markup), newlines kept."""
    check_length(text)
    named = _named_style(style)
    return Paragraph(escape_text(text, named.fontName), named)


def rich_para(
    runs: Sequence[tuple[str, bool]], style: str = "body", bullet: str | None = None
) -> Paragraph:
    """A Paragraph of ``(text, bold)`` runs, each escaped; optionally with a bullet."""
    for text, _ in runs:
        check_length(text)
    named = _named_style(style)
    markup = "".join(
        f"<b>{escape_text(text, FONT_BOLD)}</b>" if bold else escape_text(text, named.fontName)
        for text, bold in runs
    )
    return Paragraph(markup, named, bulletText=bullet)


def _named_style(style: str) -> ParagraphStyle:
    register_fonts()
    styles = LARGE_STYLES if _large_print.get() else STYLES
    try:
        return styles[style]
    except KeyError:
        raise ValueError(f"unknown paragraph style {style!r}; one of {sorted(STYLES)}") from None


def format_date(value: date | None) -> str:
    """UK form, 03/07/1985; an unknown date is an empty string."""
    return format_uk(value) if value is not None else ""
