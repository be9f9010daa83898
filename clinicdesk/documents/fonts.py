"""The fonts of every ClinicDesk PDF: DejaVu Sans, bundled in resources/fonts and embedded
as subsets, and a fallback for the characters it lacks.

DejaVu Sans has no Chinese, Japanese or Korean, and reportlab has no font fallback of its own:
such a name would print as empty boxes. So every text is cut into runs (``font_runs``): the
characters DejaVu lacks and the fallback font (Droid Sans Fallback) has are drawn in the
fallback: in a paragraph, by ``<font>`` tags built around escaped runs; in the page frame, by
changing font within the drawn line. The 3.4 MB fallback is read only when a text needs it, so
a document in Latin script costs what it did and embeds no fallback font.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from itertools import groupby

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus.tables import CellStyle

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
# Monospaced, for the printed recovery key only (O and 0, I and 1 in columns); read when the
# key is printed (``register_mono_font``).
FONT_MONO_BOLD = "ClinicDeskMono-Bold"
MONO_BOLD_FILE = "DejaVuSansMono-Bold.ttf"


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
        # And a table cell's starting font: reportlab's is Helvetica, which it names in every
        # cell it draws, so the file would list a font it does not embed (every font must be
        # embedded: a printer substitutes its own for one that is not).
        CellStyle.fontname = FONT
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


def register_mono_font() -> str:
    """Register the monospaced bold font (once); its name."""
    register_fonts()
    with _fonts_lock:
        if FONT_MONO_BOLD not in _glyphs:
            _glyphs[FONT_MONO_BOLD] = _load_font(FONT_MONO_BOLD, MONO_BOLD_FILE)
    return FONT_MONO_BOLD


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
