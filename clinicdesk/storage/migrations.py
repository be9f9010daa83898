"""The schema, as an append-only list of migrations (sqlite-utils ``Migrations``).

Never edit or reorder a migration that has shipped: add a new one. Sync changesets are
positional: later migrations only add tables or append columns (0011, 0012: sync_state).

Every record table follows the sync-ready conventions: a UUIDv7 ``id``, created/updated at/by,
``site_id`` (where the row was made), ``version`` for optimistic concurrency and ``deleted_at``
for archiving; STRICT; explicit columns only. ``local_state`` is the one exception: it holds
facts about this installation (which site it is) and is never replicated.

Before applying anything to an existing database, ``migrate`` takes a ``VACUUM INTO`` backup;
a database that has migrations this program does not know is refused (it is newer).
``MigrationSet`` answers "which are pending?" (asked at every opening) with one query;
sqlite-utils (40 ms to import) is loaded only to apply some.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from clinicdesk.errors import DatabaseTooNew
from clinicdesk.storage import (
    audit_chains,
    interpreter_language,
    outcome_indexes,
    patient_numbers,
    photo_grade_table,
    retention,
    sync_state,
)
from clinicdesk.storage.database import MIGRATION_SET as MIGRATION_SET
from clinicdesk.storage.database import (
    Database,
    StorageError,
    backup_to,
    claim_database,
    describe_sqlite_error,
    write_transaction,
)
from clinicdesk.storage.driver import sqlite3

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

MigrationFunction = Callable[["sqlite_utils.Database"], None]


@dataclass(frozen=True)
class Migration:
    name: str
    fn: MigrationFunction


@dataclass(frozen=True)
class AppliedMigration:
    name: str


class MigrationSet:
    """sqlite-utils ``Migrations``, as far as this module uses it (register, ``applied``,
    ``pending``, ``apply``), recording in the same ``_sqlite_migrations`` table; ``apply``
    hands the work to sqlite-utils itself."""

    table = "_sqlite_migrations"

    def __init__(self, name: str) -> None:
        self.name = name
        self._migrations: list[Migration] = []

    def __call__(self, *, name: str) -> Callable[[MigrationFunction], MigrationFunction]:
        def register(fn: MigrationFunction) -> MigrationFunction:
            if any(m.name == name for m in self._migrations):
                raise ValueError(f"migration {name!r} is already registered")
            self._migrations.append(Migration(name, fn))
            return fn

        return register

    def applied(self, db: Database) -> list[AppliedMigration]:
        """The migrations of this set recorded in ``db``, in the order they were applied."""
        if self.table not in db.table_names():
            return []
        rows = db.execute(
            f"SELECT name FROM {self.table} WHERE migration_set = ? ORDER BY rowid", [self.name]
        )
        return [AppliedMigration(name) for (name,) in rows]

    def pending(self, db: Database) -> list[Migration]:
        done = {m.name for m in self.applied(db)}
        return [m for m in self._migrations if m.name not in done]

    def apply(self, db: Database) -> None:
        from sqlite_utils.migrations import Migrations

        library = Migrations(self.name)
        for migration in self._migrations:
            library(name=migration.name)(migration.fn)
        library.apply(db.utils)


migrations = MigrationSet(MIGRATION_SET)

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


@migrations(name="0002_clinical_records")
def _clinical_records(db: sqlite_utils.Database) -> None:
    """Consultations, treatments (with eligibility overrides), adverse events, follow-ups.

    Coded lists (risks discussed, treated zones) are JSON arrays of codes. Lot numbers are
    indexed case-insensitively for the field-safety-notice look-up ("who had lot X?").
    """
    statements = [
        _record_table(
            "consultations",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    consulted_on TEXT NOT NULL,
    consultation_site_id TEXT NOT NULL REFERENCES sites(id),
    clinician_id TEXT NOT NULL REFERENCES users(id),
    presenting_complaint TEXT NOT NULL DEFAULT '',
    history TEXT NOT NULL DEFAULT '',
    examination TEXT NOT NULL DEFAULT '',
    classification_scale TEXT,
    classification_grade TEXT NOT NULL DEFAULT '',
    plan TEXT NOT NULL DEFAULT '',
    risks_discussed TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(risks_discussed)),
    alternatives_discussed TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(alternatives_discussed)),
    patient_questions TEXT NOT NULL DEFAULT '',
    patient_priorities TEXT NOT NULL DEFAULT '',
    discussed_on TEXT,
    decided_on TEXT""",
        ),
        _record_table(
            "treatments",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    treated_on TEXT NOT NULL,
    treatment_site_id TEXT NOT NULL REFERENCES sites(id),
    clinician_id TEXT NOT NULL REFERENCES users(id),
    consent_taken_by_id TEXT NOT NULL REFERENCES users(id),
    punches INTEGER NOT NULL CHECK (punches BETWEEN 1 AND 10),
    punch_diameter_mm REAL NOT NULL CHECK (punch_diameter_mm BETWEEN 1.0 AND 4.0),
    donor_site TEXT NOT NULL,
    kit_name TEXT NOT NULL,
    kit_lot TEXT NOT NULL,
    anaesthetic_name TEXT NOT NULL,
    anaesthetic_dose REAL NOT NULL,
    anaesthetic_dose_unit TEXT NOT NULL CHECK (anaesthetic_dose_unit IN ('mL', 'mg')),
    anaesthetic_lot TEXT NOT NULL,
    suspension_volume_ml REAL NOT NULL,
    treated_zones TEXT NOT NULL CHECK (json_valid(treated_zones)),
    injection_points INTEGER NOT NULL,
    duration_minutes INTEGER NOT NULL,
    haemostasis TEXT NOT NULL DEFAULT '',
    aftercare_sheet_given INTEGER NOT NULL DEFAULT 0 CHECK (aftercare_sheet_given IN (0, 1)),
    immediate_complications TEXT NOT NULL DEFAULT ''""",
        ),
        _record_table(
            "treatment_overrides",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    treatment_id TEXT NOT NULL REFERENCES treatments(id),
    blocking_reasons TEXT NOT NULL CHECK (json_valid(blocking_reasons)),
    reason TEXT NOT NULL""",
        ),
        _record_table(
            "adverse_events",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    treatment_id TEXT NOT NULL REFERENCES treatments(id),
    onset_on TEXT NOT NULL,
    event_type TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe')),
    action_taken TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    outcome_on TEXT""",
        ),
        _record_table(
            "follow_ups",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    treatment_id TEXT NOT NULL REFERENCES treatments(id),
    kind TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (
        status IN ('not_booked', 'booked', 'attended', 'cancelled', 'did_not_attend')
    ),
    booked_at TEXT,
    notes TEXT NOT NULL DEFAULT ''""",
        ),
        "CREATE INDEX consultations_by_patient ON consultations (patient_id, consulted_on)",
        "CREATE INDEX consultations_by_date ON consultations (consulted_on)",
        "CREATE INDEX treatments_by_patient ON treatments (patient_id, treated_on)",
        "CREATE INDEX treatments_by_date ON treatments (treated_on)",
        "CREATE INDEX treatments_by_kit_lot ON treatments (kit_lot COLLATE NOCASE)",
        "CREATE INDEX treatments_by_anaesthetic_lot ON treatments (anaesthetic_lot COLLATE NOCASE)",
        "CREATE INDEX treatment_overrides_by_treatment ON treatment_overrides (treatment_id)",
        "CREATE INDEX adverse_events_by_patient ON adverse_events (patient_id, onset_on)",
        "CREATE INDEX adverse_events_by_treatment ON adverse_events (treatment_id)",
        "CREATE INDEX follow_ups_by_patient ON follow_ups (patient_id, due_on)",
        "CREATE INDEX follow_ups_by_treatment ON follow_ups (treatment_id)",
        # The reception list: open follow-ups by due date.
        "CREATE INDEX follow_ups_by_due_date ON follow_ups (due_on) "
        "WHERE status NOT IN ('attended', 'cancelled') AND deleted_at IS NULL",
    ]
    for statement in statements:
        db.execute(statement)


