"""Shared set-up for the erasure and retention tests: a treated patient with everything a
record holds (history, consents with a signature, a marketing photo consent, a photo and its
cached copies, a treatment with its follow-ups), and a retention service on a frozen clock."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from clinicdesk.domain.consent import ConsentKind
from clinicdesk.domain.medical import LabResult, LabTest, MedicalHistory
from clinicdesk.domain.patient import Patient
from clinicdesk.services.retention import RetentionService
from tests.conftest import VALID_PATIENT, Clinic
from tests.media import images
from tests.services.clinical_setup import (
    LABS_ON,
    TREATED_ON,
    signature_png,
    signed_consent,
    treatment_form,
)

PHOTO_TEMPLATE = ("photo-consent", 1, "ab" * 32)


def frozen(clinic: Clinic, today: date) -> RetentionService:
    """The retention service with its clock stopped at ``today``."""
    return RetentionService(clinic.services.db, clinic.paths, lambda: today)


def treated_patient(clinic: Clinic, tmp_path: Path, token: str = "", **changes: str) -> Patient:
    """A patient treated on ``TREATED_ON``, with ``token`` in their names, history notes and
    treatment notes, a marketing-scoped photo (with its thumbnail cached), a signed procedure
    consent and a photo consent granting marketing."""
    patients = clinic.services.patients
    form = dict(VALID_PATIENT) | {"nhs_number": ""} | changes
    if token:
        form |= {"first_name": f"Ann{token}", "last_name": f"Smith{token}"}
    patient = patients.register(clinic.reception, form)
    patients.save_medical_history(
        clinic.clinician,
        patient.id,
        MedicalHistory(
            labs=(LabResult(LabTest.FERRITIN, 60, LABS_ON), LabResult(LabTest.TSH, 1.8, LABS_ON)),
            notes=f"Notes {token}",
        ),
    )
    signed_consent(clinic, patient.id)
    consents = clinic.services.consents
    photo_form = consents.prepare(
        clinic.reception, patient.id, *PHOTO_TEMPLATE, ConsentKind.PHOTO, prepared_on=LABS_ON
    )
    consents.sign(
        clinic.clinician,
        photo_form.id,
        photo_form.version,
        LABS_ON,
        clinic.clinician.id,
        signature_png=signature_png(f"{patient.id}-photo"),
        photo_scopes={"clinical_record": True, "teaching": True, "marketing": True},
    )
    picture = tmp_path / f"{patient.id}.jpg"
    picture.write_bytes(images.jpeg(seed=len(list(tmp_path.iterdir()))))
    [outcome] = clinic.services.photos.import_photos(
        clinic.clinician, patient.id, [picture], visit_date=LABS_ON
    )
    assert outcome.status == "imported", outcome.reason
    assert outcome.photo_id is not None
    clinic.services.photos.thumbnail(clinic.clinician, outcome.photo_id)
    clinic.services.clinical.record_treatment(
        clinic.clinician,
        patient.id,
        treatment_form(clinic, immediate_complications=f"None {token}".strip()),
    )
    return patient


__all__ = ["TREATED_ON", "frozen", "treated_patient"]
