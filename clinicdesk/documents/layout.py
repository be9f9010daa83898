"""The page frame every ClinicDesk PDF shares, and the text styles inside it.

Every page of every document carries, drawn by the frame rather than by the document: the
clinic's name, address and logo at the top; the patient's name, date of birth and NHS number in
a band below it (a loose page must still say whose it is); and in the footer the document's
stamp (template id, version and the start of its text hash, which a signed consent points at)
and "Page x of y". "y" is only known when the last page is laid out, so the pages are held back
and numbered when the PDF is saved (``_NumberedCanvas``); a pack of several documents numbers
each document's pages on their own.

Text never goes into reportlab as markup: ``para`` escapes it (an unescaped ``<img src=...>`` in
a name would embed that local file, and a lone ``<`` raises), and each text is capped at
``TEXT_MAX`` characters so a pasted novel cannot stall a build (DESIGN.md: a 240 KB paragraph
took 12.6 s). Output is invariant: the same input gives the same bytes (fixed creation date,
fixed document id), and the fonts, bundled in resources/fonts, are embedded as subsets.

DejaVu Sans has no Chinese, Japanese or Korean, and reportlab has no font fallback of its own:
such a name would print as empty boxes. So every text is cut into runs (``font_runs``): the
characters DejaVu lacks and the fallback font (Droid Sans Fallback) has are drawn in the
fallback: in a paragraph, by ``<font>`` tags built around escaped runs; in the page frame, by
changing font within the drawn line. The 3.4 MB fallback is read only when a text needs it, so
a document in Latin script costs what it did and embeds no fallback font.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import threading
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
)

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.errors import UserError
from clinicdesk.paths import resources_dir

FONT = "ClinicDeskSans"
FONT_BOLD = "ClinicDeskSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}
# Chinese, Japanese (kana and kanji) and Korean (hangul), for the characters DejaVu lacks, in
# regular and bold text alike (there is no bold). Not DroidSansFallbackFull.ttf: that file has
# no precomposed hangul syllables, so a Korean name would still print as boxes.
FONT_FALLBACK = "ClinicDeskFallback"
FALLBACK_FILE = "DroidSansFallback.ttf"

# The most characters one text (a field, a note) may have on a page. 20,000 characters is about
# seven pages of notes and builds in well under a second; longer text is refused, not cut.
TEXT_MAX = 20_000
LOGO_MAX_BYTES = 2 * 1024 * 1024

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
HEADER_TOP = PAGE_HEIGHT - 12 * mm
HEADER_RULE = PAGE_HEIGHT - 31 * mm
BAND_TOP = PAGE_HEIGHT - 33.5 * mm
BAND_HEIGHT = 10.5 * mm
FRAME_TOP = BAND_TOP - BAND_HEIGHT - 4 * mm
FOOTER_RULE = 17 * mm
FRAME_BOTTOM = FOOTER_RULE + 4 * mm
LOGO_WIDTH, LOGO_HEIGHT = 45 * mm, 16 * mm

INK = colors.HexColor("#1B1F23")
ACCENT = colors.HexColor("#1F3A5F")
MUTED = colors.HexColor("#5B6670")
RULE = colors.HexColor("#9AA5B1")
BAND = colors.HexColor("#EDF1F5")
# The "produced by" line of the PDF's metadata (invariant mode pins the dates, not this).
CREATOR = "ClinicDesk"


@dataclass(frozen=True)
class ClinicDetails:
    name: str
    address: str = ""
    phone: str = ""
    logo_png: bytes | None = None


@dataclass(frozen=True)
class PatientIdentity:
    name: str
    date_of_birth: date | None
    nhs_number: str = ""


@dataclass(frozen=True)
class Stamp:
    """What the footer of every page says the document is: id, version and text hash."""

    document_id: str
    version: str
    text_hash: str

    def line(self) -> str:
        """``micrograft-consent v1 · sha256 0123456789ab``; a bare "1" is shown as "v1"."""
        version = f"v{self.version}" if self.version.isdigit() else self.version
        parts = [self.document_id, version]
        text = " ".join(part for part in parts if part)
        if self.text_hash:
            text += f" · sha256 {self.text_hash[:12]}"
        return text


# -- fonts and styles ----------------------------------------------------------------------------

_fonts_lock = threading.Lock()
# For each font read so far, its character map (character code -> glyph; glyph 0 is the
# "missing character" box, not a glyph for the character). reportlab's own, not a copy.
_glyphs: dict[str, Mapping[int, int]] = {}
# For FONT and FONT_BOLD, a pattern finding a run of characters the font has no glyph for: most
# texts have none, and a regular expression says so at C speed.
_lacking: dict[str, re.Pattern[str]] = {}


def register_fonts() -> None:
    """Register the bundled DejaVu fonts with reportlab (once per process; thread-safe). The
    fallback font waits until a text needs it (``font_runs``)."""
    with _fonts_lock:
        if len(_lacking) == len(FONT_FILES):
            return
        for name, filename in FONT_FILES.items():
            _glyphs[name] = _load_font(name, filename)
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
        )
        # reportlab's one process-wide switch (documents/ is its only user): streams are
        # deflated only, not also ASCII85-encoded. That 7-bit armour costs about a fifth of the
        # build time of a form in pure Python and makes the file a quarter larger.
        rl_config.useA85 = 0
        for name in FONT_FILES:  # last: it marks the fonts as ready
            _lacking[name] = _lacking_pattern(_glyphs[name])


def _load_font(name: str, filename: str) -> Mapping[int, int]:
    """Register ``filename`` from resources/fonts as ``name``; its character map."""
    folder = resources_dir() / "fonts"
    try:
        font = TTFont(name, str(folder / filename))
        pdfmetrics.registerFont(font)
    except Exception as error:  # reportlab raises TTFError, OSError...
        raise UserError(
            f"The font {filename} in {folder} cannot be read ({error}). Reinstall ClinicDesk."
        ) from error
    glyphs: Mapping[int, int] = font.face.charToGlyph
    return glyphs


def _lacking_pattern(glyphs: Mapping[int, int]) -> re.Pattern[str]:
    """A pattern matching runs of characters that have no glyph in ``glyphs``."""
    ranges: list[list[int]] = []
    for code in sorted(code for code, glyph in glyphs.items() if glyph):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    allowed = "".join(
        re.escape(chr(first)) + ("" if first == last else "-" + re.escape(chr(last)))
        for first, last in ranges
    )
    return re.compile(f"[^{allowed}]+")


def _fallback_glyphs() -> Mapping[int, int]:
    """The fallback font's character map, reading and registering the font on first use."""
    glyphs = _glyphs.get(FONT_FALLBACK)
    if glyphs is not None:
        return glyphs
    with _fonts_lock:
        if FONT_FALLBACK not in _glyphs:
            loaded = _load_font(FONT_FALLBACK, FALLBACK_FILE)
            # <b> around a <font name=...> run asks reportlab for the family's bold.
            pdfmetrics.registerFontFamily(
                FONT_FALLBACK,
                normal=FONT_FALLBACK,
                bold=FONT_FALLBACK,
                italic=FONT_FALLBACK,
                boldItalic=FONT_FALLBACK,
            )
            _glyphs[FONT_FALLBACK] = loaded  # last: it marks the font as ready
        return _glyphs[FONT_FALLBACK]


