"""Erasure requests and the retention schedule (issue 13 item 6; RELIABILITY.md row 31).

The clock is frozen by giving the service its ``today`` (neither time-machine nor freezegun is
installed); the dates of the records are fixed in the set-up.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from clinicdesk.domain.photos import ConsentScope
from clinicdesk.errors import NotFound, PermissionDenied, UserError, ValidationError
from clinicdesk.services.audit import AuditService
from tests.conftest import Clinic
from tests.services.clinical_setup import treatment_form
from tests.services.retention_setup import TREATED_ON, frozen, treated_patient

REASON = "Patient wrote asking for erasure (letter on file)"
EIGHT_YEARS_ON = date(2033, 3, 10)  # TREATED_ON + 8 years


def audit_entries(clinic: Clinic, action: str) -> list[tuple[str, dict[str, object]]]:
    rows = clinic.services.db.execute(
        "SELECT entity_id, detail FROM audit_log WHERE action = ? ORDER BY seq", [action]
    ).fetchall()
    return [(entity_id, json.loads(detail)) for entity_id, detail in rows]


def rows_of(clinic: Clinic, patient_id: str) -> dict[str, int]:
    """How many rows each table holds for the patient (by its patient_id, or id)."""
    db, counts = clinic.services.db, {}
    for (table,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'").fetchall():
        columns = {c[1] for c in db.execute(f"PRAGMA table_info({table})")}
        column = "id" if table == "patients" else "patient_id"
        if column in columns and table not in ("patient_search", "destroyed_records"):
            found = db.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", [patient_id])
            if count := found.fetchone()[0]:
                counts[table] = count
    return counts


def test_an_erasure_request_ends_marketing_at_once_and_keeps_the_clinical_photos(
    clinic: Clinic, tmp_path: Path
) -> None:
    patient = treated_patient(clinic, tmp_path)
    outcome = frozen(clinic, date(2026, 1, 5)).request_erasure(clinic.admin, patient.id, REASON)
    assert outcome.marketing_scopes_withdrawn == 1
    assert outcome.photos_marked_not_for_marketing == 1
    assert outcome.due_on == EIGHT_YEARS_ON
    [photo] = clinic.services.photos.list_photos(clinic.clinician, patient.id)
    # The photo is part of the clinical record (kept); only its marketing use ends.
    assert photo.consent_scope is ConsentScope.MARKETING
    assert photo.marketing_withdrawn_on == date(2026, 1, 5)
    scopes = clinic.services.db.execute(
        "SELECT scope, withdrawn_on, withdrawal_reason FROM photo_consent_scopes "
        "WHERE patient_id = ? ORDER BY scope",
        [patient.id],
    ).fetchall()
    assert scopes == [
        ("clinical_record", None, ""),
        ("marketing", "2026-01-05", "Erasure request"),
        ("teaching", None, ""),
    ]
    [(entity_id, detail)] = audit_entries(clinic, "erasure_request")
    assert entity_id == patient.id
    assert detail["destruction_due_on"] == "2033-03-10"
    assert REASON not in json.dumps(detail)  # the reason stays with the request


def test_a_restricted_record_leaves_list_search_and_follow_ups_for_every_role(
    clinic: Clinic, tmp_path: Path
) -> None:
    patient = treated_patient(clinic, tmp_path)
    other = treated_patient(clinic, tmp_path, first_name="Bea", last_name="O'Brien")
    patients, clinical = clinic.services.patients, clinic.services.clinical
    later = date(2025, 12, 1)

    def seen(user_name: str) -> dict[str, set[str]]:
        user = getattr(clinic, user_name)
        listed = {s.id for s in patients.list_page(user, None, 50, include_archived=True)}
        found = {s.id for s in patients.search(user, "O'Brien", include_archived=True)}
        due = {f.patient_id for f in clinical.due_and_overdue(user, today=later)}
        return {"list": listed, "search": found, "follow-ups": due}

    before = seen("reception")
    assert all(patient.id in ids for ids in before.values())
    frozen(clinic, date(2026, 1, 5)).request_erasure(clinic.admin, patient.id, REASON)
    for role in ("reception", "clinician", "admin"):
        after = seen(role)
        assert all(patient.id not in ids for ids in after.values()), role
        assert all(other.id in ids for ids in after.values()), role
    assert patients.count(clinic.admin, include_archived=True) == 1


def test_only_an_administrator_opens_a_restricted_record_and_says_why(
    clinic: Clinic, tmp_path: Path
) -> None:
    patient = treated_patient(clinic, tmp_path)
    retention = frozen(clinic, date(2026, 1, 5))
    retention.request_erasure(clinic.admin, patient.id, REASON)
    for user in (clinic.reception, clinic.clinician):
        with pytest.raises(NotFound, match="restricted"):
            clinic.services.patients.record(user, patient.id)
        with pytest.raises(PermissionDenied):
            retention.open_restricted(user, patient.id, "I need to look at it please")
    with pytest.raises(ValidationError, match="reason"):
        retention.open_restricted(clinic.admin, patient.id, "  ")
    opened = retention.open_restricted(clinic.admin, patient.id, "Solicitor's letter 12/01/2026")
    assert opened.id == patient.id
    assert audit_entries(clinic, "open_restricted") == [
        (patient.id, {"reason": "Solicitor's letter 12/01/2026"})
    ]


def test_the_destruction_date_is_eight_years_after_the_last_treatment_and_moves_with_reuse(
    clinic: Clinic, tmp_path: Path
) -> None:
    patient = treated_patient(clinic, tmp_path)
    retention = frozen(clinic, date(2026, 1, 5))
    entry = retention.entry(clinic.admin, patient.id)
    assert (entry.last_treatment, entry.due_on, entry.due) == (TREATED_ON, EIGHT_YEARS_ON, False)
    # Used again: a second treatment a year later starts the 8 years again.
    clinic.services.clinical.record_treatment(
        clinic.clinician,
        patient.id,
        treatment_form(clinic, treated_on="2026-03-12"),
        override_reason="Labs repeated at the GP, results seen",
    )
    assert frozen(clinic, date(2026, 4, 1)).entry(clinic.admin, patient.id).due_on == date(
        2034, 3, 12
    )
    # The number of years is a setting, never below 8.
    retention.set_retention_years(clinic.admin, "10")
    assert retention.entry(clinic.admin, patient.id).due_on == date(2036, 3, 12)
    with pytest.raises(ValidationError, match="at least 8"):
        retention.set_retention_years(clinic.admin, "5")
    # A child's record waits for the 25th birthday.
    child = treated_patient(clinic, tmp_path, date_of_birth="01/06/2010", first_name="Kid")
    assert retention.entry(clinic.admin, child.id).due_on == date(2035, 6, 1)


def test_the_schedule_lists_restricted_and_due_records_and_never_destroys_by_itself(
    clinic: Clinic, tmp_path: Path
) -> None:
    restricted = treated_patient(clinic, tmp_path)
    kept = treated_patient(clinic, tmp_path, first_name="Bea")
    frozen(clinic, date(2026, 1, 5)).request_erasure(clinic.admin, restricted.id, REASON)
    assert [e.patient_id for e in frozen(clinic, date(2026, 1, 5)).schedule(clinic.admin)] == [
        restricted.id
    ]
    late = frozen(clinic, EIGHT_YEARS_ON)
    listed = late.schedule(clinic.admin)
    assert {e.patient_id for e in listed} == {restricted.id, kept.id}
    assert all(e.due for e in listed)
    # Listing changed nothing: both records are still there.
    assert clinic.services.patients.count(clinic.admin) == 1
    assert clinic.services.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 2


def test_destruction_needs_an_administrator_and_the_date_to_have_passed(
    clinic: Clinic, tmp_path: Path
) -> None:
    patient = treated_patient(clinic, tmp_path)
    early, late = frozen(clinic, date(2033, 3, 9)), frozen(clinic, EIGHT_YEARS_ON)
    early.request_erasure(clinic.admin, patient.id, REASON)
    for user in (clinic.reception, clinic.clinician):
        for call in (
            lambda u=user: late.destroy(u, patient.id),
            lambda u=user: late.schedule(u),
            lambda u=user: late.request_erasure(u, patient.id, REASON),
        ):
            with pytest.raises(PermissionDenied):
                call()
    with pytest.raises(UserError, match="kept until 10/03/2033"):
        early.destroy(clinic.admin, patient.id)
    assert clinic.services.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 1
    late.destroy(clinic.admin, patient.id)
    assert clinic.services.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 0


def test_destroying_removes_every_row_and_file_and_keeps_the_audit_chain(
    clinic: Clinic, tmp_path: Path
) -> None:
    patient = treated_patient(clinic, tmp_path)
    other = treated_patient(clinic, tmp_path, first_name="Bea")
    db, paths = clinic.services.db, clinic.paths
    files_before = {p for p in paths.data_dir.rglob("*") if p.is_file()}
    photo_sha = db.execute("SELECT sha256 FROM photos WHERE patient_id = ?", [patient.id])
    sha = photo_sha.fetchone()[0]
    patient_files = [p for p in files_before if sha in p.name]
    assert len(patient_files) == 2  # the original and its cached thumbnail
    audit_before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    retention = frozen(clinic, EIGHT_YEARS_ON)
    assert len(rows_of(clinic, patient.id)) >= 10
    others_rows = rows_of(clinic, other.id)

    outcome = retention.destroy(clinic.admin, patient.id)

    assert outcome.files >= 4 and not outcome.files_left and outcome.compacted
    assert rows_of(clinic, patient.id) == {}
    assert rows_of(clinic, other.id) == others_rows
    assert not any(p.exists() for p in patient_files)
    gone = files_before - {p for p in paths.data_dir.rglob("*") if p.is_file()}
    assert {p for p in gone if p.suffix == ""} >= set(patient_files)
    # The other patient's record and files are whole.
    assert clinic.services.patients.record(clinic.clinician, other.id).patient.id == other.id
    [other_photo] = clinic.services.photos.list_photos(clinic.clinician, other.id)
    assert clinic.services.photos.original(clinic.clinician, other_photo.id)
    # The audit log keeps every entry and gains one that names no one.
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] > audit_before
    destroyed = audit_entries(clinic, "destroy")
    assert destroyed[-1][0] == patient.id
    assert set(destroyed[-1][1]) == {"basis", "rows"}
    assert len(destroyed) == 3  # a consultation, a treatment, then the patient
    assert all(set(d) <= {"basis", "rows", "patient"} for _, d in destroyed)
    assert AuditService(db).verify(clinic.admin).intact
    stub = db.execute("SELECT entity, basis FROM destroyed_records WHERE id = ?", [patient.id])
    assert stub.fetchone() == ("patient", "retention schedule")
    with pytest.raises(NotFound):
        retention.destroy(clinic.admin, patient.id)
