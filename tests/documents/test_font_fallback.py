"""Names in scripts DejaVu Sans lacks (Chinese, Japanese, Korean) print in the fallback font:
on every page (the frame's patient band and header are drawn text, not paragraphs), in fields
and signature boxes; the fallback is read and embedded only when a document needs it, as a
subset; the output stays invariant and markup stays printed, never obeyed (RELIABILITY rows
22 and 24)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from reportlab.pdfbase.ttfonts import TTFont

from clinicdesk.documents.fonts import (
    FALLBACK_FILE,
    FONT,
    FONT_BOLD,
    FONT_FALLBACK,
    FONT_FILES,
    font_runs,
    text_width,
)
from clinicdesk.documents.forms import render_form, render_pack
from clinicdesk.documents.layout import ClinicDetails, PatientIdentity, _split_lines
from clinicdesk.documents.report import render_progress_report
from clinicdesk.documents.templates import CONSENT_PACK, TemplateLibrary
from clinicdesk.domain.report_flavours import Flavour
from clinicdesk.paths import resources_dir
from tests.conftest import VALID_PATIENT, Clinic
from tests.documents.pdf_helpers import CLINIC, FIELDS, image_count, pages_text, png
from tests.documents.test_report import course, report_data
from tests.services import report_setup

CHINESE, JAPANESE, KOREAN = "李小龍", "山田太郎", "김민준"
NAMES = (CHINESE, JAPANESE, KOREAN)
LIBRARY = TemplateLibrary()
CONSENT = LIBRARY.current("micrograft-consent")
PACK = [LIBRARY.current(template_id) for template_id in CONSENT_PACK]
FLAVOURS: tuple[Flavour, ...] = ("clinical", "patient")
# reportlab names an embedded subset "ABCDEF+<PostScript name>".
FALLBACK_EMBEDDED = re.compile(rb"/BaseFont /[A-Z]{6}\+DroidSansFallback\s")


def patient(name: str) -> PatientIdentity:
    return PatientIdentity(name, date(1985, 7, 3), "9434765919")


def squashed(text: str) -> str:
    return "".join(text.split())


# -- the fonts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_fallback_font_has_the_glyphs_dejavu_lacks(name: str) -> None:
    # RELIABILITY row 24: coverage checked in the font files themselves.
    folder = resources_dir() / "fonts"
    fallback = TTFont("coverage-fallback", str(folder / FALLBACK_FILE)).face.charToGlyph
    assert all(fallback.get(ord(ch)) for ch in name)
    for font in (FONT, FONT_BOLD):
        main = TTFont("coverage-main", str(folder / FONT_FILES[font])).face.charToGlyph
        assert not any(main.get(ord(ch)) for ch in name)
    assert (folder / "LICENSE-DroidSansFallback.txt").is_file()


def test_text_is_cut_into_runs_of_the_font_that_has_its_glyphs() -> None:
    assert font_runs("Zoë Łukasz-Ó'Brien", FONT) == [("Zoë Łukasz-Ó'Brien", FONT)]
    assert font_runs(f"Ms {CHINESE} (Lee)", FONT_BOLD) == [
        ("Ms ", FONT_BOLD),
        (CHINESE, FONT_FALLBACK),
        (" (Lee)", FONT_BOLD),
    ]
    # A space between two names stays in DejaVu, which has it.
    assert [font for _, font in font_runs(f"{KOREAN} {JAPANESE}", FONT)] == [
        FONT_FALLBACK,
        FONT,
        FONT_FALLBACK,
    ]
    # A character neither font has (a Linear B syllable) stays in DejaVu: a box either way.
    assert font_runs("a\U00010000b", FONT) == [("a\U00010000b", FONT)]
    # Fallback glyphs are wider than DejaVu's "missing" box: widths are measured per run.
    assert text_width(CHINESE, FONT, 10) == pytest.approx(30)


# -- every page, every document ------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_a_cjk_name_prints_on_every_page_of_the_form_and_the_pack(name: str) -> None:
    fields = FIELDS | {"clinician_name": f"Dr {KOREAN}", "risks_discussed": f"{name} 注意"}
    clinic = ClinicDetails(f"{JAPANESE}クリニック", f"東京都渋谷区\n{KOREAN} Street", "03 1234")
    form = pages_text(render_form(CONSENT, clinic, patient(name), fields))
    pack = pages_text(render_pack([(t, fields) for t in PACK], clinic, patient(name)))
    assert len(form) >= 4 and len(pack) > len(form)
    for text in form + pack:
        assert name in text  # the patient band
        assert f"{JAPANESE}クリニック" in text and f"東京都渋谷区, {KOREAN} Street" in text
    everything = "\n".join(form)
    assert f"Dr {KOREAN}" in everything and f"{name} 注意" in everything
    # The patient's signature box prints the name too: band on every page, and once more.
    assert everything.count(name) > len(form)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_cjk_name_prints_on_every_page_of_the_progress_report(flavour: Flavour) -> None:
    data = report_data(course(), patient=patient(JAPANESE), prepared_by=f"Dr {KOREAN}")
    texts = pages_text(render_progress_report(data, flavour))
    assert len(texts) >= 2
    assert all(JAPANESE in text for text in texts)


def test_a_registered_and_treated_cjk_patient_prints_in_the_pack_and_both_reports(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The progress report set-up's treated patient, registered under a Chinese name.
    monkeypatch.setitem(report_setup.NAME, "first_name", "小龍")
    monkeypatch.setitem(report_setup.NAME, "last_name", "李")
    treated = report_setup.treated_patient(clinic)
    assert treated.name == f"{VALID_PATIENT['title']} 小龍 李"
    documents = clinic.services.documents
    pack = pages_text(documents.consent_pack(clinic.reception, treated.id).pdf)
    assert len(pack) > 4 and all(treated.name in text for text in pack)
    for flavour in FLAVOURS:
        report = documents.progress_report(clinic.clinician, treated.id, flavour=flavour)
        texts = pages_text(report.pdf)
        assert len(texts) >= 2 and all(treated.name in text for text in texts), flavour


def test_a_long_cjk_name_is_broken_between_characters_to_fit() -> None:
    # Chinese has no spaces to break at: a name wider than the band is split anywhere.
    name = "愛新覺羅" * 12
    lines = _split_lines(name, FONT_BOLD, 7, 200)
    assert len(lines) == 2 and "".join(lines) == name
    assert all(text_width(line, FONT_BOLD, 7) <= 200 for line in lines)
    (first, *_) = pages_text(render_form(CONSENT, CLINIC, patient(name), FIELDS))
    assert name[:24] in squashed(first)


# -- embedded only when needed, as a subset, invariant ------------------------------------------


def test_the_fallback_font_is_embedded_as_a_small_subset_only_when_needed() -> None:
    cjk = render_form(CONSENT, CLINIC, patient(CHINESE), FIELDS)
    # Made after the fallback font was registered in this process: still not embedded.
    latin = render_form(CONSENT, CLINIC, patient("Zoë Łukasz-Ó'Brien"), FIELDS)
    assert not FALLBACK_EMBEDDED.search(latin) and b"DroidSans" not in latin
    assert latin.count(b"/FontFile2") == 2  # DejaVu regular and bold
    assert FALLBACK_EMBEDDED.search(cjk) and cjk.count(b"/FontFile2") == 3
    # Three characters of a 3.4 MB font: a few kilobytes, not megabytes.
    assert len(cjk) - len(latin) < 20_000


def test_a_cjk_document_is_the_same_bytes_every_time() -> None:
    fields = FIELDS | {"clinician_name": KOREAN}
    first = render_pack([(t, fields) for t in PACK], CLINIC, patient(CHINESE))
    assert render_pack([(t, fields) for t in PACK], CLINIC, patient(CHINESE)) == first
    assert render_pack([(t, fields) for t in PACK], CLINIC, patient(JAPANESE)) != first


_FRESH_PROCESS = """
import hashlib, json, sys
from datetime import date
from reportlab.pdfbase import pdfmetrics
from clinicdesk.documents.forms import render_form
from clinicdesk.documents.layout import PatientIdentity
from clinicdesk.documents.fonts import FONT_FALLBACK
from clinicdesk.documents.templates import TemplateLibrary
from tests.documents.pdf_helpers import CLINIC, FIELDS

