"""Shared set-up for the clinical service tests: an eligible patient and valid forms.

An eligible patient has recent labs, no red flags, and (unless ``consented=False``) a consent
discussion and a signed procedure consent from December 2024, well outside the cooling-off
period of every treatment date these tests use (from 10/01/2025).
"""

from __future__ import annotations

import hashlib
import io
from datetime import date

from PIL import Image, ImageDraw

from clinicdesk.domain.clinical import RawValue
from clinicdesk.domain.consent import Consent, ConsentKind
from clinicdesk.domain.medical import LabResult, LabTest, MedicalHistory
from clinicdesk.domain.patient import Patient
from tests.conftest import VALID_PATIENT, Clinic

TREATED_ON = date(2025, 3, 10)
LABS_ON = date(2024, 12, 1)  # within 6 months of TREATED_ON
CONSENT_DISCUSSED_ON = date(2024, 12, 2)
CONSENT_SIGNED_ON = date(2024, 12, 20)
PROCEDURE_TEMPLATE = ("micrograft-consent", 1, "a" * 64)


def signature_png(seed: str) -> bytes:
    """A signature drawn on screen: a PNG whose strokes depend on ``seed`` (two patients'
    signatures are never the same file)."""
    picture = Image.new("L", (160, 48), 255)
    pen = ImageDraw.Draw(picture)
    digest = hashlib.sha256(seed.encode()).digest()
    points = [(8 + i * 18, 8 + digest[i] % 32) for i in range(9)]
    pen.line(points, fill=0, width=2)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def signed_consent(
    clinic: Clinic,
    patient_id: str,
    *,
    consultation_id: str | None = None,
    discussed_on: date = CONSENT_DISCUSSED_ON,
    signed_on: date = CONSENT_SIGNED_ON,
) -> Consent:
    """A signed procedure consent for the patient, taken by the clinician. Without a
    ``consultation_id``, a consultation with the consent discussion on ``discussed_on`` is
    recorded first."""
    if consultation_id is None:
        consultation_id = (
            clinic.services.clinical.add_consultation(
                clinic.clinician,
                patient_id,
                consultation_form(
                    clinic,
                    consulted_on=discussed_on.isoformat(),
                    discussed_on=discussed_on.isoformat(),
                    decided_on=signed_on.isoformat(),
                ),
            )
        ).id
    consents = clinic.services.consents
    prepared = consents.prepare(
        clinic.reception,
        patient_id,
        *PROCEDURE_TEMPLATE,
        ConsentKind.PROCEDURE,
        consultation_id,
        prepared_on=discussed_on,
    )
    return consents.sign(
        clinic.clinician,
        prepared.id,
        prepared.version,
        signed_on,
        clinic.clinician.id,
        signature_png=signature_png(patient_id),
    )


def eligible_patient(clinic: Clinic, *, consented: bool = True, **changes: str) -> Patient:
    """A registered patient with recent ferritin and TSH and no red flags, and (when
    ``consented``) a consent discussion and a signed procedure consent (``signed_consent``)."""
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
    if consented:
        signed_consent(clinic, patient.id)
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