@migrations(name="0003_assessments")
def _assessments(db: sqlite_utils.Database) -> None:
    """Trichoscopy assessments: one row per visit, one ``assessment_regions`` row per region.

    Bounds are checked in ``domain.assessments`` (with messages per field); the schema keeps
    the coded values and the one-row-per-region rule. A region removed from an assessment is
    archived (``deleted_at``) and revived if measured again, so the pair stays unique.
    """
    regions = "'frontal', 'mid_scalp', 'vertex', 'temporal_left', 'temporal_right', 'occipital'"
    statements = [
        _record_table(
            "assessments",
            """    patient_id TEXT NOT NULL REFERENCES patients(id),
    visit_date TEXT NOT NULL,
    visit_site_id TEXT NOT NULL REFERENCES sites(id),
    clinician_id TEXT NOT NULL REFERENCES users(id),
    treatment_id TEXT REFERENCES treatments(id),
    pull_test_pulled INTEGER CHECK (pull_test_pulled >= 0),
    pull_test_of INTEGER CHECK (pull_test_of >= 1),
    satisfaction INTEGER CHECK (satisfaction BETWEEN 0 AND 10),
    global_photo_score INTEGER CHECK (global_photo_score BETWEEN -3 AND 3),
    photo_score_blinded INTEGER NOT NULL DEFAULT 0 CHECK (photo_score_blinded IN (0, 1)),
    source TEXT NOT NULL DEFAULT 'typed' CHECK (source IN ('typed', 'csv')),
    notes TEXT NOT NULL DEFAULT ''""",
        ),
        _record_table(
            "assessment_regions",
            f"""    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    region TEXT NOT NULL CHECK (region IN ({regions})),
    measurement_site TEXT NOT NULL DEFAULT '',
    total_density REAL NOT NULL,
    terminal_density REAL NOT NULL,
    vellus_density REAL NOT NULL,
    mean_diameter_um REAL NOT NULL,
    thin_hairs_pct REAL NOT NULL,
    fu_density REAL NOT NULL,
    hairs_per_fu REAL NOT NULL,
    anagen_pct REAL,
    telogen_pct REAL,
    yellow_dots REAL,
    hair_mass REAL,
    UNIQUE (assessment_id, region)""",
        ),
        "CREATE INDEX assessments_by_patient ON assessments (patient_id, visit_date)",
        "CREATE INDEX assessments_by_treatment ON assessments (treatment_id)",
    ]
    for statement in statements:
        db.execute(statement)


