"""The ``photo_grades`` table's schema (migration 0014), apart from ``storage.photo_grades``:
the migrations are imported at every start, the grading domain they would bring only when
someone grades."""

from __future__ import annotations

from collections.abc import Callable

MIGRATION_NAME = "0014_photo_grades"


def schema(record_table: Callable[[str, str], str]) -> list[str]:
    """Migration 0014's statements: one row per pair graded by one grader.

    ``shown_score`` is the grader's answer (the right-hand photo against the left), ``score``
    the grade proper (after against before): the schema keeps the two consistent with the side
    the before was shown on. No UNIQUE on (pair, grader): a grader who grades a pair at two
    sites before they sync keeps both rows, and the earlier counts (a UNIQUE would stop sync).
    """
    views = "'frontal', 'vertex', 'midline_part', 'temporal_left', 'temporal_right'"
    return [
        record_table(
            "photo_grades",
            f"""    patient_id TEXT NOT NULL REFERENCES patients(id),
    treatment_id TEXT REFERENCES treatments(id),
    before_photo_id TEXT NOT NULL REFERENCES photos(id),
    after_photo_id TEXT NOT NULL REFERENCES photos(id),
    view TEXT NOT NULL CHECK (view IN ({views})),
    grader_id TEXT NOT NULL REFERENCES users(id),
    before_side TEXT NOT NULL CHECK (before_side IN ('left', 'right')),
    shown_score INTEGER NOT NULL CHECK (shown_score BETWEEN -3 AND 3),
    score INTEGER NOT NULL CHECK (score BETWEEN -3 AND 3),
    CHECK (score = CASE before_side WHEN 'left' THEN shown_score ELSE -shown_score END),
    CHECK (before_photo_id != after_photo_id)""",
        ),
        "CREATE INDEX photo_grades_by_pair ON photo_grades (before_photo_id, after_photo_id)",
        "CREATE INDEX photo_grades_by_patient ON photo_grades (patient_id)",
    ]
