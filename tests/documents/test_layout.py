"""The shared page frame: header, patient band, footer stamp, page numbers, fonts, saving."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
from reportlab.pdfbase.ttfonts import TTFont

from clinicdesk.documents.fonts import FONT, FONT_BOLD, FONT_FILES
from clinicdesk.documents.layout import (
    ClinicDetails,
    PatientIdentity,
    Stamp,
    build_pdf,
    build_pdf_sections,
    write_pdf_atomically,
)
from clinicdesk.documents.text import TEXT_MAX, para, visual_order
from clinicdesk.errors import UserError
from clinicdesk.paths import resources_dir
from tests.documents.pdf_helpers import CLINIC, PATIENT, image_count, page_numbers, pages_text, png

STAMP = Stamp("progress-report", "1", "0123456789abcdef" * 4)
ARABIC = "محمد عبد الله"
HEBREW = "שירה כהן"


def _story(paragraphs: int) -> list[object]:
    return [
        para(f"Paragraph {i}. " + "Some words to fill the page. " * 30) for i in range(paragraphs)
    ]


def test_stamp_line() -> None:
    assert STAMP.line() == "progress-report v1 · sha256 0123456789ab"
    assert Stamp("micrograft-consent", "v2", "ff" * 32).line() == (
        "micrograft-consent v2 · sha256 ffffffffffff"
    )
    assert Stamp("summary", "", "").line() == "summary"


def test_every_page_has_the_frame_and_page_x_of_y() -> None:
    pdf = build_pdf(CLINIC, PATIENT, "Progress report", STAMP, _story(25))
    texts = pages_text(pdf)
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        assert "Harrowgate Hair Restoration Clinic" in text
        assert "14 Station Parade, Harrogate HG1 1UF" in text
        assert "Tel. 01423 555 0199" in text
        assert "Zoë Łukasz-Ó'Brien" in text and "03/07/1985" in text and "943 476 5919" in text
        assert "progress-report v1 · sha256 0123456789ab" in text
        assert page_numbers(text) == (number, len(texts))
    assert texts[0].count("Progress report") == 2  # the title, and the footer's reminder


def test_unknown_date_of_birth_and_nhs_number_print_as_dashes() -> None:
    patient = PatientIdentity("Alex Lee", None)
    (text,) = pages_text(build_pdf(CLINIC, patient, "Sheet", STAMP, [para("Hello")]))
    assert "Alex Lee" in text and "Hello" in text


def test_sections_number_their_pages_separately() -> None:
    other = Stamp("aftercare", "3", "ab" * 32)
    pdf = build_pdf_sections(
        CLINIC, PATIENT, [("First", STAMP, _story(12)), ("Second", other, _story(1))]
    )
    texts = pages_text(pdf)
    first = [t for t in texts if "progress-report v1" in t]
    second = [t for t in texts if "aftercare v3 · sha256 abababababab" in t]
    assert len(first) >= 2 and len(second) == 1 and len(first) + len(second) == len(texts)
    assert [page_numbers(t) for t in first] == [(i, len(first)) for i in range(1, len(first) + 1)]
    assert page_numbers(second[0]) == (1, 1)
    assert "Second" in second[0]


def test_para_prints_markup_literally_and_keeps_newlines() -> None:
    text = "A <B & C>\n<img src='/etc/passwd'/>\x00end"
    (page,) = pages_text(build_pdf(CLINIC, PATIENT, "T", STAMP, [para(text, "small")]))
    assert "A <B & C>\n<img src='/etc/passwd'/>end" in page
    with pytest.raises(ValueError, match="unknown paragraph style"):
        para("x", "shouting")
    with pytest.raises(UserError, match="too long"):
        para("x" * (TEXT_MAX + 1))


def test_the_logo_is_one_image_on_every_page_and_a_bad_one_is_refused() -> None:
    clinic = ClinicDetails(CLINIC.name, logo_png=png((400, 100)))
    pdf = build_pdf(clinic, PATIENT, "T", STAMP, _story(12))
    assert len(pages_text(pdf)) >= 2
    assert image_count(pdf) == 1
    assert image_count(build_pdf(CLINIC, PATIENT, "T", STAMP, _story(1))) == 0
    for bad in (b"GIF89a not a png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40):
        with pytest.raises(UserError, match="logo"):
            build_pdf(ClinicDetails("C", logo_png=bad), PATIENT, "T", STAMP, [])


def test_the_bundled_fonts_are_embedded() -> None:
    pdf = build_pdf(CLINIC, PATIENT, "T", STAMP, [para("Zoë")])
    assert pdf.count(b"/FontFile2") == 2  # regular and bold, as subsets
    assert re.search(rb"/BaseFont /[A-Z]{6}\+DejaVuSans\s", pdf)
    assert re.search(rb"/BaseFont /[A-Z]{6}\+DejaVuSans-Bold\s", pdf)
    assert b"DroidSansFallback" not in pdf  # the CJK fallback only where it is needed
    for licence in ("LICENSE-DejaVu.txt", "LICENSE-DroidSansFallback.txt"):
        assert (resources_dir() / "fonts" / licence).is_file()


@pytest.mark.parametrize("font", [FONT, FONT_BOLD])
@pytest.mark.parametrize("name", [ARABIC, HEBREW, "Zoë Łukasz-Ó'Brien", "Siobhán", "Øyvind Åsen"])
def test_the_embedded_fonts_have_glyphs_for_the_names(font: str, name: str) -> None:
    # RELIABILITY row 24: coverage checked in the font file itself.
    face = TTFont("coverage-check", str(resources_dir() / "fonts" / FONT_FILES[font])).face
    missing = [ch for ch in name if ch != " " and not face.charToGlyph.get(ord(ch))]
    assert missing == []


@pytest.mark.parametrize("name", [ARABIC, HEBREW])
def test_right_to_left_names_print_right_to_left(name: str) -> None:
    pdf = build_pdf(CLINIC, PatientIdentity(name, date(1990, 1, 2)), "T", STAMP, [para(name)])
    (text,) = pages_text(pdf)
    # Drawn in visual order; a reader (pypdf here) puts right-to-left runs back in reading
    # order, so the name reads back as typed: in the patient band and in the paragraph.
    assert text.count(name) == 2, text


def test_visual_order_reverses_only_right_to_left_stretches() -> None:
    assert visual_order("Zoë Łukasz-Ó'Brien") == "Zoë Łukasz-Ó'Brien"
    assert visual_order(HEBREW) == "ןהכ הריש"
    assert visual_order(f"Patient {HEBREW} (Haifa)") == "Patient ןהכ הריש (Haifa)"
    assert visual_order("חדר 12 ב") == "ב 12 רדח"  # numbers still read left to right
    assert visual_order("א (ב) ג") == "ג (ב) א"  # brackets are mirrored
    assert visual_order("שָׁלוֹם") == "םוֹלשָׁ"  # vowel points stay with their letters


def test_bidi_override_characters_are_not_printed() -> None:
    (text,) = pages_text(build_pdf(CLINIC, PATIENT, "T", STAMP, [para("ab\u202ecd\u2066ef")]))
    assert "abcdef" in text


def test_write_pdf_atomically_writes_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "consent.pdf"
    write_pdf_atomically(target, b"%PDF-1.4 first")
    write_pdf_atomically(target, b"%PDF-1.4 second")
    assert target.read_bytes() == b"%PDF-1.4 second"
    assert os.listdir(tmp_path) == ["consent.pdf"]
    with pytest.raises(ValueError):
        write_pdf_atomically(target, b"")


def test_a_failed_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RELIABILITY row 26: a full disk fails the write; nothing half-written is left behind.
    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    target = tmp_path / "report.pdf"
    with pytest.raises(UserError, match="No space left on device"):
        write_pdf_atomically(target, b"%PDF-1.4 data")
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    target.write_bytes(b"%PDF-1.4 old")
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(UserError):
        write_pdf_atomically(target, b"%PDF-1.4 new")
    assert target.read_bytes() == b"%PDF-1.4 old"  # the previous file is untouched
    assert os.listdir(tmp_path) == ["report.pdf"]


def test_a_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="Cannot save"):
        write_pdf_atomically(tmp_path / "no" / "such" / "x.pdf", b"%PDF")