@migrations(name="0004_photos")
def _photos(db: sqlite_utils.Database) -> None:
    """Treatment photos: one row per imported original (DESIGN.md "Photos are files, not
    blobs"). The file, named by ``sha256``, is written before the row is committed."""
    views = (
        "'frontal', 'vertex', 'midline_part', 'temporal_left', 'temporal_right', "
        "'occipital_donor', 'trichoscopy'"
    )
    regions = "'frontal', 'mid_scalp', 'vertex', 'temporal_left', 'temporal_right', 'occipital'"
    statements = [
        _record_table(
            "photos",
            f"""    patient_id TEXT NOT NULL REFERENCES patients(id),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    format TEXT NOT NULL CHECK (format IN ('JPEG', 'PNG', 'TIFF', 'HEIF')),
    view TEXT CHECK (view IN ({views})),
    region TEXT CHECK (region IN ({regions})),
    visit_date TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    taken_at_source TEXT NOT NULL CHECK (taken_at_source IN ('exif', 'file')),
    consent_scope TEXT NOT NULL DEFAULT 'clinical_record'
        CHECK (consent_scope IN ('clinical_record', 'teaching', 'marketing')),
    original_name TEXT NOT NULL DEFAULT ''""",
        ),
        "CREATE INDEX photos_by_patient ON photos (patient_id, visit_date)",
        "CREATE INDEX photos_by_sha256 ON photos (sha256)",
    ]
    for statement in statements:
        db.execute(statement)


