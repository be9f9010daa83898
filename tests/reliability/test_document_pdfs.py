"""RELIABILITY rows 22, 23, 24 and 26 for the consent pack and the progress report (the single
forms have theirs in tests/documents/test_forms.py): markup printed as typed and no file of
the computer's embedded, huge text refused or bounded in time, names from other scripts
printed as typed, and a full disk leaving no PDF (and no "saved" in the document log)."""

from __future__ import annotations

import errno
import os
import time
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from clinicdesk.app import main
from clinicdesk.documents.forms import render_pack
from clinicdesk.documents.layout import ClinicDetails, PatientIdentity
from clinicdesk.documents.report import render_progress_report
from clinicdesk.documents.report_data import PhotoPair
from clinicdesk.documents.templates import CONSENT_PACK, TemplateLibrary
from clinicdesk.documents.text import TEXT_MAX
from clinicdesk.domain.consent import DocumentAction
from clinicdesk.domain.photos import View
from clinicdesk.domain.report_flavours import Flavour
from clinicdesk.errors import UserError, ValidationError
from clinicdesk.services.documents import Document
from clinicdesk.services.report_comment import REPORT_COMMENT_MAX
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic
from tests.documents.pdf_helpers import CLINIC, FIELDS, PATIENT, image_count, pages_text, png
from tests.documents.test_layout import ARABIC, HEBREW
from tests.documents.test_report import TREATED_ON, course, report_data, text_of
from tests.media import images
from tests.services import report_setup

LIBRARY = TemplateLibrary()
PACK = [LIBRARY.current(template_id) for template_id in CONSENT_PACK]
FLAVOURS: tuple[Flavour, ...] = ("clinical", "patient")
MEGABYTE = 1_048_576


def hostile(secret: Path) -> list[str]:
    """Text that reportlab's paragraph markup would obey if it were not escaped."""
    return [
        "A <B",
        "<i>x",
        f'<img src="{secret}" width="300" height="300"/>',
        "<font size=200>",
        "Tom & Jerry's </para><para>",
        '<a href="file:///etc/passwd">link</a>',
    ]


def squashed(text: str) -> str:
    """Text without white space: long names may wrap anywhere in a table or band."""
    return "".join(text.split())


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.png"
    path.write_bytes(png((300, 300), "red"))
    return path


# -- row 22: markup is printed, never obeyed -----------------------------------------------------


@pytest.mark.parametrize("logo", [None, png()], ids=["no logo", "logo"])
def test_markup_in_the_pack_is_printed_literally_and_embeds_nothing(
    secret: Path, logo: bytes | None
) -> None:
    # The header shortens a long clinic name: the hostile picture goes in the address.
    address = f'1 <br/> Road <img src="{secret}"/>'
    clinic = ClinicDetails("<b>Clinic</b> &amp; Co", address, "<a href='x'>0113</a>", logo)
    for name in hostile(secret):
        fields = dict.fromkeys(
            ("clinician_name", "risks_discussed", "device", "cost", "data_protection_contact"),
            name,
        )
        pdf = render_pack([(t, FIELDS | fields) for t in PACK], clinic, PatientIdentity(name, None))
        texts = [squashed(text) for text in pages_text(pdf)]
        # The patient band shortens a long name with "…"; the fields print it whole.
        assert all(squashed(name)[:24] in text for text in texts), name
        assert squashed(name) in "".join(texts), name
        assert all(squashed(clinic.name) in text for text in texts), name
        assert squashed("1 <br/> Road <img src=") in texts[0]
        assert image_count(pdf) == (0 if logo is None else 1), name


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_markup_in_the_progress_report_is_printed_literally_and_embeds_nothing(
    secret: Path, flavour: Flavour
) -> None:
    before, after = images.jpeg((400, 300), seed=1), images.jpeg((400, 300), seed=2)
    pair = PhotoPair(View.VERTEX, TREATED_ON, before, TREATED_ON, after)
    for name in hostile(secret):
        base = report_data(
            course(),
            clinic=ClinicDetails(f"{name} clinic", name, name),
            patient=PatientIdentity(name, None),
            prepared_by=name,
            comment=f"{name}\n{name}",
        )
        data = replace(
            base,
            treatments=tuple(
                replace(t, site=name, clinician=name, kit_name=name, kit_lot=name)
                for t in base.treatments
            ),
        )
        pdf = render_progress_report(data, flavour)
        assert squashed(text_of(pdf)).count(squashed(name)) >= 3, name
        assert image_count(pdf) == 0, name  # the charts are drawn, not pictures
        # With a photo pair and a logo, exactly those three pictures are embedded.
        shown = replace(data, photo_pairs=(pair,), clinic=replace(data.clinic, logo_png=png()))
        assert image_count(render_progress_report(shown, flavour)) == 3, name


# -- row 23: huge text is refused quickly, text at the limit is printed in good time -------------


