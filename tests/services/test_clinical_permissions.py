"""The role table of DESIGN.md for clinical records, enforced by ClinicalService.

Consultations, treatments and adverse events: reception no, clinician yes, admin view. Follow-up
list and booking: everyone. The lot look-up is clinical data: clinician and admin. A refused
call raises ``PermissionDenied``, changes nothing and leaves exactly one ``denied`` entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from clinicdesk.domain.roles import Role
from clinicdesk.errors import PermissionDenied
from clinicdesk.services.clinical import TreatmentSaved
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import audit
from tests.conftest import Clinic
from tests.services.clinical_setup import (
    TREATED_ON,
    consultation_form,
    eligible_patient,
    treatment_form,
)
from tests.services.test_permissions import snapshot, user_of


@dataclass
class Records:
    patient_id: str
    consultation_id: str
    saved: TreatmentSaved
    event_id: str


def make_records(clinic: Clinic) -> Records:
    service = clinic.services.clinical
    patient = eligible_patient(clinic)
    consultation = service.add_consultation(clinic.clinician, patient.id, consultation_form(clinic))
    saved = service.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    event = service.add_adverse_event(
        clinic.clinician,
        patient.id,
        {
            "treatment_id": saved.treatment.id,
            "onset_on": "2025-03-12",
            "event_type": "headache",
            "severity": "mild",
        },
    )
    return Records(patient.id, consultation.id, saved, event.id)


Call = Callable[[Clinic, CurrentUser, Records], Any]
ALL = {Role.RECEPTION, Role.CLINICIAN, Role.ADMIN}
VIEW = {Role.CLINICIAN, Role.ADMIN}
EDIT = {Role.CLINICIAN}

OPERATIONS: dict[str, tuple[Call, set[Role]]] = {
    "add consultation": (
        lambda c, u, r: c.services.clinical.add_consultation(u, r.patient_id, consultation_form(c)),
        EDIT,
    ),
    "edit consultation": (
        lambda c, u, r: c.services.clinical.update_consultation(
            u, r.consultation_id, 1, consultation_form(c, plan="changed")
        ),
        EDIT,
    ),
    "open consultation": (
        lambda c, u, r: c.services.clinical.consultation(u, r.consultation_id),
        VIEW,
    ),
    "list consultations": (
        lambda c, u, r: c.services.clinical.consultations(u, r.patient_id),
        VIEW,
    ),
    "eligibility check": (
        lambda c, u, r: c.services.clinical.eligibility(u, r.patient_id, TREATED_ON),
        EDIT,
    ),
    "record treatment": (
        lambda c, u, r: c.services.clinical.record_treatment(u, r.patient_id, treatment_form(c)),
        EDIT,
    ),
    "edit treatment": (
        lambda c, u, r: c.services.clinical.update_treatment(
            u, r.saved.treatment.id, 1, treatment_form(c, punches="5")
        ),
        EDIT,
    ),
    "open treatment": (
        lambda c, u, r: c.services.clinical.treatment(u, r.saved.treatment.id),
        VIEW,
    ),
    "list treatments": (lambda c, u, r: c.services.clinical.treatments(u, r.patient_id), VIEW),
    "add adverse event": (
        lambda c, u, r: c.services.clinical.add_adverse_event(
            u,
            r.patient_id,
            {
                "treatment_id": r.saved.treatment.id,
                "onset_on": "2025-03-13",
                "event_type": "shedding",
                "severity": "mild",
            },
        ),
        EDIT,
    ),
    "open adverse event": (
        lambda c, u, r: c.services.clinical.adverse_event(u, r.event_id),
        VIEW,
    ),
    "list adverse events": (
        lambda c, u, r: c.services.clinical.adverse_events(u, r.patient_id),
        VIEW,
    ),
    "timeline": (lambda c, u, r: c.services.clinical.timeline(u, r.patient_id), VIEW),
    "lot look-up": (lambda c, u, r: c.services.clinical.patients_for_lot(u, "LD7731"), VIEW),
    "list clinicians for the forms": (lambda c, u, r: c.services.clinical.clinicians(u), VIEW),
    "patient's follow-ups": (
        lambda c, u, r: c.services.clinical.follow_ups(u, r.patient_id),
        ALL,
    ),
    "due and overdue list": (
        lambda c, u, r: c.services.clinical.due_and_overdue(u, date(2025, 3, 20)),
        ALL,
    ),
    "book follow-up": (
        lambda c, u, r: c.services.clinical.book_follow_up(
            u, r.saved.follow_ups[0].id, 1, "17/03/2025 10:00"
        ),
        ALL,
    ),
    "mark follow-up attended": (
        lambda c, u, r: c.services.clinical.set_follow_up_status(
            u, r.saved.follow_ups[0].id, 1, "attended"
        ),
        ALL,
    ),
}


@pytest.mark.parametrize("role", sorted(Role))
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_clinical_role_table(clinic: Clinic, operation: str, role: Role) -> None:
    records = make_records(clinic)
    call, allowed = OPERATIONS[operation]
    user = user_of(clinic, role)
    if role in allowed:
        call(clinic, user, records)
        return
    before = snapshot(clinic)
    count = len(audit.entries(clinic.services.db))
    with pytest.raises(PermissionDenied, match=role.label):
        call(clinic, user, records)
    assert snapshot(clinic) == before
    added = audit.entries(clinic.services.db)[count:]
    assert [(e.action, e.user_id) for e in added] == [("denied", user.id)]


def test_reception_due_list_shows_phone_but_no_clinical_detail(clinic: Clinic) -> None:
    make_records(clinic)
    (row, *_) = clinic.services.clinical.due_and_overdue(clinic.reception, date(2025, 3, 20))
    assert row.phone == "07700 900123"
    assert row.overdue is True  # donor check was due 17/03/2025
    # Only the follow-up itself: no treatment details travel with the row.
    assert not hasattr(row, "treatment")
