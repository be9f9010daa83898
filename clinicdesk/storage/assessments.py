"""Trichoscopy assessments and their per-region measurements, in SQL.

An assessment row holds the visit; ``assessment_regions`` one row per region measured. Saving
an assessment bumps its version (optimistic concurrency on the visit as a whole) and brings the
region rows in line: changed ones updated, new ones inserted, dropped ones archived. A region
measured again after being dropped revives its archived row, so (assessment, region) stays
unique.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from clinicdesk.domain.assessments import (
    MEASURES,
    Assessment,
    AssessmentDetails,
    AssessmentSource,
    Region,
    RegionMeasurement,
)
from clinicdesk.domain.ids import PatientId, SiteId, UserId, utc_now
from clinicdesk.storage.database import Database
from clinicdesk.storage.records import Actor, insert_record, update_record

_MEASURE_COLUMNS = [m.name for m in MEASURES]
_REGION_COLUMNS = ["id", "region", "measurement_site", *_MEASURE_COLUMNS]
_COLUMNS = [
    "id",
    "patient_id",
    "version",
    "site_id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "visit_date",
    "visit_site_id",
    "clinician_id",
    "treatment_id",
    "pull_test_pulled",
    "pull_test_of",
    "satisfaction",
    "global_photo_score",
    "photo_score_blinded",
    "source",
    "notes",
]


def _visit_values(details: AssessmentDetails) -> dict[str, Any]:
    return {
        "visit_date": details.visit_date.isoformat(),
        "visit_site_id": details.visit_site_id,
        "clinician_id": details.clinician_id,
        "treatment_id": details.treatment_id,
        "pull_test_pulled": details.pull_test_pulled,
        "pull_test_of": details.pull_test_of,
        "satisfaction": details.satisfaction,
        "global_photo_score": details.global_photo_score,
        "photo_score_blinded": int(details.photo_score_blinded),
        "source": details.source.value,
        "notes": details.notes,
    }


def _region_values(measured: RegionMeasurement) -> dict[str, Any]:
    return {
        "region": measured.region.value,
        "measurement_site": measured.measurement_site,
        **{name: measured.value(name) for name in _MEASURE_COLUMNS},
    }


class AssessmentRepository:
    """SQL for assessments. Writers must run inside ``write_transaction``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, patient_id: PatientId, details: AssessmentDetails, actor: Actor) -> str:
        assessment_id = insert_record(
            self.db, "assessments", {"patient_id": patient_id, **_visit_values(details)}, actor
        )
        self._save_regions(assessment_id, details.regions, actor)
        return assessment_id

    def update(
        self, assessment_id: str, expected_version: int, details: AssessmentDetails, actor: Actor
    ) -> bool:
        if not update_record(
            self.db, "assessments", assessment_id, expected_version, _visit_values(details), actor
        ):
            return False
        self._save_regions(assessment_id, details.regions, actor)
        return True

    def _save_regions(
        self, assessment_id: str, regions: tuple[RegionMeasurement, ...], actor: Actor
    ) -> None:
        existing = {
            Region(r[1]): (r[0], r[2], r[3])
            for r in self.db.execute(
                "SELECT id, region, version, deleted_at FROM assessment_regions "
                "WHERE assessment_id = ?",
                [assessment_id],
            )
        }
        for measured in regions:
            values = _region_values(measured)
            if measured.region in existing:
                row_id, version, _deleted = existing.pop(measured.region)
                # The parent's version already guards this save; the row's own version just
                # moves on with it.
                update_record(
                    self.db,
                    "assessment_regions",
                    row_id,
                    version,
                    {**values, "deleted_at": None},
                    actor,
                )
            else:
                insert_record(
                    self.db,
                    "assessment_regions",
                    {"assessment_id": assessment_id, **values},
                    actor,
                )
        for row_id, version, deleted in existing.values():
            if deleted is None:
                update_record(
                    self.db, "assessment_regions", row_id, version, {"deleted_at": utc_now()}, actor
                )

    def get(self, assessment_id: str) -> Assessment | None:
        row = self.db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM assessments WHERE id = ? AND deleted_at IS NULL",
            [assessment_id],
        ).fetchone()
        return self._assessment(row) if row else None

    def for_patient(self, patient_id: str) -> list[Assessment]:
        """The patient's live assessments, oldest visit first."""
        rows = self.db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM assessments "
            "WHERE patient_id = ? AND deleted_at IS NULL ORDER BY visit_date, created_at, id",
            [patient_id],
        ).fetchall()
        return [self._assessment(r) for r in rows]

    def visit_dates(self, patient_id: str) -> set[date]:
        return {
            date.fromisoformat(r[0])
            for r in self.db.execute(
                "SELECT visit_date FROM assessments WHERE patient_id = ? AND deleted_at IS NULL",
                [patient_id],
            )
        }

    def region_row(self, region_id: str) -> tuple[str, Region] | None:
        """The assessment and region an ``assessment_regions`` row belongs to."""
        row = self.db.execute(
            "SELECT assessment_id, region FROM assessment_regions WHERE id = ?", [region_id]
        ).fetchone()
        return None if row is None else (str(row[0]), Region(row[1]))

    def archive(self, assessment_id: str, expected_version: int, actor: Actor) -> bool:
        return update_record(
            self.db,
            "assessments",
            assessment_id,
            expected_version,
            {"deleted_at": utc_now()},
            actor,
        )

    def treatment_belongs_to(self, treatment_id: str, patient_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM treatments WHERE id = ? AND patient_id = ? AND deleted_at IS NULL",
            [treatment_id, patient_id],
        ).fetchone()
        return row is not None

    def treatment_date(self, treatment_id: str) -> date | None:
        row = self.db.execute(
            "SELECT treated_on FROM treatments WHERE id = ? AND deleted_at IS NULL", [treatment_id]
        ).fetchone()
        return date.fromisoformat(row[0]) if row else None

    def first_treatment_date(self, patient_id: str) -> date | None:
        """The patient's first (live) treatment day: the default for the baseline."""
        row = self.db.execute(
            "SELECT min(treated_on) FROM treatments WHERE patient_id = ? AND deleted_at IS NULL",
            [patient_id],
        ).fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    def is_clinician(self, user_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM users WHERE id = ? AND role = 'clinician'", [user_id]
        ).fetchone()
        return row is not None

    def _regions(self, assessment_id: str) -> tuple[RegionMeasurement, ...]:
        rows = self.db.execute(
            f"SELECT {', '.join(_REGION_COLUMNS)} FROM assessment_regions "
            "WHERE assessment_id = ? AND deleted_at IS NULL",
            [assessment_id],
        ).fetchall()
        measured = []
        for row in rows:
            data = dict(zip(_REGION_COLUMNS, row, strict=True))
            measured.append(
                RegionMeasurement(
                    region=Region(data["region"]),
                    measurement_site=data["measurement_site"],
                    id=data["id"],
                    **{name: data[name] for name in _MEASURE_COLUMNS},
                )
            )
        measured.sort(key=lambda m: list(Region).index(m.region))
        return tuple(measured)

    def _assessment(self, row: Any) -> Assessment:
        data = dict(zip(_COLUMNS, row, strict=True))
        details = AssessmentDetails(
            visit_date=date.fromisoformat(data["visit_date"]),
            regions=self._regions(data["id"]),
            visit_site_id=SiteId(data["visit_site_id"]),
            clinician_id=UserId(data["clinician_id"]),
            treatment_id=data["treatment_id"],
            pull_test_pulled=data["pull_test_pulled"],
            pull_test_of=data["pull_test_of"],
            satisfaction=data["satisfaction"],
            global_photo_score=data["global_photo_score"],
            photo_score_blinded=bool(data["photo_score_blinded"]),
            notes=data["notes"],
            source=AssessmentSource(data["source"]),
        )
        return Assessment(
            id=data["id"],
            patient_id=PatientId(data["patient_id"]),
            details=details,
            version=data["version"],
            site_id=SiteId(data["site_id"]),
            created_at=data["created_at"],
            updated_at=data["updated_at"],
            created_by=UserId(data["created_by"]),
            updated_by=UserId(data["updated_by"]),
        )
