"""Rows of ``photo_grades`` (blinded photo grades, ``domain.grading``) and the look-ups the
grading session needs: the treated patients' photos of the graded views, who treated whom and
how many clinicians the clinic has.

Patients archived or restricted (an erasure request) are left out of grading: their records
are not processed further.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from clinicdesk.domain.grading import Grade, Side
from clinicdesk.domain.photos import View
from clinicdesk.storage.database import Database
from clinicdesk.storage.records import Actor, insert_record

_COLUMNS = (
    "id",
    "patient_id",
    "before_photo_id",
    "after_photo_id",
    "view",
    "grader_id",
    "before_side",
    "shown_score",
    "score",
    "created_at",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM photo_grades"
# Live patients without an erasure request.
_GRADABLE_PATIENT = (
    "SELECT id FROM patients WHERE deleted_at IS NULL "
    "AND id NOT IN (SELECT patient_id FROM erasure_requests)"
)


def _grade(row: Sequence[Any]) -> Grade:
    r = dict(zip(_COLUMNS, row, strict=True))
    return Grade(
        id=r["id"],
        patient_id=r["patient_id"],
        before_photo_id=r["before_photo_id"],
        after_photo_id=r["after_photo_id"],
        view=View(r["view"]),
        grader_id=r["grader_id"],
        before_side=Side(r["before_side"]),
        shown_score=r["shown_score"],
        score=r["score"],
        graded_at=r["created_at"],
    )


class PhotoGradeRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(
        self,
        *,
        patient_id: str,
        treatment_id: str | None,
        before_photo_id: str,
        after_photo_id: str,
        view: View,
        before_side: Side,
        shown_score: int,
        score: int,
        actor: Actor,
    ) -> str:
        """A grade by ``actor`` (the grader)."""
        return insert_record(
            self.db,
            "photo_grades",
            {
                "patient_id": patient_id,
                "treatment_id": treatment_id,
                "before_photo_id": before_photo_id,
                "after_photo_id": after_photo_id,
                "view": view.value,
                "grader_id": actor.user_id,
                "before_side": before_side.value,
                "shown_score": shown_score,
                "score": score,
            },
            actor,
        )

    def get(self, grade_id: str) -> Grade | None:
        row = self.db.execute(f"{_SELECT} WHERE id = ?", [grade_id]).fetchone()
        return _grade(row) if row else None

    def all(self) -> list[Grade]:
        """Every live grade, oldest first."""
        rows = self.db.execute(f"{_SELECT} WHERE deleted_at IS NULL ORDER BY created_at, id")
        return [_grade(row) for row in rows]

    def graded_by(self, grader_id: str) -> set[tuple[str, str]]:
        """The pairs (before photo id, after photo id) ``grader_id`` has graded."""
        rows = self.db.execute(
            "SELECT before_photo_id, after_photo_id FROM photo_grades "
            "WHERE grader_id = ? AND deleted_at IS NULL",
            [grader_id],
        )
        return {(str(b), str(a)) for b, a in rows}

    def for_after_visit(self, patient_id: str, visit_date: date) -> list[Grade]:
        """The patient's live grades of pairs whose after photo was taken at ``visit_date``."""
        rows = self.db.execute(
            f"{_SELECT} WHERE deleted_at IS NULL AND patient_id = ? AND after_photo_id IN "
            "(SELECT id FROM photos WHERE patient_id = ? AND visit_date = ? "
            "AND deleted_at IS NULL) ORDER BY created_at, id",
            [patient_id, patient_id, visit_date.isoformat()],
        )
        return [_grade(row) for row in rows]

    # -- what there is to grade -----------------------------------------------------------

    def first_treatments(self) -> dict[str, tuple[str, date]]:
        """Per gradable treated patient: their first live treatment's id and day."""
        rows = self.db.execute(
            "SELECT patient_id, id, min(treated_on) FROM treatments WHERE deleted_at IS NULL "
            f"AND patient_id IN ({_GRADABLE_PATIENT}) GROUP BY patient_id"
        )
        return {str(p): (str(t), date.fromisoformat(day)) for p, t, day in rows}

    def treated_by(self, clinician_id: str) -> set[str]:
        """The patients ``clinician_id`` treated (a live treatment as its clinician)."""
        rows = self.db.execute(
            "SELECT DISTINCT patient_id FROM treatments WHERE deleted_at IS NULL "
            "AND clinician_id = ?",
            [clinician_id],
        )
        return {str(row[0]) for row in rows}

    def clinician_count(self) -> int:
        """Clinicians with an account in use (disabled accounts left out)."""
        row = self.db.execute(
            "SELECT count(*) FROM users WHERE role = 'clinician' AND deleted_at IS NULL"
        ).fetchone()
        return int(row[0])

    def display_names(self) -> dict[str, str]:
        return {str(i): str(n) for i, n in self.db.execute("SELECT id, display_name FROM users")}