@migrations(name="0005_consents")
def _consents(db: sqlite_utils.Database) -> None:
    """Consent records, the scopes of photo consents, the log of documents made for patients,
    and the photos' marketing block.

    A photo consent's three scopes are rows of ``photo_consent_scopes`` rather than nine
    columns of ``consents``: each scope is granted or refused, dated and withdrawn on its own,
    so each is its own versioned record (one sync change per withdrawal), and a procedure
    consent carries no empty scope columns. A refused scope is kept (``granted = 0``), so the
    record shows the patient said no. ``documents`` is only ever inserted into: it is the
    record of what was printed (template version and text hash, the PDF's sha256, who, when).
    ``photos.marketing_withdrawn_on`` marks a patient's photos not for marketing from the day
    marketing consent was withdrawn; ``consent_scope`` keeps meaning the widest scope in force
    when the photo was taken.
    """
    scopes = "'clinical_record', 'teaching', 'marketing'"
    sha256 = "length({0}) = 64"
    statements = [
        _record_table(
            "consents",
            f"""    patient_id TEXT NOT NULL REFERENCES patients(id),
    kind TEXT NOT NULL CHECK (kind IN ('procedure', 'photo')),
    template_id TEXT NOT NULL,
    template_version INTEGER NOT NULL CHECK (template_version >= 1),
    template_hash TEXT NOT NULL CHECK ({sha256.format("template_hash")}),
    consultation_id TEXT REFERENCES consultations(id),
    status TEXT NOT NULL CHECK (status IN ('prepared', 'signed', 'withdrawn')),
    prepared_on TEXT NOT NULL,
    signed_on TEXT,
    consent_taken_by_id TEXT REFERENCES users(id),
    witness_name TEXT NOT NULL DEFAULT '',
    interpreter_name TEXT NOT NULL DEFAULT '',
    signature_sha256 TEXT CHECK ({sha256.format("signature_sha256")}),
    scan_sha256 TEXT CHECK ({sha256.format("scan_sha256")}),
    scan_format TEXT CHECK (scan_format IN ('PDF', 'JPEG', 'PNG')),
    scan_name TEXT NOT NULL DEFAULT '',
    withdrawn_on TEXT,
    withdrawal_reason TEXT NOT NULL DEFAULT '',
    CHECK (status = 'prepared' OR (signed_on IS NOT NULL AND consent_taken_by_id IS NOT NULL)),
    CHECK (status != 'withdrawn' OR withdrawn_on IS NOT NULL)""",
        ),
        _record_table(
            "photo_consent_scopes",
            f"""    consent_id TEXT NOT NULL REFERENCES consents(id),
    patient_id TEXT NOT NULL REFERENCES patients(id),
    scope TEXT NOT NULL CHECK (scope IN ({scopes})),
    granted INTEGER NOT NULL CHECK (granted IN (0, 1)),
    granted_on TEXT,
    withdrawn_on TEXT,
    withdrawal_reason TEXT NOT NULL DEFAULT '',
    CHECK (granted = 1 OR (granted_on IS NULL AND withdrawn_on IS NULL)),
    UNIQUE (consent_id, scope)""",
        ),
        _record_table(
            "documents",
            f"""    patient_id TEXT NOT NULL REFERENCES patients(id),
    kind TEXT NOT NULL CHECK (
        kind IN ('consent_form', 'consent_pack', 'progress_report', 'information_sheet')
    ),
    template_id TEXT NOT NULL DEFAULT '',
    template_version INTEGER CHECK (template_version >= 1),
    template_hash TEXT NOT NULL DEFAULT '',
    pdf_sha256 TEXT NOT NULL CHECK ({sha256.format("pdf_sha256")}),
    action TEXT NOT NULL CHECK (action IN ('generated', 'printed', 'saved'))""",
        ),
        "CREATE INDEX consents_by_patient ON consents (patient_id, prepared_on)",
        "CREATE INDEX photo_consent_scopes_by_patient ON photo_consent_scopes (patient_id)",
        "CREATE INDEX documents_by_patient ON documents (patient_id, created_at)",
        "ALTER TABLE photos ADD COLUMN marketing_withdrawn_on TEXT",
    ]
    for statement in statements:
        db.execute(statement)


