"""The role table of DESIGN.md, enforced by the services (RELIABILITY row 14).

Each service call is tried as each role: an allowed call works, a refused one raises
``PermissionDenied``, changes nothing and leaves exactly one ``denied`` audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clinicdesk.domain.medical import Allergy, MedicalHistory, RedFlag, RedFlagCode
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.roles import Role
from clinicdesk.errors import PermissionDenied
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import audit
from tests.conftest import PASSWORD, Clinic

Call = Callable[[Clinic, CurrentUser, Patient], Any]

ALL = {Role.RECEPTION, Role.CLINICIAN, Role.ADMIN}

OPERATIONS: dict[str, tuple[Call, set[Role]]] = {
    "search": (lambda c, u, p: c.services.patients.search(u, "brien"), ALL),
    "list": (lambda c, u, p: c.services.patients.list_page(u, None, 10), ALL),
    "count": (lambda c, u, p: c.services.patients.count(u), ALL),
    "open record": (lambda c, u, p: c.services.patients.record(u, p.id), ALL),
    "register": (
        lambda c, u, p: c.services.patients.register(
            u, p.details.as_form() | {"first_name": "B", "nhs_number": ""}
        ),
        ALL,
    ),
    "edit demographics": (
        lambda c, u, p: c.services.patients.update(u, p.id, p.version, p.details.as_form()),
        ALL,
    ),
    "archive": (lambda c, u, p: c.services.patients.set_archived(u, p.id, p.version, True), ALL),
    "red-flag banner": (lambda c, u, p: c.services.patients.banner(u, p.id), ALL),
    "view medical history": (
        lambda c, u, p: c.services.patients.medical_history(u, p.id),
        {Role.CLINICIAN, Role.ADMIN},
    ),
    "edit medical history": (
        lambda c, u, p: c.services.patients.save_medical_history(
            u, p.id, MedicalHistory(allergies=(Allergy("Latex"),))
        ),
        {Role.CLINICIAN},
    ),
    "view classification": (
        lambda c, u, p: c.services.patients.classifications(u, p.id),
        {Role.CLINICIAN, Role.ADMIN},
    ),
    "add classification": (
        lambda c, u, p: c.services.patients.add_classification(
            u, p.id, "ludwig", "I", "2024-01-01"
        ),
        {Role.CLINICIAN},
    ),
    "add user": (
        lambda c, u, p: c.services.clinic.add_user(u, "newbie", "New", Role.RECEPTION, PASSWORD),
        {Role.ADMIN},
    ),
}


def user_of(clinic: Clinic, role: Role) -> CurrentUser:
    return {Role.RECEPTION: clinic.reception, Role.CLINICIAN: clinic.clinician}.get(
        role, clinic.admin
    )


def snapshot(clinic: Clinic) -> dict[str, list[Any]]:
    db = clinic.services.db
    return {
        table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        for table in db.table_names()
        # The audit trail and its head (kept in local_state) grow with every audited call.
        if table not in ("audit_log", "local_state") and not table.startswith("patient_search")
    }


@pytest.mark.parametrize("role", sorted(Role))
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_role_table(
    clinic: Clinic, patient_form: dict[str, str], operation: str, role: Role
) -> None:
    patient = clinic.services.patients.register(clinic.clinician, patient_form)
    call, allowed = OPERATIONS[operation]
    user = user_of(clinic, role)
    if role in allowed:
        call(clinic, user, patient)
        return
    before = snapshot(clinic)
    count = len(audit.entries(clinic.services.db))
    with pytest.raises(PermissionDenied, match=role.label):
        call(clinic, user, patient)
    assert snapshot(clinic) == before
    added = audit.entries(clinic.services.db)[count:]
    assert [(e.action, e.user_id) for e in added] == [("denied", user.id)]


def test_reception_sees_the_red_flag_banner_but_not_the_history(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    patient = service.register(clinic.reception, patient_form)
    service.save_medical_history(
        clinic.clinician,
        patient.id,
        MedicalHistory(
            red_flags=(RedFlag(RedFlagCode.ANTICOAGULANT, "warfarin"),),
            allergies=(Allergy("Lidocaine"),),
            notes="confidential clinical note",
        ),
    )
    service.add_classification(clinic.clinician, patient.id, "ludwig", "II", "2024-01-01")

    at_reception = service.record(clinic.reception, patient.id)
    assert at_reception.medical_history is None
    assert at_reception.classifications is None
    assert [i.text for i in at_reception.banner] == [
        "Allergy: Lidocaine",
        "Anticoagulant / antiplatelet: warfarin",
    ]
    assert [i.text for i in service.banner(clinic.reception, patient.id)] == [
        i.text for i in at_reception.banner
    ]

    for user in (clinic.clinician, clinic.admin):
        record = service.record(user, patient.id)
        assert record.medical_history is not None
        assert record.medical_history.notes == "confidential clinical note"
        assert record.classifications is not None
        assert [c.label for c in record.classifications] == ["Ludwig II"]


def test_admin_may_read_but_not_change_the_medical_history(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    patient = service.register(clinic.reception, patient_form)
    saved = service.save_medical_history(
        clinic.clinician, patient.id, MedicalHistory(notes="original")
    )
    assert service.medical_history(clinic.admin, patient.id).notes == "original"
    with pytest.raises(PermissionDenied):
        service.save_medical_history(
            clinic.admin, patient.id, MedicalHistory(notes="changed", version=saved.version)
        )
    assert service.medical_history(clinic.clinician, patient.id).notes == "original"


def test_reception_cannot_remove_a_classification(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    patient = service.register(clinic.reception, patient_form)
    (classification,) = service.add_classification(
        clinic.clinician, patient.id, "norwood_hamilton", "III vertex", "2024-01-01"
    )
    for user in (clinic.reception, clinic.admin):
        with pytest.raises(PermissionDenied):
            service.remove_classification(user, patient.id, classification)
    assert service.classifications(clinic.clinician, patient.id) == [classification]