def test_a_pack_with_every_field_at_the_limit_is_made_in_good_time() -> None:
    note = "\n".join(f"Line {n}: " + "word " * 90 for n in range(TEXT_MAX // 470))
    note = note[:TEXT_MAX]
    fields = FIELDS | dict.fromkeys(("risks_discussed", "patient_questions", "device"), note)
    started = time.perf_counter()
    pdf = render_pack([(t, fields) for t in PACK], CLINIC, PATIENT)
    assert time.perf_counter() - started < 15
    texts = pages_text(pdf)
    assert len(texts) > 8
    with pytest.raises(UserError, match="too long"):
        render_pack([(t, FIELDS | {"device": "d" * (TEXT_MAX + 1)}) for t in PACK], CLINIC, PATIENT)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_report_comment_at_the_limit_is_printed_in_good_time(flavour: Flavour) -> None:
    comment = "\n".join(f"Visit note {n}: " + "good regrowth " * 14 for n in range(20))
    comment = comment[:REPORT_COMMENT_MAX]
    started = time.perf_counter()
    pdf = render_progress_report(report_data(course(), comment=comment), flavour)
    assert time.perf_counter() - started < 5
    assert squashed(comment.splitlines()[-1]) in squashed(text_of(pdf))


def test_a_megabyte_comment_or_pack_field_is_refused_at_once_naming_it(
    clinic: Clinic,
) -> None:
    patient = report_setup.treated_patient(clinic)
    started = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        clinic.services.documents.progress_report(
            clinic.clinician, patient.id, flavour="clinical", comment="x" * MEGABYTE
        )
    assert time.perf_counter() - started < 2
    assert list(caught.value.errors) == ["comment"] and "too long" in caught.value.message
    assert len(caught.value.message) < 200
    assert clinic.services.consents.documents(clinic.clinician, patient.id) == []
    # What the pack prints about the clinic is checked where it is typed.
    with pytest.raises(ValidationError) as refused:
        clinic.services.clinic_details.update(clinic.admin, {"cost": "£" * MEGABYTE})
    assert list(refused.value.errors) == ["cost"]


# -- row 24: names in other scripts, typed composed or not ---------------------------------------


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("Jose\u0301", "Mu\u0308ller"),  # typed decomposed: stored and printed composed
        (ARABIC.split()[0], ARABIC.split(maxsplit=1)[1]),
        (HEBREW.split()[0], HEBREW.split()[1]),
        ("Siobhán", "Ní Bhriain"),
    ],
)
def test_the_pack_and_the_report_print_names_from_other_scripts_as_typed(
    clinic: Clinic, first: str, last: str
) -> None:
    patient = clinic.services.patients.register(
        clinic.reception,
        dict(VALID_PATIENT) | {"first_name": first, "last_name": last, "nhs_number": ""},
    )
    name = unicodedata.normalize("NFC", f"{first} {last}")
    pack = clinic.services.documents.consent_pack(clinic.reception, patient.id)
    texts = pages_text(pack.pdf)
    assert len(texts) > 4 and all(name in text for text in texts)
    decomposed = unicodedata.normalize("NFD", name)
    if decomposed != name:
        assert decomposed not in "".join(texts)
    for flavour in FLAVOURS:
        report = clinic.services.documents.progress_report(
            clinic.clinician,
            patient.id,
            flavour=flavour,
        )
        assert name in " ".join(pages_text(report.pdf))


# -- row 26: a full disk leaves no PDF -------------------------------------------------------------


def _disk_full(_descriptor: int) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _actions(clinic: Clinic, patient_id: str) -> list[str]:
    log = clinic.services.consents.documents(clinic.clinician, patient_id)
    return sorted(record.action.value for record in log)


def _make(clinic: Clinic, which: str, patient_id: str) -> Document:
    documents = clinic.services.documents
    if which == "pack":
        return documents.consent_pack(clinic.reception, patient_id)
    return documents.progress_report(clinic.clinician, patient_id, flavour="clinical")


@pytest.mark.parametrize("which", ["pack", "report"])
def test_saving_on_a_full_disk_leaves_no_file_and_records_no_saving(
    clinic: Clinic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    patient = report_setup.treated_patient(clinic)
    document = _make(clinic, which, patient.id)
    recorded = _actions(clinic, patient.id)
    assert DocumentAction.GENERATED.value in recorded
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / document.file_name
    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(UserError, match="No space left on device") as caught:
        clinic.services.documents.save(clinic.clinician, document, target)
    assert "Nothing was saved" in caught.value.message
    assert os.listdir(folder) == []  # no 0-byte or partial PDF, no temporary file
    assert _actions(clinic, patient.id) == recorded  # not recorded as saved

    # A copy saved before is left as it was.
    monkeypatch.undo()
    clinic.services.documents.save(clinic.clinician, document, target)
    saved = target.read_bytes()
    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(UserError):
        clinic.services.documents.save(clinic.clinician, _make(clinic, which, patient.id), target)
    assert target.read_bytes() == saved and os.listdir(folder) == [target.name]


@pytest.mark.parametrize(
    ("user", "command"),
    [("reception", ["consent-form", "--template", "pack"]), ("clinician", ["report"])],
)
def test_the_command_line_on_a_full_disk_exits_2_and_leaves_no_file(
    clinic: Clinic,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    user: str,
    command: list[str],
) -> None:
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    patient = report_setup.treated_patient(clinic)
    out_file = tmp_path / "out.pdf"
    monkeypatch.setattr(os, "fsync", _disk_full)
    verb, *options = command
    code = main(
        [
            "--data-dir",
            str(clinic.paths.data_dir),
            "--user",
            user,
            verb,
            patient.id,
            *options,
            "-o",
            str(out_file),
        ]
    )
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err.startswith("clinicdesk: ") and "No space left on device" in captured.err
    assert len(captured.err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic"]
