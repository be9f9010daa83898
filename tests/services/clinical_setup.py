"""Shared set-up for the clinical service tests: an eligible patient and valid forms."""

from __future__ import annotations

from datetime import date

from clinicdesk.domain.clinical import RawValue
from clinicdesk.domain.medical import LabResult, LabTest, MedicalHistory
from clinicdesk.domain.patient import Patient
from tests.conftest import VALID_PATIENT, Clinic

TREATED_ON = date(2025, 3, 10)
LABS_ON = date(2024, 12, 1)  # within 6 months of TREATED_ON


def eligible_patient(clinic: Clinic, **changes: str) -> Patient:
    """A registered patient with recent ferritin and TSH and no red flags."""
    patients = clinic.services.patients
    form = dict(VALID_PATIENT) | {"nhs_number": ""} | changes
    patient = patients.register(clinic.reception, form)
    patients.save_medical_history(
        clinic.clinician,
        patient.id,
        MedicalHistory(
            labs=(LabResult(LabTest.FERRITIN, 60, LABS_ON), LabResult(LabTest.TSH, 1.8, LABS_ON))
        ),
    )
    return patient


def site_id(clinic: Clinic) -> str:
    return clinic.services.clinic.this_site().id


def treatment_form(clinic: Clinic, **changes: RawValue) -> dict[str, RawValue]:
    form: dict[str, RawValue] = {
        "treated_on": TREATED_ON.isoformat(),
        "site_id": site_id(clinic),
        "clinician_id": clinic.clinician.id,
        "consent_taken_by_id": clinic.clinician.id,
        "punches": "3",
        "punch_diameter_mm": "2.5",
        "donor_site": "Occipital scalp",
        "kit_name": "Rigenera HBW",
        "kit_lot": "KIT-2025-001",
        "anaesthetic_name": "Lidocaine 2% with adrenaline",
        "anaesthetic_dose": "4",
        "anaesthetic_dose_unit": "mL",
        "anaesthetic_lot": "LD7731",
        "suspension_volume_ml": "3.5",
        "treated_zones": ["frontal", "vertex"],
        "injection_points": "60",
        "duration_minutes": "45",
        "haemostasis": "Pressure; no sutures",
        "aftercare_sheet_given": True,
        "immediate_complications": "",
    }
    form.update(changes)
    return form


def consultation_form(clinic: Clinic, **changes: RawValue) -> dict[str, RawValue]:
    form: dict[str, RawValue] = {
        "consulted_on": "2025-02-01",
        "site_id": site_id(clinic),
        "clinician_id": clinic.clinician.id,
        "presenting_complaint": "Thinning at the crown for 3 years",
        "history": "Finasteride 1 mg for 2 years, partial response",
        "examination": "Miniaturisation at the vertex",
        "classification_scale": "norwood_hamilton",
        "classification_grade": "III vertex",
        "plan": "One micrograft session; review at 1, 3 and 6 months",
        "risks_discussed": ["pain", "infection", "failure_of_aim"],
        "alternatives_discussed": ["minoxidil", "transplant", "no_treatment"],
        "patient_questions": "Will it hurt? How soon will I see a change?",
        "patient_priorities": "Density at the crown",
        "discussed_on": "2025-02-01",
        "decided_on": "2025-02-20",
    }
    form.update(changes)
    return form
