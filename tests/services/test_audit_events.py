"""Every mutation and every record view writes exactly one audit entry (RELIABILITY row 16)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clinicdesk.domain.medical import Allergy, MedicalHistory
from clinicdesk.domain.roles import Role
from clinicdesk.errors import AuthenticationFailed, PermissionDenied, ValidationError
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import audit, audit_check
from clinicdesk.storage.audit import AuditEntry
from tests.conftest import PASSWORD, Clinic


def new_entries(clinic: Clinic, action: Callable[[], Any]) -> list[AuditEntry]:
    before = len(audit.entries(clinic.services.db))
    action()
    return audit.entries(clinic.services.db)[before:]


def one_entry(clinic: Clinic, action: Callable[[], Any]) -> AuditEntry:
    added = new_entries(clinic, action)
    assert len(added) == 1, added
    return added[0]


def expect(entry: AuditEntry, action: str, entity: str, entity_id: str, user: CurrentUser) -> None:
    assert (entry.action, entry.entity, entry.entity_id, entry.user_id, entry.site_id) == (
        action,
        entity,
        entity_id,
        user.id,
        user.site_id,
    )


def test_patient_lifecycle_is_audited_once_per_step(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    holder: dict[str, Any] = {}

    def register() -> None:
        holder["p"] = service.register(clinic.reception, patient_form)

    entry = one_entry(clinic, register)
    patient = holder["p"]
    expect(entry, "create", "patient", patient.id, clinic.reception)

    form = patient_form | {"phone": "07700 900999"}
    entry = one_entry(clinic, lambda: service.update(clinic.clinician, patient.id, 1, form))
    expect(entry, "update", "patient", patient.id, clinic.clinician)
    assert entry.detail == {"fields": ["phone"]}

    entry = one_entry(clinic, lambda: service.get(clinic.admin, patient.id))
    expect(entry, "view", "patient", patient.id, clinic.admin)

    entry = one_entry(clinic, lambda: service.record(clinic.clinician, patient.id))
    expect(entry, "view", "patient", patient.id, clinic.clinician)

    entry = one_entry(clinic, lambda: service.set_archived(clinic.reception, patient.id, 2, True))
    expect(entry, "archive", "patient", patient.id, clinic.reception)

    entry = one_entry(clinic, lambda: service.set_archived(clinic.reception, patient.id, 3, False))
    expect(entry, "restore", "patient", patient.id, clinic.reception)
    assert audit_check.verify_chain(clinic.services.db) == []


def test_medical_history_and_classification_changes_are_audited(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    patient = service.register(clinic.reception, patient_form)
    history = MedicalHistory(allergies=(Allergy("Latex"),))
    entry = one_entry(
        clinic, lambda: service.save_medical_history(clinic.clinician, patient.id, history)
    )
    expect(entry, "update", "medical_history", patient.id, clinic.clinician)
    assert entry.detail["allergies"] == 1

    holder: dict[str, Any] = {}

    def add() -> None:
        holder["c"] = service.add_classification(
            clinic.clinician, patient.id, "ludwig", "II", "2024-01-01"
        )

    entry = one_entry(clinic, add)
    (classification,) = holder["c"]
    expect(entry, "create", "classification", classification.id, clinic.clinician)
    assert entry.detail == {"patient": patient.id, "scale": "ludwig"}

    entry = one_entry(
        clinic, lambda: service.remove_classification(clinic.clinician, patient.id, classification)
    )
    expect(entry, "archive", "classification", classification.id, clinic.clinician)


def test_audit_details_hold_no_patient_identifiers(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    patient = service.register(clinic.reception, patient_form)
    service.update(clinic.reception, patient.id, 1, patient_form | {"last_name": "Ó Súilleabháin"})
    raw = " ".join(
        str(row) for row in clinic.services.db.execute("SELECT * FROM audit_log").fetchall()
    )
    for identifier in ("Siobhán", "O'Brien", "Súilleabháin", "9434765919", "1985-07-03"):
        assert identifier not in raw


def test_a_failed_validation_writes_no_audit_entry(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    def bad() -> None:
        with pytest.raises(ValidationError):
            clinic.services.patients.register(clinic.reception, patient_form | {"sex": "?"})

    assert new_entries(clinic, bad) == []


def test_login_and_failed_login_are_audited(clinic: Clinic) -> None:
    services = clinic.services
    entry = one_entry(clinic, lambda: services.clinic.login("Clinician ", PASSWORD))
    expect(entry, "login", "user", clinic.clinician.id, clinic.clinician)

    def wrong() -> None:
        with pytest.raises(AuthenticationFailed):
            services.clinic.login("clinician", "not the password")

    entry = one_entry(clinic, wrong)
    assert (entry.action, entry.user_id) == ("login_failed", clinic.clinician.id)

    def unknown() -> None:
        with pytest.raises(AuthenticationFailed):
            services.clinic.login("mallory", PASSWORD)

    entry = one_entry(clinic, unknown)
    assert (entry.action, entry.user_id) == ("login_failed", "unknown")


def test_adding_a_user_is_audited(clinic: Clinic) -> None:
    holder: dict[str, CurrentUser] = {}

    def add() -> None:
        holder["u"] = clinic.services.clinic.add_user(
            clinic.admin, "nurse", "Nia Nurse", Role.CLINICIAN, PASSWORD
        )

    entry = one_entry(clinic, add)
    expect(entry, "create", "user", holder["u"].id, clinic.admin)
    assert entry.detail == {"role": "clinician"}


def test_a_refused_action_is_audited_as_denied(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    patient = clinic.services.patients.register(clinic.reception, patient_form)

    def peek() -> None:
        with pytest.raises(PermissionDenied):
            clinic.services.patients.medical_history(clinic.reception, patient.id)

    entry = one_entry(clinic, peek)
    expect(entry, "denied", "medical_history", patient.id, clinic.reception)
    assert entry.detail == {"needs": "view_medical"}
