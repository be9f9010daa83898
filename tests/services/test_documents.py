"""Making consent forms, the consent pack and reports through the service, and the log of them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from clinicdesk.domain.consent import ConsentKind, ConsentStatus, DocumentAction, DocumentKind
from clinicdesk.errors import PermissionDenied, ValidationError
from clinicdesk.services.documents import DocumentService
from tests.conftest import VALID_PATIENT, Clinic
from tests.documents.pdf_helpers import pages_text
from tests.services.clinical_setup import consultation_form

QUESTION = "Will the bald patch at my crown fill in by my daughter's wedding?"


@pytest.fixture
def documents(clinic: Clinic) -> DocumentService:
    return clinic.services.documents


@pytest.fixture
def patient_id(clinic: Clinic) -> str:
    patient = clinic.services.patients.register(
        clinic.reception, {**VALID_PATIENT, "first_name": "Zoë", "last_name": "Łukasz"}
    )
    clinic.services.clinical.add_consultation(
        clinic.clinician,
        patient.id,
        consultation_form(
            clinic,
            consulted_on="2025-02-01",
            discussed_on="2025-02-01",
            decided_on="2025-02-20",
            patient_questions=QUESTION,
        ),
    )
    return patient.id


def log(clinic: Clinic, patient_id: str) -> list[tuple[str, str, str]]:
    rows = clinic.services.consents.documents(clinic.admin, patient_id)
    return sorted(
        (r.kind.value, r.template.template_id if r.template else "", r.action.value) for r in rows
    )


def test_reception_prints_the_consent_pack_prefilled_and_it_is_recorded(
    clinic: Clinic, documents: DocumentService, patient_id: str
) -> None:
    pack = documents.consent_pack(clinic.reception, patient_id)
    text = "\n".join(pages_text(pack.pdf))
    assert "Zoë Łukasz" in text
    for template in pack.templates:
        assert f"{template.id} v{template.version}" in text
        assert template.short_hash in text
    assert "01/02/2025" in text and "20/02/2025" in text  # discussion and decision dates
    assert clinic.clinician.display_name in text
    # What was said in the discussion is clinical record: not on reception's copy.
    assert "daughter" not in text
    assert pack.file_name.endswith(".pdf") and "Łukasz Zoë" in pack.file_name
    # Printing the forms records the consents as prepared, one per consent form.
    consents = clinic.services.consents.consents(clinic.reception, patient_id)
    assert sorted((c.kind, c.status) for c in consents) == [
        (ConsentKind.PHOTO, ConsentStatus.PREPARED),
        (ConsentKind.PROCEDURE, ConsentStatus.PREPARED),
    ]
    assert {c.template.text_hash for c in consents} <= {t.text_hash for t in pack.templates}
    assert log(clinic, patient_id) == sorted(
        ("consent_pack", t.id, "generated") for t in pack.templates
    )
    # Printing it again does not prepare a second consent on the same wording.
    documents.consent_pack(clinic.reception, patient_id)
    assert len(clinic.services.consents.consents(clinic.reception, patient_id)) == 2


def test_a_clinicians_consent_form_carries_the_discussion(
    clinic: Clinic, documents: DocumentService, patient_id: str
) -> None:
    form = documents.form(clinic.clinician, patient_id, "micrograft-consent")
    text = " ".join(" ".join(pages_text(form.pdf)).split())
    assert "daughter" in text and form.kind is DocumentKind.CONSENT_FORM
    sheet = documents.form(clinic.reception, patient_id, "aftercare")
    assert sheet.kind is DocumentKind.INFORMATION_SHEET
    # An information sheet prepares no consent.
    kinds = [c.kind for c in clinic.services.consents.consents(clinic.reception, patient_id)]
    assert kinds == [ConsentKind.PROCEDURE]


def test_printing_and_saving_are_recorded_and_the_saved_file_is_whole(
    clinic: Clinic, documents: DocumentService, patient_id: str, tmp_path: Path
) -> None:
    sheet = documents.form(clinic.reception, patient_id, "pre-treatment")
    documents.record_output(clinic.reception, sheet, DocumentAction.PRINTED)
    target = tmp_path / sheet.file_name
    documents.save(clinic.reception, sheet, target)
    assert target.read_bytes() == sheet.pdf
    assert log(clinic, patient_id) == [
        ("information_sheet", "pre-treatment", "generated"),
        ("information_sheet", "pre-treatment", "printed"),
        ("information_sheet", "pre-treatment", "saved"),
    ]
    actions = [
        row[0]
        for row in clinic.services.db.execute(
            "SELECT action FROM audit_log WHERE entity = 'document' ORDER BY seq"
        ).fetchall()
    ]
    assert actions == ["generate", "print", "export"]


def test_progress_report_is_for_clinicians_and_recorded(
    clinic: Clinic, documents: DocumentService, patient_id: str
) -> None:
    report = documents.progress_report(clinic.clinician, patient_id, flavour="patient")
    assert report.pdf.startswith(b"%PDF") and report.kind is DocumentKind.PROGRESS_REPORT
    assert log(clinic, patient_id) == [("progress_report", "", "generated")]
    for user in (clinic.reception, clinic.admin):
        with pytest.raises(PermissionDenied):
            documents.progress_report(user, patient_id, flavour="clinical")


def test_clinic_details_print_on_every_page_and_only_admins_change_them(
    clinic: Clinic, documents: DocumentService, patient_id: str
) -> None:
    details = clinic.services.clinic_details
    with pytest.raises(PermissionDenied):
        details.update(clinic.reception, {"address": "Somewhere"})
    with pytest.raises(ValidationError) as refused:
        details.update(clinic.admin, {"name": "", "phone": "x" * 41}, logo=b"GIF89a")
    assert set(refused.value.errors) == {"name", "phone", "logo_png"}
    logo = io.BytesIO()
    Image.new("RGB", (120, 40), (20, 60, 120)).save(logo, "PNG")
    details.update(
        clinic.admin,
        {"address": "14 Station Parade\nHarrogate HG1 1UF", "phone": "01423 555 0199"},
        logo=logo.getvalue(),
    )
    assert details.details().logo_png == logo.getvalue()
    sheet = documents.form(clinic.reception, patient_id, "aftercare")
    for page in pages_text(sheet.pdf):
        assert "Harrogate HG1 1UF" in page
    entry = clinic.services.db.execute(
        "SELECT detail FROM audit_log WHERE entity_id = 'clinic_details'"
    ).fetchone()
    assert json.loads(entry[0])["fields"] == ["address", "phone", "logo"]


def test_reception_may_name_any_enabled_clinician_as_the_consent_taker(
    clinic: Clinic, documents: DocumentService
) -> None:
    takers = documents.consent_takers(clinic.reception)
    assert [t.id for t in takers] == [clinic.clinician.id]
