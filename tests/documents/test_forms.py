"""Consent forms and information sheets read back with pypdf: who, which wording, which page."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether

from clinicdesk.documents.forms import (
    RuledLines,
    form_story,
    render_form,
    render_pack,
    wrap_at_boundaries,
)
from clinicdesk.documents.layout import ClinicDetails, PatientIdentity
from clinicdesk.documents.templates import (
    CONSENT_PACK,
    Signatures,
    Template,
    TemplateLibrary,
    WriteIn,
)
from clinicdesk.documents.text import TEXT_MAX
from clinicdesk.errors import UserError
from tests.documents.pdf_helpers import (
    CLINIC,
    FIELDS,
    PATIENT,
    copy_templates,
    image_count,
    page_numbers,
    pages_text,
    png,
)

LIBRARY = TemplateLibrary()


def _template(template_id: str) -> Template:
    return LIBRARY.current(template_id)


@pytest.mark.parametrize("template_id", LIBRARY.ids())
def test_every_page_says_whose_it_is_and_which_wording(template_id: str) -> None:
    template = _template(template_id)
    texts = pages_text(render_form(template, CLINIC, PATIENT, FIELDS))
    stamp = f"{template.id} v{template.version} · sha256 {template.text_hash[:12]}"
    for number, text in enumerate(texts, start=1):
        assert "Zoë Łukasz-Ó'Brien" in text
        assert "03/07/1985" in text
        assert "943 476 5919" in text
        assert "Harrowgate Hair Restoration Clinic" in text
        assert stamp in text
        assert page_numbers(text) == (number, len(texts))
    assert template.title in texts[0]
    joined = "\n".join(texts)
    assert "{{" not in joined and "}}" not in joined and "**" not in joined


def test_the_procedure_consent_is_prefilled() -> None:
    text = "\n".join(
        pages_text(render_form(_template("micrograft-consent"), CLINIC, PATIENT, FIELDS))
    )
    for value in ("Dr Siobhán Kowalczyk", "GMC 7012345", "Micrograft kit MK-2", "02/03/2026"):
        assert value in text
    assert "20/03/2026" in text and "£1,850" in text and "at least 14 days" in text
    assert "Keloid on the chest in 2019." in text and "Takes apixaban: GP to advise." in text
    for box in ("Patient", "Treating clinician, taking consent", "Witness (if present)"):
        assert box in text
    assert "Interpreter (if used)" in text and "Registration no." in text


def test_a_missing_field_is_a_line_to_write_on() -> None:
    text = "\n".join(pages_text(render_form(_template("micrograft-consent"), CLINIC, PATIENT, {})))
    assert "{{" not in text
    compact = "".join(text.split()).lower()
    assert "medicaldevice(______" in compact  # "CE-marked medical device (______) to make..."
    assert "costofthistreatmentis______" in compact


def test_the_same_input_gives_the_same_bytes() -> None:
    template = _template("micrograft-consent")
    clinic = ClinicDetails(CLINIC.name, CLINIC.address, CLINIC.phone, png())
    first = render_form(template, clinic, PATIENT, FIELDS)
    assert render_form(template, clinic, PATIENT, FIELDS) == first
    assert render_form(template, clinic, PATIENT, FIELDS | {"cost": "£1,900"}) != first


def test_another_version_prints_its_own_hash(tmp_path: Path) -> None:
    root = copy_templates(tmp_path)
    old = TemplateLibrary(root).current("aftercare")
    following = old.version + 1
    path = root / "aftercare" / f"v{following}.md"
    text = (root / "aftercare" / f"v{old.version}.md").read_text(encoding="utf-8")
    path.write_text(
        text.replace(f"version: {old.version}", f"version: {following}").replace(
            "2 weeks", "3 weeks"
        )
    )
    import hashlib
    import json

    manifest = json.loads((root / "manifest.json").read_text())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["templates"].append({"id": "aftercare", "version": following, "sha256": digest})
    (root / "manifest.json").write_text(json.dumps(manifest))
    library = TemplateLibrary(root)
    new = library.get("aftercare", following)
    old_pages = pages_text(render_form(old, CLINIC, PATIENT, {}))
    new_pages = pages_text(render_form(new, CLINIC, PATIENT, {}))
    stamp = f"aftercare v{old.version} · sha256 {old.text_hash[:12]}"
    assert all(stamp in text for text in old_pages)
    assert all(f"aftercare v{following} · sha256 {digest[:12]}" in text for text in new_pages)
    assert old.text_hash[:12] != digest[:12]


def test_the_pack_keeps_each_documents_own_stamp_and_page_numbers() -> None:
    templates = [_template(template_id) for template_id in CONSENT_PACK]
    pack = render_pack([(t, FIELDS) for t in templates], CLINIC, PATIENT)
    texts = pages_text(pack)
    expected: list[tuple[str, int, int]] = []
    for template in templates:
        alone = len(pages_text(render_form(template, CLINIC, PATIENT, FIELDS)))
        stamp = f"{template.id} v{template.version} · sha256 {template.text_hash[:12]}"
        expected += [(stamp, page, alone) for page in range(1, alone + 1)]
    assert len(texts) == len(expected)
    for text, (stamp, page, total) in zip(texts, expected, strict=True):
        assert stamp in text
        assert page_numbers(text) == (page, total)
        assert "Zoë Łukasz-Ó'Brien" in text
    firsts = [text for text, (_, page, _) in zip(texts, expected, strict=True) if page == 1]
    assert [t.title in text for t, text in zip(templates, firsts, strict=True)] == [True] * 4


def test_photo_consent_has_a_tick_box_and_date_per_scope() -> None:
    text = "\n".join(pages_text(render_form(_template("photo-consent"), CLINIC, PATIENT, {})))
    for scope in ("1. Clinical record", "2. Anonymised teaching", "3. Identifiable marketing"):
        assert scope in text
    assert "Yes" in text and "No" in text and "Withdrawn on" in text
    assert "willneveraffectyourtreatment" in "".join(text.split())


# -- RELIABILITY row 22: markup in names and fields is printed, never obeyed ----------------------


def test_markup_in_names_and_fields_is_printed_literally(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(png((300, 300), "red"))
    hostile = ["A <B", "<i>x", f'<img src="{secret}"/>', "<font size=200>", "Tom & Jerry's"]
    for logo in (None, png()):
        clinic = ClinicDetails("<b>Clinic</b> & Co", "1 <br/> Road", "<a href='x'>0113</a>", logo)
        for name in hostile:
            fields = {"clinician_name": name, "risks_discussed": name, "device": name}
            pdf = render_form(
                _template("micrograft-consent"), clinic, PatientIdentity(name, None), fields
            )
            # Long names may wrap in the patient band: compare without the line breaks.
            texts = ["".join(text.split()) for text in pages_text(pdf)]
            assert all("".join(name.split()) in text for text in texts), name
            assert "<b>Clinic</b>&Co" in texts[0] and "1<br/>Road" in texts[0]
            assert image_count(pdf) == (0 if logo is None else 1), name


# -- RELIABILITY row 23: huge text is bounded ------------------------------------------------------


def test_a_field_at_the_cap_prints_in_good_time() -> None:
    words = " ".join(f"word{i}" for i in range(TEXT_MAX))
    note = "\n".join(words[i : i + 500] for i in range(0, TEXT_MAX - 600, 500))
    note = note + "x" * (TEXT_MAX - len(note))
    assert len(note) == TEXT_MAX
    started = time.perf_counter()
    pdf = render_form(
        _template("micrograft-consent"),
        CLINIC,
        PATIENT,
        FIELDS | {"patient_questions": note, "device": "d" * TEXT_MAX},
    )
    assert time.perf_counter() - started < 5
    texts = pages_text(pdf)
    assert page_numbers(texts[-1])[1] == len(texts) > 4


def test_a_field_over_the_cap_is_refused_naming_it() -> None:
    with pytest.raises(UserError) as caught:
        render_form(
            _template("micrograft-consent"),
            CLINIC,
            PATIENT,
            {"patient_questions": "q" * (TEXT_MAX + 1)},
        )
    assert "patient questions" in caught.value.message
    assert "too long" in caught.value.message
    assert len(caught.value.message) < 200
    with pytest.raises(UserError, match="patient name"):
        render_form(_template("aftercare"), CLINIC, PatientIdentity("n" * (TEXT_MAX + 1), None), {})


# -- RELIABILITY row 24: names from other scripts ------------------------------------------------


@pytest.mark.parametrize("name", ["Zoë Łukasz-Ó'Brien", "Siobhán Ní Bhriain", "José Müller"])
def test_latin_names_with_accents_print_as_typed(name: str) -> None:
    texts = pages_text(render_form(_template("aftercare"), CLINIC, PatientIdentity(name, None), {}))
    assert all(name in text for text in texts)


# -- issue 15: what every form carries, and long names ---------------------------------------------

LONG_NAME = "Mrs Anastasia-Wilhelmina Featherstonehaugh-Cholmondeley-Montmorency-Fotheringay"


def test_a_long_double_barrelled_name_wraps_between_words_never_inside_one() -> None:
    patient = PatientIdentity(LONG_NAME, PATIENT.date_of_birth, PATIENT.nhs_number)
    fields = FIELDS | {"clinician_name": f"Dr {LONG_NAME[4:]}"}
    for template_id in ("micrograft-consent", "photo-consent"):
        text = "\n".join(pages_text(render_form(_template(template_id), CLINIC, patient, fields)))
        for word in re.findall(r"[A-Za-z]+", LONG_NAME):
            assert word in text, word  # printed whole somewhere
            for cut in range(1, len(word)):
                assert f"{word[:cut]}\n{word[cut:]}" not in text, (template_id, word, cut)


def test_wrapping_breaks_after_hyphens_and_at_spaces_only() -> None:
    from clinicdesk.documents.fonts import FONT_BOLD, register_fonts, text_width

    register_fonts()
    width = 40 * mm
    wrapped = wrap_at_boundaries(LONG_NAME, FONT_BOLD, 8.5, width)
    lines = wrapped.split("\n")
    assert len(lines) > 2
    assert " ".join(lines).replace("- ", "-") == LONG_NAME
    for line in lines:
        assert text_width(line, FONT_BOLD, 8.5) <= width
    assert wrap_at_boundaries("Zoë Łukasz", FONT_BOLD, 8.5, width) == "Zoë Łukasz"


@pytest.mark.parametrize("template_id", LIBRARY.ids())
def test_every_form_says_when_it_was_printed(template_id: str) -> None:
    template = _template(template_id)
    pdf = render_form(template, CLINIC, PATIENT, FIELDS, printed_on=date(2026, 12, 7))
    first = " ".join(pages_text(pdf)[0].split())
    assert "Printed on 07/12/2026" in first
    signed = any(isinstance(block, Signatures) for block in template.blocks)
    assert ("Copy given to the patient on" in first) == signed


def _ruled(story: list[Any]) -> int:
    """How many blocks of ruled lines ``story`` has, inside the groups kept together too."""
    return sum(
        _ruled(f._content) if isinstance(f, KeepTogether) else isinstance(f, RuledLines)
        for f in story
    )


def test_a_field_the_record_does_not_know_is_ruled_and_one_it_knows_is_filled() -> None:
    template = _template("micrograft-consent")
    write_ins = [block for block in template.blocks if isinstance(block, WriteIn)]
    assert len(write_ins) == 4
    assert _ruled(form_story(template, CLINIC, PATIENT, {})) == len(write_ins)
    filled = {block.placeholder: "Noted" for block in write_ins}
    assert _ruled(form_story(template, CLINIC, PATIENT, filled)) == 0
    known = {"risks_discussed": "Headache"}
    assert _ruled(form_story(template, CLINIC, PATIENT, known)) == len(write_ins) - 1
