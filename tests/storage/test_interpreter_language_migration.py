"""Migration 0015 appends ``interpreter_language`` to the patients a clinic already has: every
existing patient gets "" (no interpreter needed), and the column is last, as sync's positional
changesets need."""

from __future__ import annotations

from pathlib import Path

from clinicdesk.storage.database import Database, open_database
from clinicdesk.storage.interpreter_language import MIGRATION_NAME
from clinicdesk.storage.migrations import known_migration_names, migrate
from clinicdesk.storage.patients import PatientRepository
from tests.storage.migration_sets import program_migrations


def _before_interpreter_language(db: Database) -> None:
    """Apply every migration registered before 0015, as a clinic of the last release has."""
    program_migrations(before=MIGRATION_NAME).apply(db.utils)


def test_the_migration_is_registered_after_0014() -> None:
    names = known_migration_names()
    assert names.index(MIGRATION_NAME) == names.index("0014_photo_grades") + 1


def test_an_existing_database_gains_the_column_last_and_its_patients_need_no_interpreter(
    tmp_path: Path,
) -> None:
    db = open_database(tmp_path / "clinicdesk.db")
    try:
        _before_interpreter_language(db)
        before = [row[1] for row in db.execute("PRAGMA table_info(patients)").fetchall()]
        assert "interpreter_language" not in before
        db.execute(
            "INSERT INTO patients (id, created_at, updated_at, created_by, updated_by, site_id, "
            "first_name, last_name, date_of_birth, sex, patient_number, patient_number_seq) "
            "VALUES ('p-1', 't', 't', 'u', 'u', 's', 'Ewa', 'Nowak', '1980-01-01', 'F', "
            "'M-00001', 1)"
        )

        assert migrate(db, tmp_path / "backups") is not None  # backed up first

        after = [row[1] for row in db.execute("PRAGMA table_info(patients)").fetchall()]
        assert after == [*before, "interpreter_language"]
        assert db.execute("SELECT interpreter_language FROM patients").fetchall() == [("",)]
        patient = PatientRepository(db).get("p-1")
        assert patient is not None and patient.details.interpreter_language == ""
    finally:
        db.close()
