"""Two covering indexes for the outcomes audit (migration 0016).

The audit reads every live visit of the treated patients (by patient: the day, when recorded
and the id) and the two measures it judges (``domain.outcomes.CHANGE_MEASURES``: terminal
density and mean shaft diameter) of every live region measured. From the tables themselves
that decrypts every page of ``assessment_regions`` (some 4,600 pages on a clinic of 5,000
treated patients, each row carrying all twelve measures) and one page per visit of
``assessments``; these indexes hold just those columns, a quarter of the pages, in the order
the audit reads them. ``deleted_at`` is a column (not a partial index's condition) so that
SQLite answers from the index alone. Indexes only: no table or column changes, so sync's
positional changesets are unaffected.
"""

from __future__ import annotations

MIGRATION_NAME = "0016_outcome_indexes"
ASSESSMENTS_INDEX = "assessments_for_outcomes"
REGIONS_INDEX = "assessment_regions_for_outcomes"
SCHEMA = [
    f"CREATE INDEX {ASSESSMENTS_INDEX} ON assessments "
    "(patient_id, deleted_at, visit_date, created_at, id)",
    f"CREATE INDEX {REGIONS_INDEX} ON assessment_regions "
    "(region, deleted_at, assessment_id, terminal_density, mean_diameter_um)",
]