def font_runs(text: str, font: str) -> list[tuple[str, str]]:
    """``text`` cut into ``(characters, font name)`` runs to draw one after the other: ``font``
    (FONT or FONT_BOLD) wherever it has the glyphs, ``FONT_FALLBACK`` for characters only the
    fallback has. A character neither has stays in ``font`` (it prints as a box)."""
    register_fonts()
    if text.isascii() or _lacking[font].search(text) is None:
        return [(text, font)]
    glyphs, fallback = _glyphs[font], _fallback_glyphs()

    def font_for(character: str) -> str:
        code = ord(character)
        return FONT_FALLBACK if not glyphs.get(code) and fallback.get(code) else font

    return [("".join(run), name) for name, run in groupby(text, key=font_for)]


def text_width(text: str, font: str, size: float) -> float:
    """The width of ``text`` drawn in ``font`` with the fallback (``font_runs``), in points."""
    width: float = 0.0
    for run, run_font in font_runs(text, font):
        width += pdfmetrics.stringWidth(run, run_font, size)
    return width


def _style(name: str, **overrides: Any) -> ParagraphStyle:
    base: dict[str, Any] = {
        "fontName": FONT,
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
_CONTROLS: dict[int, str | None] = {code: None for code in [*range(0x20), *range(0x7F, 0xA0)]}
# Bidirectional embedding, override and isolate controls too: refused at input ("Trojan
# Source"), and meaningless to reportlab, which draws characters in stored order (see
# ``visual_order``).
_CONTROLS.update(
    dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))
)
_CONTROLS[ord("\t")] = " "
del _CONTROLS[ord("\n")]


