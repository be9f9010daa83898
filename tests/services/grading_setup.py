"""Shared set-up for the blinded photo grading tests: a patient treated by ``clinic.clinician``
with frontal and vertex photos at the baseline (the treatment day) and at 6 months, an
assessment at 6 months with an unblinded photo score, and a second clinician who may grade."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from clinicdesk.domain.photos import View
from clinicdesk.domain.roles import Role
from clinicdesk.services.session import CurrentUser
from tests.conftest import PASSWORD, Clinic
from tests.domain.test_assessments import region_row
from tests.media import images
from tests.services.clinical_setup import TREATED_ON, eligible_patient, treatment_form

END_POINT = date(2025, 9, 10)  # 6 months after TREATED_ON
VIEWS = (View.FRONTAL, View.VERTEX)


@dataclass(frozen=True)
class Graded:
    patient_id: str
    patient_name: str
    assessment_id: str
    grader: CurrentUser  # a clinician who did not treat the patient


def add_clinician(clinic: Clinic, username: str, name: str) -> CurrentUser:
    return clinic.services.clinic.add_user(
        clinic.admin, username, name, Role.CLINICIAN, PASSWORD, "GMC 7000001"
    )


def import_photo(clinic: Clinic, patient_id: str, folder: Path, view: View, visit: date) -> str:
    seed = len(list(folder.glob("*"))) + 1 if folder.exists() else 1
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"IMG_{seed:04d}.JPG"
    path.write_bytes(images.jpeg((160, 120), seed=seed))
    [outcome] = clinic.services.photos.import_photos(
        clinic.clinician, patient_id, [path], view=view, visit_date=visit
    )
    assert outcome.status == "imported" and outcome.photo_id is not None, outcome.reason
    return outcome.photo_id


def treated_patient_with_pairs(clinic: Clinic, folder: Path, *, grader: bool = True) -> Graded:
    patient = eligible_patient(clinic)
    clinic.services.clinical.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    for visit in (TREATED_ON, END_POINT):
        for view in VIEWS:
            import_photo(clinic, patient.id, folder, view, visit)
    assessment = clinic.services.assessments.add(
        clinic.clinician,
        patient.id,
        {"visit_date": END_POINT.isoformat(), "global_photo_score": "1"},
        [region_row("frontal")],
    )
    other = add_clinician(clinic, "grader", "Dr Gina Grader") if grader else clinic.clinician
    return Graded(patient.id, patient.display_name, assessment.id, other)
