"""Migration 0016 adds the outcomes audit's covering indexes to a clinic that has none, and the
audit's reads of visits and measures are answered from them (not by reading every page of the
tables, which on a large encrypted clinic cost most of the screen's budget)."""

from __future__ import annotations

from pathlib import Path

from clinicdesk.storage.database import Database, open_database
from clinicdesk.storage.migrations import known_migration_names, migrate
from clinicdesk.storage.outcome_indexes import ASSESSMENTS_INDEX, MIGRATION_NAME, REGIONS_INDEX
from clinicdesk.storage.outcomes import REGIONS_QUERY, VISITS_QUERY
from tests.storage.migration_sets import program_migrations


def _indexes(db: Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def _before_outcome_indexes(db: Database) -> None:
    program_migrations(before=MIGRATION_NAME).apply(db.utils)


def test_the_migration_is_registered_after_0015() -> None:
    names = known_migration_names()
    assert names.index(MIGRATION_NAME) == names.index("0015_interpreter_language") + 1


def test_an_existing_clinic_gains_the_indexes_and_the_audit_reads_from_them_alone(
    tmp_path: Path,
) -> None:
    db = open_database(tmp_path / "clinicdesk.db")
    try:
        _before_outcome_indexes(db)
        assert not {ASSESSMENTS_INDEX, REGIONS_INDEX} & _indexes(db)

        assert migrate(db, tmp_path / "backups") is not None  # backed up first

        assert {ASSESSMENTS_INDEX, REGIONS_INDEX} <= _indexes(db)
        reads = (
            (VISITS_QUERY, [], ASSESSMENTS_INDEX),
            (REGIONS_QUERY, ["frontal"], REGIONS_INDEX),
        )
        for query, parameters, index in reads:
            plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {query}", parameters))
            assert f"COVERING INDEX {index}" in plan, plan
    finally:
        db.close()
