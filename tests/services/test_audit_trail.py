"""Reading the audit trail through ``AuditService``: who may, what they see, what is audited.

RELIABILITY rows 15 (tampering found by ``verify``) and 16 (reading, checking and exporting the
trail are themselves audited, once each; a patient's access log is part of opening the record).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from clinicdesk.errors import PermissionDenied, UserError
from clinicdesk.services.audit import CSV_COLUMNS, AuditFilter, AuditService
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import audit
from clinicdesk.storage.audit import AuditEntry
from tests.conftest import Clinic


@pytest.fixture
def service(clinic: Clinic) -> AuditService:
    return AuditService(clinic.services.db, local_zone=UTC)


@pytest.fixture
def patient_id(clinic: Clinic, patient_form: dict[str, str]) -> str:
    patients = clinic.services.patients
    patient = patients.register(clinic.reception, patient_form)
    patients.get(clinic.clinician, patient.id)
    patients.add_classification(clinic.clinician, patient.id, "ludwig", "II", "2024-01-01")
    patients.get(clinic.admin, patient.id)
    return patient.id


def new_entries(clinic: Clinic, action: Callable[[], Any]) -> list[AuditEntry]:
    before = audit.count(clinic.services.db)
    action()
    return audit.entries(clinic.services.db)[before:]


def one_entry(clinic: Clinic, action: Callable[[], Any]) -> AuditEntry:
    added = new_entries(clinic, action)
    assert len(added) == 1, added
    return added[0]


def expect(entry: AuditEntry, action: str, user: CurrentUser) -> None:
    assert (entry.action, entry.entity, entry.entity_id, entry.user_id, entry.site_id) == (
        action,
        "audit_log",
        "",
        user.id,
        user.site_id,
    )


# -- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["reception", "clinician"])
@pytest.mark.parametrize(
    "call",
    [
        lambda s, u, p, tmp: s.verify(u),
        lambda s, u, p, tmp: s.entries(u, AuditFilter()),
        lambda s, u, p, tmp: s.count(u, AuditFilter()),
        lambda s, u, p, tmp: s.users(u),
        lambda s, u, p, tmp: s.export_csv(u, AuditFilter(), tmp / "trail.csv"),
    ],
    ids=["verify", "entries", "count", "users", "export"],
)
def test_only_admins_read_the_whole_trail(
    clinic: Clinic,
    service: AuditService,
    patient_id: str,
    tmp_path: Path,
    who: str,
    call: Callable[..., Any],
) -> None:
    user = getattr(clinic, who)

    def refused() -> None:
        with pytest.raises(PermissionDenied):
            call(service, user, patient_id, tmp_path)

    entry = one_entry(clinic, refused)
    assert (entry.action, entry.entity, entry.user_id) == ("denied", "audit_log", user.id)
    assert entry.detail == {"needs": "audit_trail"}
    assert not (tmp_path / "trail.csv").exists()


def test_reception_may_not_read_a_patients_access_log(
    clinic: Clinic, service: AuditService, patient_id: str
) -> None:
    def refused() -> None:
        with pytest.raises(PermissionDenied):
            service.patient_access(clinic.reception, patient_id)

    entry = one_entry(clinic, refused)
    assert (entry.action, entry.entity, entry.entity_id) == ("denied", "patient", patient_id)


# -- what is audited --------------------------------------------------------------------------


def test_reading_checking_and_exporting_are_each_audited_once(
    clinic: Clinic, service: AuditService, patient_id: str, tmp_path: Path
) -> None:
    admin = clinic.admin
    filters = AuditFilter(patient="O'Brien", action="view")
    entry = one_entry(clinic, lambda: service.entries(admin, filters))
    expect(entry, "view", admin)
    # Which filters were used, never what was typed: a name is a patient identifier.
    assert entry.detail == {"filters": ["patient", "action"]}
    assert "Brien" not in str(entry.detail)

    first = service.entries(admin, AuditFilter(), limit=3)
    assert (
        new_entries(
            clinic, lambda: service.entries(admin, AuditFilter(), before=first[-1].position)
        )
        == []
    )
    assert new_entries(clinic, lambda: service.count(admin, AuditFilter())) == []

    entry = one_entry(clinic, lambda: service.verify(admin))
    expect(entry, "verify", admin)
    assert entry.detail == {"problems": 0}

    entry = one_entry(clinic, lambda: service.export_csv(admin, filters, tmp_path / "a.csv"))
    expect(entry, "export", admin)
    assert entry.detail == {"format": "csv", "rows": 2, "filters": ["patient", "action"]}


def test_the_access_log_adds_no_entry_of_its_own(
    clinic: Clinic, service: AuditService, patient_id: str
) -> None:
    assert new_entries(clinic, lambda: service.patient_access(clinic.clinician, patient_id)) == []


# -- what the admin sees ----------------------------------------------------------------------


def test_entries_are_newest_first_with_names_for_people_and_patients(
    clinic: Clinic, service: AuditService, patient_id: str
) -> None:
    rows = service.entries(clinic.admin, AuditFilter(patient=patient_id))
    assert [(r.user_name, r.action_label, r.entity_label, r.record) for r in rows] == [
        ("Ada Admin", "Viewed", "Patient", "Siobhán O'Brien"),
        ("Dr Cara Clinician", "Created", "Classification", "Siobhán O'Brien"),
        ("Dr Cara Clinician", "Viewed", "Patient", "Siobhán O'Brien"),
        ("Rex Reception", "Created", "Patient", "Siobhán O'Brien"),
    ]
    assert rows[1].details == "scale: ludwig"  # the patient is named in the Record column
    assert [r.seq for r in rows] == sorted((r.seq for r in rows), reverse=True)
    assert all(len(r.when) == len("03/07/2025 14:05") for r in rows)


def test_filters_by_patient_name_user_action_and_date(
    clinic: Clinic, service: AuditService, patient_id: str, patient_form: dict[str, str]
) -> None:
    admin = clinic.admin
    other = clinic.services.patients.register(
        clinic.reception,
        patient_form | {"first_name": "Zed", "last_name": "Zygmunt", "nhs_number": ""},
    )
    clinic.services.patients.get(clinic.clinician, other.id)

    by_name = service.entries(admin, AuditFilter(patient="o'brien"))
    assert {r.record for r in by_name} == {"Siobhán O'Brien"}
    assert len(by_name) == 4
    assert {r.record for r in service.entries(admin, AuditFilter(patient="Zygmunt"))} == {
        "Zed Zygmunt"
    }
    assert service.entries(admin, AuditFilter(patient="Nobody-by-this-name")) == []

    views = service.entries(admin, AuditFilter(user_id=clinic.clinician.id, action="view"))
    assert [r.record for r in views] == ["Zed Zygmunt", "Siobhán O'Brien"]

    today = datetime.now(UTC).date()
    assert service.count(admin, AuditFilter(date_from=today, date_to=today)) == service.count(
        admin, AuditFilter()
    )
    assert service.count(admin, AuditFilter(date_to=today - timedelta(days=1))) == 0
    assert service.count(admin, AuditFilter(date_from=today + timedelta(days=1))) == 0


def test_a_failed_sign_in_by_an_unknown_name_is_shown_as_such(
    clinic: Clinic, service: AuditService
) -> None:
    with pytest.raises(UserError):
        clinic.services.clinic.login("mallory", "guess")
    (row,) = service.entries(clinic.admin, AuditFilter(action="login_failed"))
    assert (row.user_name, row.action_label) == ("(user name not known)", "Sign-in failed")


def test_the_access_log_lists_who_opened_the_record_newest_first(
    clinic: Clinic, service: AuditService, patient_id: str
) -> None:
    events = service.patient_access(clinic.clinician, patient_id)
    assert [(e.user_name, e.role) for e in events] == [
        ("Ada Admin", "Admin"),
        ("Dr Cara Clinician", "Clinician"),
    ]
    assert service.patient_access(clinic.admin, patient_id) == events


def test_a_clinician_sees_only_their_own_patients_access_log(
    clinic: Clinic, service: AuditService, patient_form: dict[str, str]
) -> None:
    from clinicdesk.services.audit import NotOwnPatient
    from tests.services.clinical_setup import consultation_form

    patients = clinic.services.patients
    stranger = patients.register(clinic.reception, {**patient_form, "nhs_number": ""}).id
    patients.get(clinic.clinician, stranger)  # opening a record does not make it theirs
    assert not service.may_see_access_log(clinic.clinician, stranger)
    with pytest.raises(NotOwnPatient):
        service.patient_access(clinic.clinician, stranger)
    denied = clinic.services.db.execute(
        "SELECT entity_id, detail FROM audit_log WHERE action = 'denied'"
    ).fetchall()
    assert [(entity_id, json.loads(detail)) for entity_id, detail in denied] == [
        (stranger, {"needs": "own patient"})
    ]
    # Administrators see every record's log; reception none.
    assert service.may_see_access_log(clinic.admin, stranger)
    assert not service.may_see_access_log(clinic.reception, stranger)
    # A consultation makes the patient the clinician's own.
    clinic.services.clinical.add_consultation(clinic.clinician, stranger, consultation_form(clinic))
    assert service.may_see_access_log(clinic.clinician, stranger)
    assert [e.user_name for e in service.patient_access(clinic.clinician, stranger)] == [
        "Dr Cara Clinician"
    ]


# -- export -----------------------------------------------------------------------------------


def test_the_csv_export_holds_what_the_filters_select(
    clinic: Clinic, service: AuditService, patient_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "export" / "trail.csv"
    path.parent.mkdir()
    filters = AuditFilter(patient=patient_id)
    written = service.export_csv(clinic.admin, filters, path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == written + 1 == 5
    shown = service.entries(clinic.admin, filters)
    assert [r[0] for r in rows[1:]] == [str(r.seq) for r in shown]
    assert [r[2:6] for r in rows[1:]] == [
        ["Ada Admin", "Viewed", "Patient", "Siobhán O'Brien"],
        ["Dr Cara Clinician", "Created", "Classification", "Siobhán O'Brien"],
        ["Dr Cara Clinician", "Viewed", "Patient", "Siobhán O'Brien"],
        ["Rex Reception", "Created", "Patient", "Siobhán O'Brien"],
    ]
    assert rows[1][7].endswith("Z")  # the stored UTC time, exact
    assert [p.name for p in path.parent.iterdir()] == ["trail.csv"]  # no partial file left


def test_a_formula_in_a_name_is_exported_as_text(
    clinic: Clinic, service: AuditService, tmp_path: Path
) -> None:
    clinic.services.clinic.add_user(
        clinic.admin, "calc", '=HYPERLINK("x")', clinic.admin.role, "long enough password"
    )
    path = tmp_path / "trail.csv"
    service.export_csv(clinic.admin, AuditFilter(action="create"), path)
    text = path.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_an_export_that_cannot_be_written_is_a_plain_error_and_not_audited(
    clinic: Clinic, service: AuditService, tmp_path: Path
) -> None:
    target = tmp_path / "missing-folder" / "trail.csv"

    def fail() -> None:
        with pytest.raises(UserError, match="could not be written"):
            service.export_csv(clinic.admin, AuditFilter(), target)

    assert new_entries(clinic, fail) == []
    assert not target.exists()


# -- verify -----------------------------------------------------------------------------------


def test_verify_reports_an_intact_trail_and_names_tampering(
    clinic: Clinic, service: AuditService, patient_id: str
) -> None:
    check = service.verify(clinic.admin)
    assert check.intact and check.summary() == f"Audit trail intact: {check.entries} entries"
    db = clinic.services.db
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET entity_id = 'someone' WHERE seq = 3")
    check = service.verify(clinic.admin)
    assert not check.intact
    assert check.problems == ["entry 3 was altered"]
    assert check.summary().startswith("The audit trail has been tampered with: 1 problem in")


def test_local_dates_are_whole_local_days(clinic: Clinic, patient_id: str) -> None:
    """A date filter means the clinic's day, not the UTC day (here UTC+1, as in summer)."""
    summer = AuditService(clinic.services.db, local_zone=timezone(timedelta(hours=1)))
    last = audit.entries(clinic.services.db)[-1]
    local = datetime.fromisoformat(last.at.replace("Z", "+00:00")) + timedelta(hours=1)
    day: date = local.date()
    rows = summer.entries(clinic.admin, AuditFilter(date_from=day, date_to=day))
    assert last.seq in {r.seq for r in rows}
    assert rows[0].local_time.utcoffset() == timedelta(hours=1)
