"""The 0005_consents migration: applied to a database made by the previous release (photos keep
their rows and gain the marketing mark), and the table rules that back the service's checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
from sqlite_utils.migrations import Migrations

from clinicdesk.storage import migrations as migrations_module
from clinicdesk.storage.database import open_database
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.migrations import (
    MIGRATION_SET,
    RECORD_COLUMNS,
    known_migration_names,
    migrate,
)

CONVENTION = [line.split()[0] for line in RECORD_COLUMNS.strip().splitlines()]
STAMP = "2025-01-01T00:00:00.000Z"
SHA = "ab" * 32


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = open_database(tmp_path / "clinicdesk.db")
    yield database
    database.close()


def insert(db: sqlite_utils.Database, table: str, values: dict[str, object]) -> None:
    """A row with the bookkeeping columns filled in (id ``<table>-1`` unless given)."""
    row: dict[str, object] = {
        "id": f"{table}-1",
        "created_at": STAMP,
        "updated_at": STAMP,
        "created_by": "u",
        "updated_by": "u",
        "site_id": "s",
        **values,
    }
    marks = ", ".join("?" for _ in row)
    db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", list(row.values()))


def test_the_previous_release_gains_the_consent_tables_and_keeps_its_photos(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    names = known_migration_names()
    assert names.index("0005_consents") == names.index("0004_photos") + 1
    previous = Migrations(MIGRATION_SET)
    for existing in migrations_module.migrations._migrations:
        if existing.name != "0005_consents":
            previous(name=existing.name)(existing.fn)
    previous.apply(db)
    insert(
        db,
        "patients",
        {"first_name": "Zoë", "last_name": "Ng", "date_of_birth": "1980-01-01", "sex": "F"},
    )
    insert(
        db,
        "photos",
        {
            "patient_id": "patients-1",
            "sha256": SHA,
            "size_bytes": 1,
            "width": 1,
            "height": 1,
            "format": "JPEG",
            "visit_date": "2025-01-01",
            "taken_at": "2025-01-01T10:00:00",
            "taken_at_source": "exif",
        },
    )

    assert migrate(db, tmp_path / "backups") is not None  # backed up first
    assert {"consents", "photo_consent_scopes", "documents"} <= set(db.table_names())
    for table in ("consents", "photo_consent_scopes", "documents"):
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        assert columns[: len(CONVENTION)] == CONVENTION
    assert db.execute("SELECT consent_scope, marketing_withdrawn_on FROM photos").fetchall() == [
        ("clinical_record", None)
    ]


def test_a_signed_consent_must_say_when_and_by_whom(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    migrate(db, tmp_path / "backups")
    insert(
        db,
        "patients",
        {"first_name": "Zoë", "last_name": "Ng", "date_of_birth": "1980-01-01", "sex": "F"},
    )
    consent = {
        "patient_id": "patients-1",
        "kind": "procedure",
        "template_id": "micrograft-consent",
        "template_version": 1,
        "template_hash": SHA,
        "prepared_on": "2025-01-01",
    }
    with pytest.raises(sqlite3.IntegrityError):
        insert(db, "consents", consent | {"status": "signed"})
    with pytest.raises(sqlite3.IntegrityError):
        insert(db, "consents", consent | {"status": "prepared", "template_hash": "short"})
    insert(db, "consents", consent | {"status": "prepared"})
    scope = {"consent_id": "consents-1", "patient_id": "patients-1", "scope": "marketing"}
    with pytest.raises(sqlite3.IntegrityError):  # refused, yet dated
        insert(db, "photo_consent_scopes", scope | {"granted": 0, "granted_on": "2025-01-02"})
    insert(db, "photo_consent_scopes", scope | {"granted": 0})
    with pytest.raises(sqlite3.IntegrityError):  # one row per scope of a consent
        insert(db, "photo_consent_scopes", scope | {"id": "second", "granted": 1})