def escape_text(text: str, font: str = FONT) -> str:
    """``text`` as Paragraph markup that prints exactly those characters, newlines kept, in a
    paragraph whose font is ``font``: what it lacks is put in the fallback with ``<font>``."""
    lines = text.translate(_CONTROLS).split("\n")
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
    try:
        return STYLES[style]
    except KeyError:
        raise ValueError(f"unknown paragraph style {style!r}; one of {sorted(STYLES)}") from None


def format_date(value: date | None) -> str:
    """UK form, 03/07/1985; an unknown date is an empty string."""
    return format_uk(value) if value is not None else ""


# -- the page frame ------------------------------------------------------------------------------


def _fit(text: str, font: str, size: float, width: float, smallest: float) -> tuple[str, float]:
    """Shrink ``size`` (down to ``smallest``) until ``text`` fits ``width``, then cut with "…"."""
    while size > smallest and text_width(text, font, size) > width:
        size -= 0.5
    if text_width(text, font, size) <= width:
        return text, size
    return text[: _fitting_start(text, font, size, width, "…")] + "…", size


def _fitting_start(text: str, font: str, size: float, width: float, after: str = "") -> int:
    """How many characters from the start of ``text``, followed by ``after``, fit ``width``.
    A binary search: a longer start is never narrower, and measuring is not free."""
    shortest, longest = 0, len(text)
    while shortest < longest:
        middle = (shortest + longest + 1) // 2
        if text_width(text[:middle] + after, font, size) <= width:
            shortest = middle
        else:
            longest = middle - 1
    return shortest


def _fit_lines(text: str, font: str, size: float, width: float) -> tuple[list[str], float]:
    """One line shrunk to at least 8 pt, or else two lines of 7 pt (the second cut with "…"):
    a long name is never cut short while there is room to print it whole."""
    line, fitted = _fit(text, font, size, width, 8)
    if not line.endswith("…") or line == text:
        return [line], fitted
    lines = _split_lines(text, font, 7, width)
    if len(lines) > 2:
        first, rest = _split_lines(text, font, 7, width, most=2)
        lines = [first, _fit(rest, font, 7, width, 7)[0]]
    return lines, 7


def _split_lines(
    text: str, font: str, size: float, width: float, most: int | None = None
) -> list[str]:
    """``text`` in lines no wider than ``width`` (but for a word wider than a line, which
    gets one to itself), as reportlab's ``simpleSplit`` does, measured with the fallback font.
    Lines break between words, and also on either side of a Chinese, Japanese or Korean
    character: those scripts need no spaces, and may break between any two characters. With
    ``most``, the last line takes all the rest."""
    lines: list[str] = []
    line = ""
    for joiner, unit in _break_units(text):
        joined = line + joiner + unit
        if not line or len(lines) + 1 == most or text_width(joined, font, size) <= width:
            line = joined if line else unit
        else:
            lines.append(line)
            line = unit
    if line:
        lines.append(line)
    return lines


def _break_units(text: str) -> list[tuple[str, str]]:
    """The pieces of ``text`` a line may break between, each with what joins it to the one
    before: " " between words, nothing between the pieces of a word broken at a wide (CJK)
    character."""
    units: list[tuple[str, str]] = []
    for word in text.split():
        joiner, start = " ", 0
        for i in range(1, len(word)):
            if _is_wide(word[i - 1]) or _is_wide(word[i]):
                units.append((joiner, word[start:i]))
                joiner, start = "", i
        units.append((joiner, word[start:]))
    return units


def _is_wide(character: str) -> bool:
    # East Asian wide and full-width characters: ideographs, kana, hangul, CJK punctuation.
    return unicodedata.east_asian_width(character) in ("W", "F")


def _draw(canvas: Canvas, x: float, y: float, text: str, font: str, size: float) -> None:
    """``canvas.drawString`` of ``text`` in ``font`` at ``size``, each run the font lacks in
    the fallback font (``font_runs``). One text object for all the runs, so that a PDF reader
    copying or extracting the line reads one line, not one line per run."""
    line = canvas.beginText(x, y)
    for run, run_font in font_runs(text, font):
        line.setFont(run_font, size)
        line.textOut(run)
    canvas.drawText(line)


