"""The 0002_clinical_records tables: record conventions, STRICT, and the lot indexes in use."""

from __future__ import annotations

import pytest

from clinicdesk.storage.clinical import LOT_TREATMENT_IDS
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.migrations import RECORD_COLUMNS, known_migration_names
from tests.conftest import Clinic

TABLES = ("consultations", "treatments", "treatment_overrides", "adverse_events", "follow_ups")
CONVENTION = [line.split()[0] for line in RECORD_COLUMNS.strip().splitlines()]


def test_clinical_migration_follows_foundation() -> None:
    names = known_migration_names()
    assert names.index("0002_clinical_records") == names.index("0001_foundation") + 1


@pytest.mark.parametrize("table", TABLES)
def test_clinical_tables_follow_the_record_conventions(clinic: Clinic, table: str) -> None:
    db = clinic.services.db
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
    assert columns[: len(CONVENTION)] == CONVENTION
    assert "patient_id" in columns
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
    assert sql.rstrip().endswith("STRICT")


def test_lot_look_up_uses_the_lot_indexes(clinic: Clinic) -> None:
    plan = " ".join(
        str(row[-1])
        for row in clinic.services.db.execute(
            f"EXPLAIN QUERY PLAN {LOT_TREATMENT_IDS}",
            ["x", "x"],
        )
    )
    assert "treatments_by_kit_lot" in plan and "treatments_by_anaesthetic_lot" in plan


def test_out_of_range_punches_are_refused_by_the_table_too(clinic: Clinic) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        clinic.services.db.execute(
            "INSERT INTO treatments (id, created_at, updated_at, created_by, updated_by, site_id, "
            "patient_id, treated_on, treatment_site_id, clinician_id, consent_taken_by_id, "
            "punches, punch_diameter_mm, donor_site, kit_name, kit_lot, anaesthetic_name, "
            "anaesthetic_dose, anaesthetic_dose_unit, anaesthetic_lot, suspension_volume_ml, "
            "treated_zones, injection_points, duration_minutes) VALUES ('t', 'a', 'a', 'u', 'u', "
            "'s', 'p', '2025-01-01', 's', 'u', 'u', 11, 2.5, 'o', 'k', 'l', 'a', 1, 'mL', 'l', 1, "
            "'[]', 1, 1)"
        )
