"""Schema migrations: empty to latest, older with a backup first, newer refused untouched."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
from sqlite_utils.migrations import Migrations

from clinicdesk.app import main
from clinicdesk.errors import DatabaseTooNew
from clinicdesk.paths import Paths
from clinicdesk.services.context import open_clinic
from clinicdesk.storage import migrations as migrations_module
from clinicdesk.storage.database import integrity_ok, open_database
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.migrations import (
    MIGRATION_SET,
    known_migration_names,
    migrate,
    schema_version,
)
from tests.conftest import Clinic
from tests.storage.migration_sets import program_migrations

CONVENTION_COLUMNS = {
    "id": "TEXT",
    "created_at": "TEXT",
    "updated_at": "TEXT",
    "created_by": "TEXT",
    "updated_by": "TEXT",
    "site_id": "TEXT",
    "version": "INTEGER",
    "deleted_at": "TEXT",
}
# sync_bundles: the hub's list of applied bundles, never replicated (storage.sync_state).
NOT_RECORD_TABLES = {"local_state", "audit_log", "_sqlite_migrations", "sync_bundles"}
# This program's migrations, read before any test adds one of its own.
SHIPPED_MIGRATIONS = known_migration_names()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = open_database(tmp_path / "clinicdesk.db")
    yield database
    database.close()


def fts_tables(db: sqlite_utils.Database) -> set[str]:
    """Virtual FTS tables and the shadow tables SQLite makes for them."""
    virtual = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
        )
    ]
    return {
        name for name in db.table_names() for v in virtual if name == v or name.startswith(v + "_")
    }


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_empty_database_is_brought_to_the_latest_schema_without_a_backup(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    assert migrate(db, backups) is None  # nothing worth backing up in an empty file
    assert not backups.exists() or not any(backups.iterdir())
    assert schema_version(db) == len(known_migration_names()) >= 1
    assert {"patients", "users", "sites", "audit_log", "patient_search"} <= set(db.table_names())
    assert integrity_ok(db)


def test_migrating_an_up_to_date_database_changes_nothing(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    migrate(db, tmp_path / "backups")
    before = db.execute("SELECT name, applied_at FROM _sqlite_migrations").fetchall()
    assert migrate(db, tmp_path / "backups") is None
    assert db.execute("SELECT name, applied_at FROM _sqlite_migrations").fetchall() == before
    assert not (tmp_path / "backups").exists()


def test_every_table_is_strict_and_record_tables_follow_the_conventions(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    migrate(db, tmp_path / "backups")
    fts = fts_tables(db)
    assert "patient_search" in fts
    strict = {r[1]: r[5] for r in db.execute("PRAGMA table_list") if r[0] == "main"}
    checked = 0
    for table in db.table_names():
        if table in fts or table == "_sqlite_migrations":
            continue
        assert strict[table] == 1, f"{table} is not STRICT"
        if table in NOT_RECORD_TABLES:
            continue
        columns = {r[1]: (r[2], r[3], r[5]) for r in db.execute(f"PRAGMA table_info({table})")}
        for name, kind in CONVENTION_COLUMNS.items():
            assert name in columns, f"{table} lacks {name}"
            assert columns[name][0] == kind, f"{table}.{name} is {columns[name][0]}"
        assert columns["id"][2] == 1, f"{table}.id is not the primary key"
        for required in ("created_at", "updated_at", "created_by", "updated_by", "site_id"):
            assert columns[required][1] == 1, f"{table}.{required} may be NULL"
        assert columns["deleted_at"][1] == 0
        checked += 1
    assert checked >= 9


def test_version_must_be_positive(db: sqlite_utils.Database, tmp_path: Path) -> None:
    migrate(db, tmp_path / "backups")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO sites (id, created_at, updated_at, created_by, updated_by, site_id, "
            "version, name, kind) VALUES ('s', 'a', 'a', 'u', 'u', 's', 0, 'Main', 'main')"
        )


def test_strict_tables_refuse_wrongly_typed_values(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    migrate(db, tmp_path / "backups")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO sites (id, created_at, updated_at, created_by, updated_by, site_id, "
            "version, name, kind) VALUES ('s', 'a', 'a', 'u', 'u', 's', 'two', 'Main', 'main')"
        )


@pytest.fixture
def newer_program(monkeypatch: pytest.MonkeyPatch) -> Migrations:
    """This program plus one more migration, as the next release would ship it."""
    upgraded = program_migrations()

    @upgraded(name="0002_test_add_referrals")
    def _referrals(db: sqlite_utils.Database) -> None:
        db.execute("ALTER TABLE patients ADD COLUMN referral_source TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(migrations_module, "migrations", upgraded)
    return upgraded


def test_older_database_is_backed_up_before_it_is_migrated(
    clinic: Clinic, patient_form: dict[str, str], newer_program: Migrations
) -> None:
    patient = clinic.services.patients.register(clinic.reception, patient_form)
    clinic.services.close()

    services = open_clinic(clinic.paths, data_key=clinic.key)
    try:
        backup = services.backup_before_migration
        assert backup is not None and backup.exists()
        assert backup.parent == clinic.paths.backups_dir
        assert "0002_test_add_referrals" in backup.name
        assert "referral_source" in services.db["patients"].columns_dict
        assert services.patients.get(clinic.reception, patient.id).details.last_name == "O'Brien"
    finally:
        services.close()

    # The backup is the database as it was: complete, intact, not yet migrated, encrypted
    # with the clinic's key, and in rollback-journal mode so it opens even from read-only
    # media. SQLCipher encrypts the header too, so the mode is read through the key: on a
    # read-only connection journal_mode reports the file's own mode (header bytes 18, 19).
    raw = backup.read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    assert b"O'Brien" not in raw
    copy = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        copy.execute(f"PRAGMA key = \"x'{clinic.key.hex()}'\"")
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("SELECT last_name FROM patients").fetchall() == [("O'Brien",)]
        columns = [r[1] for r in copy.execute("PRAGMA table_info(patients)")]
        assert "referral_source" not in columns
        applied = [r[0] for r in copy.execute("SELECT name FROM _sqlite_migrations")]
        assert applied == SHIPPED_MIGRATIONS
    finally:
        copy.close()


def test_a_failing_migration_leaves_the_database_as_it_was(
    clinic: Clinic, patient_form: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic.services.patients.register(clinic.reception, patient_form)
    clinic.services.close()
    broken = program_migrations()

    @broken(name="0002_test_broken")
    def _broken(db: sqlite_utils.Database) -> None:
        db.execute("CREATE TABLE half_done (id TEXT PRIMARY KEY) STRICT")
        db.execute("UPDATE patients SET last_name = 'Overwritten'")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(migrations_module, "migrations", broken)
    with pytest.raises(RuntimeError, match="migration bug"):
        open_clinic(clinic.paths, data_key=clinic.key)

    db = open_database(clinic.paths.database, clinic.key)
    try:
        assert "half_done" not in db.table_names()
        assert db.execute("SELECT last_name FROM patients").fetchall() == [("O'Brien",)]
        applied = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations")]
        assert applied == SHIPPED_MIGRATIONS
        assert integrity_ok(db)
    finally:
        db.close()


@pytest.fixture
def too_new(clinic: Clinic) -> Paths:
    """A clinic whose database a newer ClinicDesk has migrated."""
    clinic.services.db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [MIGRATION_SET, "0099_from_the_future", "2030-01-01 00:00:00+00:00"],
    )
    clinic.services.close()
    return clinic.paths


def test_newer_database_is_refused_and_left_unchanged(too_new: Paths, clinic: Clinic) -> None:
    before = file_digest(too_new.database)
    backups_before = sorted(too_new.backups_dir.iterdir())
    with pytest.raises(DatabaseTooNew, match="newer version of ClinicDesk") as caught:
        open_clinic(too_new, data_key=clinic.key)
    assert "0099_from_the_future" in caught.value.message
    assert "nothing was changed" in caught.value.message
    assert file_digest(too_new.database) == before
    assert sorted(too_new.backups_dir.iterdir()) == backups_before


def test_cli_on_a_newer_database_exits_2_with_one_line(
    too_new: Paths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_PASSWORD", "correct horse")
    before = file_digest(too_new.database)
    code = main(["--data-dir", str(too_new.data_dir), "--user", "admin", "patients", "search", "x"])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "newer version of ClinicDesk" in lines[0]
    assert "Traceback" not in captured.err
    assert captured.out == ""
    assert file_digest(too_new.database) == before