def _plain(text: str) -> str:
    """One line of text for the frame: control characters out, lines joined."""
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n")]
    return visual_order(", ".join(line for line in lines if line).translate(_CONTROLS))


def _logo_reader(logo_png: bytes | None) -> ImageReader | None:
    if not logo_png:
        return None
    if len(logo_png) > LOGO_MAX_BYTES:
        raise UserError("The clinic logo is too large to print (the most is 2 MB).")
    if not logo_png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise UserError("The clinic logo must be a PNG image.")
    try:
        reader = ImageReader(io.BytesIO(logo_png))
        reader.getSize()
    except Exception as error:  # Pillow's many decode errors
        raise UserError(f"The clinic logo cannot be read as a PNG image ({error}).") from error
    return reader


@dataclass(frozen=True)
class _Frame:
    """What the frame draws on each page of one section."""

    clinic: ClinicDetails
    patient: PatientIdentity
    title: str
    stamp: Stamp
    logo: ImageReader | None

    def draw(self, canvas: Canvas) -> None:
        canvas.saveState()
        self._header(canvas)
        self._patient_band(canvas)
        self._footer(canvas)
        canvas.restoreState()

    def _header(self, canvas: Canvas) -> None:
        room = CONTENT_WIDTH
        if self.logo is not None:
            width, height = self.logo.getSize()
            scale = min(LOGO_WIDTH / width, LOGO_HEIGHT / height)
            w, h = width * scale, height * scale
            canvas.drawImage(
                self.logo,
                PAGE_WIDTH - MARGIN_X - w,
                HEADER_TOP - h,
                w,
                h,
                mask="auto",
            )
            room -= w + 6 * mm
        name, size = _fit(_plain(self.clinic.name), FONT_BOLD, 13, room, 9)
        canvas.setFillColor(ACCENT)
        y = HEADER_TOP - size
        _draw(canvas, MARGIN_X, y, name, FONT_BOLD, size)
        canvas.setFillColor(MUTED)
        lines = _split_lines(_plain(self.clinic.address), FONT, 8, room)[:2]
        if self.clinic.phone:
            lines.append(_fit(f"Tel. {_plain(self.clinic.phone)}", FONT, 8, room, 8)[0])
        y -= 4
        for line in lines:
            y -= 10
            _draw(canvas, MARGIN_X, y, line, FONT, 8)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(1.2)
        canvas.line(MARGIN_X, HEADER_RULE, PAGE_WIDTH - MARGIN_X, HEADER_RULE)

    def _patient_band(self, canvas: Canvas) -> None:
        bottom = BAND_TOP - BAND_HEIGHT
        canvas.setFillColor(BAND)
        canvas.setStrokeColor(BAND)
        canvas.roundRect(MARGIN_X, bottom, CONTENT_WIDTH, BAND_HEIGHT, 1.5 * mm, stroke=0, fill=1)
        patient = self.patient
        cells = [
            ("Patient", _plain(patient.name), 0.52),
            ("Date of birth", format_date(patient.date_of_birth) or "-", 0.22),
            ("NHS number", format_nhs_number(_plain(patient.nhs_number)) or "-", 0.26),
        ]
        x = MARGIN_X + 3 * mm
        for label, value, share in cells:
            width = CONTENT_WIDTH * share - 5 * mm
            canvas.setFillColor(MUTED)
            _draw(canvas, x, BAND_TOP - 3.6 * mm, label.upper(), FONT, 6.5)
            canvas.setFillColor(INK)
            lines, size = _fit_lines(value, FONT_BOLD, 10, width)
            # One line sits where the eye expects it; two sit lower, clear of the label.
            y = bottom + (2.3 * mm if len(lines) == 1 else 1.3 * mm + size)
            for line in lines:
                _draw(canvas, x, y, line, FONT_BOLD, size)
                y -= size
            x += CONTENT_WIDTH * share

    def _footer(self, canvas: Canvas) -> None:
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, FOOTER_RULE, PAGE_WIDTH - MARGIN_X, FOOTER_RULE)
        canvas.setFillColor(INK)
        stamp, _ = _fit(self.stamp.line(), FONT, 7.5, CONTENT_WIDTH - 35 * mm, 7.5)
        _draw(canvas, MARGIN_X, FOOTER_RULE - 4.5 * mm, stamp, FONT, 7.5)
        canvas.setFillColor(MUTED)
        title, _ = _fit(_plain(self.title), FONT, 7, CONTENT_WIDTH - 35 * mm, 7)
        _draw(canvas, MARGIN_X, FOOTER_RULE - 8 * mm, title, FONT, 7)


