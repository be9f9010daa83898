"""The page frame every ClinicDesk PDF shares, and building and saving the PDF.

Every page of every document carries, drawn by the frame rather than by the document: the
clinic's name, logo and the producing site's name and address at the top; the patient's name,
date of birth, NHS number and clinic number in a band below it (a loose page must still say
whose it is, and a patient without an NHS number still has two identifiers); and in the footer
the document's stamp (template id, version and the start of its text hash, which a signed
consent points at) and "Page x of y". "y" is only known when the last page is laid out, so
the pages are held back and numbered when the PDF is saved (``_NumberedCanvas``); a pack of
several documents numbers each document's pages on their own.

The text inside the frame is ``documents.text`` (styles, escaping, ``para``) and its fonts
``documents.fonts`` (DejaVu Sans with a fallback for Chinese, Japanese and Korean). Every font
in the file is embedded: the canvas starts in DejaVu Sans, not reportlab's default Helvetica,
which a printer or reader would otherwise substitute.

What a reader and a screen reader are told: the title (shown in the window bar instead of the
file name: DisplayDocTitle), the language (en-GB), and an outline with one bookmark per document
of a pack. Output is invariant: the same input gives the same bytes. The creation date is the
generation time the document log records (``generated_at``; a fixed date without one), and the
document ID (the trailer's /ID) is derived from the file's content, that date included, so two
documents never share an ID and the same document always has the same one.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
)

from clinicdesk.documents.fonts import FONT, FONT_BOLD, font_runs, register_fonts, text_width
from clinicdesk.documents.text import (
    ACCENT,
    BAND,
    CONTROLS,
    INK,
    MUTED,
    RULE,
    check_length,
    format_date,
    para,
    visual_order,
)
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.errors import UserError

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

# The "produced by" line of the PDF's metadata (invariant mode pins the dates, not this).
CREATOR = "ClinicDesk"
LANGUAGE = "en-GB"
# What the trailer's /ID holds while the file is written: replaced by the digest of the file
# (``_with_document_id``). Two equal strings, as reportlab writes them: [<id> <id>].
_ID_LENGTH = 16  # bytes, as an MD5 (what reportlab and most writers use)
_ID_PLACEHOLDER = "<" + "C1" * _ID_LENGTH + ">"


@dataclass(frozen=True)
class ClinicDetails:
    name: str
    address: str = ""  # of the site producing the document (the clinic's if it has none)
    phone: str = ""
    logo_png: bytes | None = None
    site: str = ""  # the producing site's name, printed before its address


@dataclass(frozen=True)
class PatientIdentity:
    name: str
    date_of_birth: date | None
    nhs_number: str = ""
    patient_number: str = ""  # the clinic's own number ("M-00123")


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
    return visual_order(", ".join(line for line in lines if line).translate(CONTROLS))


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
        where = " · ".join(p for p in (_plain(self.clinic.site), _plain(self.clinic.address)) if p)
        lines = _split_lines(where, FONT, 8, room)[:2]
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
            ("Patient", _plain(patient.name), 0.43),
            ("Date of birth", format_date(patient.date_of_birth) or "-", 0.18),
            ("NHS number", format_nhs_number(_plain(patient.nhs_number)) or "-", 0.21),
            ("Clinic number", _plain(patient.patient_number) or "-", 0.18),
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


def _numbered_canvas(
    page_sections: list[int], titles: Sequence[str], generated_at: datetime | None
) -> type[Canvas]:
    """A canvas that keeps its pages until the end, then writes "Page x of y" on each.

    ``page_sections[i]`` is the section of page i, filled in as pages begin; numbering
    restarts in each section, and y counts only that section's pages. The first page of each
    section gets a bookmark titled ``titles[section]``. The file's creation date is
    ``generated_at`` (reportlab's fixed invariant date without one), and its /ID a placeholder
    that ``_with_document_id`` replaces.
    """

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict[str, Any]] = []
            # reportlab's ID() returns _ID once set, and never adds to it afterwards.
            self._doc._ID = f"\n[{_ID_PLACEHOLDER}{_ID_PLACEHOLDER}]\n".encode("ascii")
            if generated_at is not None:
                stamp = _pdf_date(generated_at)
                self.setDateFormatter(lambda *_: stamp)

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
                if numbers[section] == 1:
                    # Here, as the page is really written: reportlab binds a bookmark to the
                    # page being written, and the held pages are written only now.
                    key = f"section-{section}"
                    self.bookmarkPage(key)
                    self.addOutlineEntry(_plain(titles[section])[:300], key, level=0)
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
            if len(totals) > 1:
                self.showOutline()  # a pack opens with its list of documents beside it
            Canvas.save(self)

    return NumberedCanvas


def _pdf_date(moment: datetime) -> str:
    """``moment`` as a PDF date in UTC, to the second: ``D:20260312143005+00'00'``."""
    if moment.tzinfo is None:
        raise ValueError("the generation time must carry its time zone")
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


def _with_document_id(pdf: bytes) -> bytes:
    """``pdf`` with the placeholder /ID replaced by the start of the sha256 of the file as
    written (content, metadata and creation date): the same length, so no offset moves."""
    placeholder = _ID_PLACEHOLDER.encode("ascii")
    at = pdf.rfind(b"[" + placeholder + placeholder + b"]")
    if at < 0:
        raise AssertionError("the PDF has no document ID to fill in")
    digest = hashlib.sha256(pdf).hexdigest()[: 2 * _ID_LENGTH].upper()
    document_id = f"<{digest}>".encode("ascii")
    end = at + 1 + 2 * len(placeholder)
    return pdf[:at] + b"[" + document_id + document_id + pdf[end:]


def build_pdf(
    clinic: ClinicDetails,
    patient: PatientIdentity,
    title: str,
    stamp: Stamp,
    story: list[Flowable],
    *,
    generated_at: datetime | None = None,
) -> bytes:
    """One document as PDF bytes. The title is printed at the top of the first page (do not
    put it in ``story`` too) and at the foot of every page. ``generated_at`` (time-zone aware)
    is the creation date the file states: the time the document log records."""
    return build_pdf_sections(clinic, patient, [(title, stamp, story)], generated_at=generated_at)


def build_pdf_sections(
    clinic: ClinicDetails,
    patient: PatientIdentity,
    sections: Sequence[tuple[str, Stamp, list[Flowable]]],
    *,
    generated_at: datetime | None = None,
) -> bytes:
    """Several documents in one PDF (a consent pack): each starts on a new page and keeps its
    own title, stamp and "Page x of y", and has its own bookmark."""
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
        lang=LANGUAGE,
        displayDocTitle=True,
        # The canvas's starting font is written into every page: DejaVu, so that no
        # unembedded Helvetica is named in the file.
        initialFontName=FONT,
    )
    doc.build(story, canvasmaker=_numbered_canvas(page_sections, titles, generated_at))
    return _with_document_id(buffer.getvalue())


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