consent = TemplateLibrary().current("micrograft-consent")
latin_name, cjk_name = sys.argv[1:]
born = date(1985, 7, 3)
latin = render_form(consent, CLINIC, PatientIdentity(latin_name, born, "9434765919"), FIELDS)
loaded_for_latin = FONT_FALLBACK in pdfmetrics.getRegisteredFontNames()
cjk = render_form(consent, CLINIC, PatientIdentity(cjk_name, born, "9434765919"), FIELDS)
print(json.dumps({
    "loaded_for_latin": loaded_for_latin,
    "loaded_for_cjk": FONT_FALLBACK in pdfmetrics.getRegisteredFontNames(),
    "latin": hashlib.sha256(latin).hexdigest(),
    "cjk": hashlib.sha256(cjk).hexdigest(),
}))
"""


def test_latin_never_reads_the_fallback_and_any_process_gives_the_same_bytes() -> None:
    latin_name = "Zoë Łukasz-Ó'Brien"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, latin_name, KOREAN],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    fresh = json.loads(done.stdout)
    # The 3.4 MB fallback is read for the first text that needs it, not before.
    assert fresh["loaded_for_latin"] is False and fresh["loaded_for_cjk"] is True
    # The same input gives the same bytes here, where the fallback was loaded long ago.
    here = {
        "latin": render_form(CONSENT, CLINIC, patient(latin_name), FIELDS),
        "cjk": render_form(CONSENT, CLINIC, patient(KOREAN), FIELDS),
    }
    for key, pdf in here.items():
        assert hashlib.sha256(pdf).hexdigest() == fresh[key], key


# -- markup stays text (RELIABILITY row 22) ------------------------------------------------------


def test_markup_in_a_cjk_name_is_printed_literally_and_embeds_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(png((300, 300), "red"))
    names = [
        "李<b>小龍</b>",
        f'<img src="{secret}"/>山田',
        '김 & <font name="Helvetica" size=200>민준</font>',
        "<font name=ClinicDeskFallback>Lee</font> 李",
        "太郎 </para><para> &amp; <",
    ]
    for name in names:
        fields = FIELDS | {"clinician_name": name, "risks_discussed": f"{name}\n{name}"}
        clinic = ClinicDetails(f"{name} clinic", name, name)
        pdf = render_pack([(t, fields) for t in PACK], clinic, PatientIdentity(name, None))
        texts = [squashed(text) for text in pages_text(pdf)]
        assert all(squashed(name)[:12] in text for text in texts), name
        assert "".join(texts).count(squashed(name)) >= 4, name
        assert image_count(pdf) == 0, name