@migrations(name="0008_password_change_required")
def _password_change_required(db: sqlite_utils.Database) -> None:
    """A flag on each account: set when an administrator creates the account or resets its
    password, cleared when its owner chooses their own. Until then the services refuse that
    account everything but changing its password (the password someone else chose is known
    to them). Existing accounts are not flagged."""
    db.execute(
        "ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0 "
        "CHECK (must_change_password IN (0, 1))"
    )


@migrations(name="0009_erasure_and_retention")
def _erasure_and_retention(db: sqlite_utils.Database) -> None:
    for statement in retention.schema(_record_table):
        db.execute(statement)


@migrations(name=audit_chains.MIGRATION_NAME)
def _per_site_audit_chains(db: sqlite_utils.Database) -> None:
    """One audit chain per site (sync carries each site's entries as sealed); every existing
    entry and seal is kept. The table is rebuilt with the same columns in the same order."""
    audit_chains.migrate_per_site(db)


@migrations(name="0011_sync")
def _sync(db: sqlite_utils.Database) -> None:
    for statement in sync_state.schema(_record_table):
        db.execute(statement)


@migrations(name="0012_installations")
def _installations(db: sqlite_utils.Database) -> None:
    """The clinic's installations, so that several can work for one site: each writes its own
    audit chain (``storage.audit_chains``). Adds a table; nothing existing changes."""
    for statement in sync_state.installations_schema(_record_table):
        db.execute(statement)


@migrations(name=patient_numbers.MIGRATION_NAME)
def _patient_numbers(db: sqlite_utils.Database) -> None:
    """Each site's prefix and address; every patient's clinic number (storage.patient_numbers)."""
    patient_numbers.migrate(db)


@migrations(name=photo_grade_table.MIGRATION_NAME)
def _photo_grades(db: sqlite_utils.Database) -> None:
    """Blinded photo grades (``domain.grading``; ``storage.photo_grade_table``)."""
    for statement in photo_grade_table.schema(_record_table):
        db.execute(statement)


@migrations(name=interpreter_language.MIGRATION_NAME)
def _interpreter_language(db: sqlite_utils.Database) -> None:
    """The language a patient needs an interpreter for ("" for none): one appended column."""
    for statement in interpreter_language.SCHEMA:
        db.execute(statement)


@migrations(name=outcome_indexes.MIGRATION_NAME)
def _outcome_indexes(db: sqlite_utils.Database) -> None:
    """Covering indexes for the outcomes audit (``storage.outcome_indexes``): indexes only."""
    for statement in outcome_indexes.SCHEMA:
        db.execute(statement)


def known_migration_names() -> list[str]:
    return [m.name for m in migrations._migrations]


def schema_version(db: Database) -> int:
    """How many migrations have been applied: the schema version sync compares."""
    return len(migrations.applied(db))


def pending_migration_names(db: Database) -> list[str]:
    """The migrations this program would apply to ``db`` (none when up to date);
    ``StorageError`` for a file too damaged to read its list of applied migrations."""
    try:
        return [m.name for m in migrations.pending(db)]
    except sqlite3.DatabaseError as exc:
        raise StorageError(describe_sqlite_error(exc)) from exc


def migrate(db: Database, backups_dir: Path) -> Path | None:
    """Bring ``db`` up to date. Returns the path of the backup taken first, if one was needed.

    Raises ``DatabaseTooNew`` (nothing changed) when it has migrations this program does not
    know, ``NotClinicDatabase`` for another program's, ``StorageError`` if due but read-only.

    The database's ``PRAGMA application_id`` is set (``claim_database``) without a migration:
    a new file or an older clinic's (which has our migrations table) gets it on its next open.
    """
    claim_database(db)
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
    if db.read_only is not None:
        raise StorageError(
            f"This database must be updated for this version of ClinicDesk first. {db.read_only}"
        )
    backup: Path | None = None
    if db.table_names():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = backup_to(db, backups_dir / f"before-{pending[0].name}-{stamp}.db")
        log.info("backed up database before migrating to %s", backup.name)
    with write_transaction(db):
        migrations.apply(db)
    log.info("applied %d migration(s)", len(pending))
    return backup