def _numbered_canvas(page_sections: list[int]) -> type[Canvas]:
    """A canvas that keeps its pages until the end, then writes "Page x of y" on each.

    ``page_sections[i]`` is the section of page i, filled in as pages begin; numbering
    restarts in each section, and y counts only that section's pages.
    """

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            totals = Counter(page_sections)
            numbers: Counter[int] = Counter()
            for index, state in enumerate(self._held_pages):
                self.__dict__.update(state)
                section = page_sections[index]
                numbers[section] += 1
                self.saveState()
                self.setFillColor(INK)
                self.setFont(FONT_BOLD, 7.5)
                self.drawRightString(
                    PAGE_WIDTH - MARGIN_X,
                    FOOTER_RULE - 4.5 * mm,
                    f"Page {numbers[section]} of {totals[section]}",
                )
                self.restoreState()
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


def build_pdf(
    clinic: ClinicDetails,
    patient: PatientIdentity,
    title: str,
    stamp: Stamp,
    story: list[Flowable],
) -> bytes:
    """One document as PDF bytes. The title is printed at the top of the first page (do not
    put it in ``story`` too) and at the foot of every page."""
    return build_pdf_sections(clinic, patient, [(title, stamp, story)])


def build_pdf_sections(
    clinic: ClinicDetails,
    patient: PatientIdentity,
    sections: Sequence[tuple[str, Stamp, list[Flowable]]],
) -> bytes:
    """Several documents in one PDF (a consent pack): each starts on a new page and keeps its
    own title, stamp and "Page x of y"."""
    if not sections:
        raise ValueError("a PDF needs at least one section")
    register_fonts()
    check_length(patient.name, "patient's name")
    logo = _logo_reader(clinic.logo_png)
    page_sections: list[int] = []
    templates: list[PageTemplate] = []
    story: list[Flowable] = []
    for index, (title, stamp, flowables) in enumerate(sections):
        frame_drawer = _Frame(clinic, patient, title, stamp, logo)

        def on_page(
            canvas: Canvas, doc: Any, index: int = index, drawer: _Frame = frame_drawer
        ) -> None:
            page_sections.append(index)
            drawer.draw(canvas)

        frame = Frame(
            MARGIN_X,
            FRAME_BOTTOM,
            CONTENT_WIDTH,
            FRAME_TOP - FRAME_BOTTOM,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id=f"body-{index}",
        )
        templates.append(PageTemplate(id=f"section-{index}", frames=[frame], onPage=on_page))
        if index:
            story += [NextPageTemplate(f"section-{index}"), PageBreak()]
        story.append(para(title, "title"))
        story += flowables
    buffer = io.BytesIO()
    titles = [title for title, _, _ in sections]
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        pageTemplates=templates,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=PAGE_HEIGHT - FRAME_TOP,
        bottomMargin=FRAME_BOTTOM,
        title=_plain(titles[0] if len(titles) == 1 else "; ".join(titles))[:300],
        author=_plain(clinic.name)[:300],
        creator=CREATOR,
        invariant=1,
    )
    doc.build(story, canvasmaker=_numbered_canvas(page_sections))
    return buffer.getvalue()


# -- saving --------------------------------------------------------------------------------------


def write_pdf_atomically(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that the file is either the whole PDF or not there at all:
    a temporary file in the same folder, flushed to disk, then renamed over ``path``. A disk
    that fills up half-way leaves no partial or 0-byte PDF (RELIABILITY row 26)."""
    if not data:
        raise ValueError("refusing to write an empty PDF")
    target = Path(path)
    try:
        handle, temp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise UserError(f"Cannot save the PDF in {target.parent}: {error.strerror}.") from error
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(error, OSError):
            raise UserError(
                f"Cannot save the PDF as {target}: {error.strerror or error}. Nothing was saved."
            ) from error
        raise
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open a folder, and needs not."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
