"""The outcomes exports: pseudonymised CSV (stable codes, no names), the PDF, both audited;
reception refused."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from pypdf import PdfReader

from clinicdesk.errors import PermissionDenied
from tests.conftest import Clinic
from tests.services.clinical_setup import eligible_patient, treatment_form


def test_csv_is_pseudonymised_stable_and_audited_and_the_pdf_names_nobody(
    clinic: Clinic, tmp_path: Path
) -> None:
    patient = eligible_patient(clinic, first_name="Zebedee", last_name="Quillfeather")
    clinic.services.clinical.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    service = clinic.services.outcomes
    summary = service.summary(clinic.clinician)
    assert len(summary.overall.treated) == 1
    first, second = tmp_path / "one.csv", tmp_path / "two.csv"
    assert service.export_csv(clinic.clinician, summary, first) >= 1
    service.export_csv(clinic.admin, service.summary(clinic.admin), second)
    text = first.read_text(encoding="utf-8-sig")
    assert "Quillfeather" not in text and "Zebedee" not in text and patient.id not in text
    rows = list(csv.DictReader(text.splitlines()))
    codes = {r["patient_code"] for r in rows}
    assert len(codes) == 1 and next(iter(codes)).startswith("OC-")
    again = second.read_text(encoding="utf-8-sig").splitlines()
    assert {r["patient_code"] for r in csv.DictReader(again)} == codes
    pdf = tmp_path / "audit.pdf"
    service.export_pdf(clinic.clinician, summary, pdf, "Test Clinic")
    words = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Outcomes audit" in words and "Quillfeather" not in words and "66%" in words
    exports = clinic.services.db.execute(
        "SELECT detail FROM audit_log WHERE entity = 'outcomes' AND action = 'export'"
    ).fetchall()
    assert len(exports) == 3
    with pytest.raises(PermissionDenied):
        service.summary(clinic.reception)
    assert not list(tmp_path.glob(".*partial"))
