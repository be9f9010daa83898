"""The schema, as an append-only list of migrations (sqlite-utils ``Migrations``).

Never edit or reorder a migration that has shipped: add a new one. Sync changesets are
positional, so later migrations only add tables or append columns.

Every record table follows the sync-ready conventions: a UUIDv7 ``id``, created/updated at/by,
``site_id`` (where the row was made), ``version`` for optimistic concurrency and ``deleted_at``
for archiving; STRICT; explicit columns only. ``local_state`` is the one exception: it holds
facts about this installation (which site it is) and is never replicated.

Before applying anything to an existing database, ``migrate`` takes a ``VACUUM INTO`` backup;
a database that has migrations this program does not know is refused (it is newer).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from clinicdesk.errors import DatabaseTooNew
from clinicdesk.storage.database import (
    StorageError,
    backup_to,
    describe_sqlite_error,
    write_transaction,
)
from clinicdesk.storage.driver import sqlite3

log = logging.getLogger(__name__)

MIGRATION_SET = "clinicdesk"
migrations = Migrations(MIGRATION_SET)

RECORD_COLUMNS = """
    id TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    site_id TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    deleted_at TEXT"""


def _record_table(name: str, columns: str) -> str:
    return f"CREATE TABLE {name} ({RECORD_COLUMNS},\n{columns}\n) STRICT"


@migrations(name="0001_foundation")
def _foundation(db: sqlite_utils.Database) -> None:
    statements = [
        "CREATE TABLE local_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT",
        _record_table(
            "sites",
            """    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('main', 'satellite'))""",
        ),
        _record_table(
            "users",
            """    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'reception')),
    password_hash TEXT NOT NULL,
    registration_number TEXT NOT NULL DEFAULT ''""",
        ),
        _record_table(
            "settings",
            """    key TEXT NOT NULL UNIQUE,
    value TEXT NOT NULL""",
        ),
        _record_table(
            "patients",
            """    title TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    preferred_name TEXT NOT NULL DEFAULT '',
    date_of_birth TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('F', 'M', 'X')),
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    address_line1 TEXT NOT NULL DEFAULT '',
    address_line2 TEXT NOT NULL DEFAULT '',
    town TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    gp_practice TEXT NOT NULL DEFAULT '',
    nhs_number TEXT NOT NULL DEFAULT '',
    emergency_contact_name TEXT NOT NULL DEFAULT '',
    emergency_contact_phone TEXT NOT NULL DEFAULT '',
    home_site_id TEXT REFERENCES sites(id)""",
        ),
        "CREATE INDEX patients_by_name ON patients "
        "(last_name COLLATE NOCASE, first_name COLLATE NOCASE, id)",
        "CREATE INDEX patients_by_nhs_number ON patients (nhs_number) WHERE nhs_number != ''",
        # Counting live patients reads this small index instead of every (encrypted) page.
        "CREATE INDEX patients_by_archived ON patients (deleted_at)",
        _record_table(
            "medical_histories",
            """    patient_id TEXT NOT NULL UNIQUE REFERENCES patients(id),
    pcos INTEGER NOT NULL DEFAULT 0,
    iron_deficiency INTEGER NOT NULL DEFAULT 0,
    telogen_triggers TEXT NOT NULL DEFAULT '',
    family_history TEXT NOT NULL DEFAULT '',
    age_at_onset INTEGER,
    expectations TEXT NOT NULL DEFAULT '',
    body_dysmorphic_concern INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT ''""",
        ),
        _record_table(
            "hair_treatments",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    drug TEXT NOT NULL,
    dose TEXT NOT NULL DEFAULT '',
    started_on TEXT,
    stopped_on TEXT,
    response TEXT NOT NULL,
    side_effects TEXT NOT NULL DEFAULT ''""",
        ),
        _record_table(
            "red_flags",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    code TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''""",
        ),
        _record_table(
            "allergies",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    substance TEXT NOT NULL,
    reaction TEXT NOT NULL DEFAULT ''""",
        ),
        _record_table(
            "medications",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    name TEXT NOT NULL,
    dose TEXT NOT NULL DEFAULT ''""",
        ),
        _record_table(
            "lab_results",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    test TEXT NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    taken_on TEXT NOT NULL""",
        ),
        _record_table(
            "classifications",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    scale TEXT NOT NULL,
    grade TEXT NOT NULL,
    assessed_on TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''""",
        ),
        *[
            f"CREATE INDEX {table}_by_patient ON {table} (patient_id)"
            for table in (
                "hair_treatments",
                "red_flags",
                "allergies",
                "medications",
                "lab_results",
                "classifications",
            )
        ],
        """CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    seq INTEGER NOT NULL UNIQUE,
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT""",
        "CREATE INDEX audit_by_entity ON audit_log (entity, entity_id)",
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
        # The search index, kept in step with patients by PatientRepository in the same
        # transaction and rebuildable from them. patient_search_rows gives each patient a
        # stable integer key for its FTS row, so re-indexing one patient deletes by rowid
        # instead of scanning the whole index (patient_id is UNINDEXED in FTS5).
        """CREATE TABLE patient_search_rows (
    search_rowid INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL UNIQUE REFERENCES patients(id)
) STRICT""",
        """CREATE VIRTUAL TABLE patient_search USING fts5(
    patient_id UNINDEXED, names, date_of_birth, phone, email, nhs_number,
    tokenize = 'unicode61 remove_diacritics 2'
)""",
    ]
    for statement in statements:
        db.execute(statement)


def known_migration_names() -> list[str]:
    return [m.name for m in migrations._migrations]


def schema_version(db: sqlite_utils.Database) -> int:
    """How many migrations have been applied: the schema version sync compares."""
    return len(migrations.applied(db))


def pending_migration_names(db: sqlite_utils.Database) -> list[str]:
    """The migrations this program would apply to ``db`` (none when it is up to date).

    A file too damaged to read its list of applied migrations raises ``StorageError``.
    """
    try:
        return [m.name for m in migrations.pending(db)]
    except sqlite3.DatabaseError as exc:
        raise StorageError(describe_sqlite_error(exc)) from exc


def migrate(db: sqlite_utils.Database, backups_dir: Path) -> Path | None:
    """Bring ``db`` up to date. Returns the path of the backup taken first, if one was needed.

    Raises ``DatabaseTooNew`` (and changes nothing) when the database has migrations this
    program does not know.
    """
    applied = [m.name for m in migrations.applied(db)]
    unknown = [name for name in applied if name not in known_migration_names()]
    if unknown:
        raise DatabaseTooNew(
            "This database was last used by a newer version of ClinicDesk "
            f"(it has schema change {unknown[-1]!r}, which this version does not know). "
            "Install the newer ClinicDesk to open it; nothing was changed."
        )
    pending = migrations.pending(db)
    if not pending:
        return None
    backup: Path | None = None
    if db.table_names():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = backup_to(db, backups_dir / f"before-{pending[0].name}-{stamp}.db")
        log.info("backed up database before migrating to %s", backup.name)
    with write_transaction(db):
        migrations.apply(db)
    log.info("applied %d migration(s)", len(pending))
    return backup
