"""Migration 0013 numbers the patients a clinic already has: each site's in the order they were
registered, under the site's own prefix, and the next patient carries on from there."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlite_utils

from clinicdesk.domain.ids import PatientId
from clinicdesk.domain.patient import PatientDetails, Sex
from clinicdesk.storage.database import open_database, write_transaction
from clinicdesk.storage.migrations import migrate
from clinicdesk.storage.patient_numbers import MIGRATION_NAME
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.records import Actor
from tests.storage.migration_sets import program_migrations

ROW = (
    "INSERT INTO {table} (id, created_at, updated_at, created_by, updated_by, site_id, {columns}) "
    "VALUES (?, ?, ?, 'u', 'u', ?, {marks})"
)


def _before_patient_numbers(db: sqlite_utils.Database) -> None:
    """Apply every migration registered before 0013, as a clinic of the last release has."""
    program_migrations(before=MIGRATION_NAME).apply(db)


def _site(db: sqlite_utils.Database, site_id: str, name: str, kind: str, at: str) -> None:
    sql = ROW.format(table="sites", columns="name, kind", marks="?, ?")
    db.execute(sql, [site_id, at, at, site_id, name, kind])


def _patient(db: sqlite_utils.Database, patient_id: str, site_id: str, at: str) -> None:
    columns = "first_name, last_name, date_of_birth, sex"
    sql = ROW.format(table="patients", columns=columns, marks="?, ?, ?, ?")
    db.execute(sql, [patient_id, at, at, site_id, "Pat", patient_id, "1980-01-01", "X"])


def test_existing_patients_are_numbered_per_site_in_the_order_they_were_registered(
    tmp_path: Path,
) -> None:
    db = open_database(tmp_path / "clinicdesk.db")
    try:
        _before_patient_numbers(db)
        _site(db, "site-sat", "Satellite Leeds", "satellite", "2024-01-01T00:00:00Z")
        _site(db, "site-main", "Main clinic", "main", "2024-01-02T00:00:00Z")
        # Registered in this order, alternating sites; ids do not follow the order.
        _patient(db, "p-c", "site-main", "2024-02-01T09:00:00Z")
        _patient(db, "p-a", "site-sat", "2024-02-01T10:00:00Z")
        _patient(db, "p-b", "site-main", "2024-02-02T09:00:00Z")
        _patient(db, "p-d", "site-sat", "2024-02-03T09:00:00Z")
        _patient(db, "p-e", "site-main", "2024-02-04T09:00:00Z")

        migrate(db, tmp_path / "backups")

        numbers = dict(db.execute("SELECT id, patient_number FROM patients").fetchall())
        assert numbers == {
            "p-c": "M-00001",
            "p-b": "M-00002",
            "p-e": "M-00003",
            "p-a": "S-00001",
            "p-d": "S-00002",
        }
        prefixes = dict(db.execute("SELECT name, number_prefix FROM sites").fetchall())
        assert prefixes == {"Main clinic": "M", "Satellite Leeds": "S"}

        # The next patient registered at each site carries on from the migrated numbers.
        repo = PatientRepository(db)
        details = PatientDetails("New", "Patient", date(1990, 1, 1), Sex.OTHER)
        with write_transaction(db):
            at_main = repo.insert(details, Actor("u", "site-main"))
            at_satellite = repo.insert(details, Actor("u", "site-sat"))
        assert _number(repo, at_main) == "M-00004"
        assert _number(repo, at_satellite) == "S-00003"
    finally:
        db.close()


def _number(repo: PatientRepository, patient_id: PatientId) -> str:
    patient = repo.get(patient_id)
    assert patient is not None
    return patient.patient_number


def test_a_larger_clinic_is_numbered_without_gaps_at_each_site(tmp_path: Path) -> None:
    db = open_database(tmp_path / "clinicdesk.db")
    try:
        _before_patient_numbers(db)
        _site(db, "site-main", "Main clinic", "main", "2024-01-01T00:00:00Z")
        _site(db, "site-sat", "Satellite clinic", "satellite", "2024-01-02T00:00:00Z")
        columns = "first_name, last_name, date_of_birth, sex"
        sql = ROW.format(table="patients", columns=columns, marks="'A', 'B', '1980-01-01', 'X'")
        with write_transaction(db):
            for n in range(3000):
                at = f"2024-03-01T00:00:{n:06d}Z"
                db.execute(sql, [f"p{n:06d}", at, at, "site-main" if n % 3 else "site-sat"])
        migrate(db, tmp_path / "backups")
        numbered = db.execute(
            "SELECT site_id, count(*), count(DISTINCT patient_number), max(patient_number_seq) "
            "FROM patients GROUP BY site_id ORDER BY site_id"
        ).fetchall()
        assert numbered == [("site-main", 2000, 2000, 2000), ("site-sat", 1000, 1000, 1000)]
        last = db.execute("SELECT patient_number FROM patients WHERE id = 'p002997'").fetchone()
        assert last[0] == "S-01000"
    finally:
        db.close()
