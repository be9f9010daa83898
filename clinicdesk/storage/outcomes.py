"""What the outcomes audit reads, in a few set-based queries (never one per patient).

Each treated patient's *first* treatment (``FIRST_TREATMENTS``: the earliest live treatment,
ties by creation order), with what the breakdowns need: sex, date of birth, age at onset,
classifications, hair treatments started before it, the 6-month follow-up's status, and their
assessments with only the treated regions (a clinic of 5,000 treated patients reads about
25,000 visits in one pass). Restricted records (an erasure request) are left out, as from
every list. Read-only: the service owns permissions and audit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from clinicdesk.domain.assessments import Assessment, AssessmentDetails, Region, RegionMeasurement
from clinicdesk.domain.ids import PatientId, SiteId, UserId
from clinicdesk.storage.database import Database
from clinicdesk.storage.patients import NOT_RESTRICTED

FIRST_TREATMENTS = f"""first AS (
    SELECT id, patient_id, treated_on, treated_zones, kit_lot, clinician_id, treatment_site_id
    FROM (
        SELECT t.id, t.patient_id, t.treated_on, t.treated_zones, t.kit_lot, t.clinician_id,
            t.treatment_site_id,
            row_number() OVER (
                PARTITION BY t.patient_id ORDER BY t.treated_on, t.created_at, t.id
            ) AS n
        FROM treatments t JOIN patients p ON p.id = t.patient_id
        WHERE t.deleted_at IS NULL{NOT_RESTRICTED}
    )
    WHERE n = 1
)"""

_REGION_COLUMNS = (
    "region, total_density, terminal_density, vellus_density, mean_diameter_um, "
    "thin_hairs_pct, fu_density, hairs_per_fu, measurement_site"
)


@dataclass(frozen=True)
class FirstTreatment:
    treatment_id: str
    patient_id: str
    treated_on: date
    zones: tuple[str, ...]
    kit_lot: str
    clinician: str  # display name
    site: str  # site name
    sex: str
    date_of_birth: date
    age_at_onset: int | None


@dataclass(frozen=True)
class OutcomeRows:
    treatments: list[FirstTreatment]
    classifications: dict[str, list[tuple[str, str, date]]]  # patient -> (scale, grade, on)
    prior_treatments: dict[str, list[str]]  # patient -> drug codes started before
    end_point_follow_ups: dict[str, str]  # treatment -> the 6-month follow-up's status
    assessments: dict[str, list[Assessment]]  # patient -> visits (treated regions only)


@dataclass(frozen=True)
class PatientLine:
    patient_id: str
    last_name: str
    first_name: str
    date_of_birth: date


class OutcomeRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _all(self, sql: str) -> list[Any]:
        return self.db.execute(f"WITH {FIRST_TREATMENTS} {sql}").fetchall()

    def rows(self) -> OutcomeRows:
        users = dict(self.db.execute("SELECT id, display_name FROM users").fetchall())
        sites = dict(self.db.execute("SELECT id, name FROM sites").fetchall())
        treatments = [
            FirstTreatment(
                tid,
                pid,
                date.fromisoformat(treated_on),
                tuple(json.loads(zones)),
                kit_lot,
                users.get(clinician, ""),
                sites.get(site, ""),
                sex,
                date.fromisoformat(born),
                onset,
            )
            for (
                tid,
                pid,
                treated_on,
                zones,
                kit_lot,
                clinician,
                site,
                sex,
                born,
                onset,
            ) in self._all(
                "SELECT f.id, f.patient_id, f.treated_on, f.treated_zones, f.kit_lot, "
                "f.clinician_id, f.treatment_site_id, p.sex, p.date_of_birth, m.age_at_onset "
                "FROM first f JOIN patients p ON p.id = f.patient_id "
                "LEFT JOIN medical_histories m ON m.patient_id = f.patient_id "
                "AND m.deleted_at IS NULL ORDER BY f.treated_on, f.patient_id"
            )
        ]
        classifications: dict[str, list[tuple[str, str, date]]] = {}
        for pid, scale, grade, on in self._all(
            "SELECT c.patient_id, c.scale, c.grade, c.assessed_on FROM classifications c "
            "JOIN first f ON f.patient_id = c.patient_id WHERE c.deleted_at IS NULL "
            "ORDER BY c.assessed_on, c.created_at"
        ):
            classifications.setdefault(pid, []).append((scale, grade, date.fromisoformat(on)))
        prior: dict[str, list[str]] = {}
        for pid, drug in self._all(
            "SELECT h.patient_id, h.drug FROM hair_treatments h "
            "JOIN first f ON f.patient_id = h.patient_id WHERE h.deleted_at IS NULL "
            "AND (h.started_on IS NULL OR h.started_on <= f.treated_on) ORDER BY h.created_at"
        ):
            prior.setdefault(pid, []).append(drug)
        follow_ups = dict(
            self._all(
                "SELECT u.treatment_id, u.status FROM follow_ups u "
                "JOIN first f ON f.id = u.treatment_id "
                "WHERE u.kind = 'month_6' AND u.deleted_at IS NULL ORDER BY u.created_at"
            )
        )
        return OutcomeRows(treatments, classifications, prior, follow_ups, self._assessments())

    def _assessments(self) -> dict[str, list[Assessment]]:
        """Each treated patient's assessments, in visit order, with the regions their first
        treatment treated (the rest are not needed and not read)."""
        rows = self._all(
            "SELECT a.patient_id, a.id, a.visit_date, a.version, a.site_id, a.created_at, "
            "a.updated_at, a.created_by, a.updated_by, "
            + ", ".join(f"r.{c}" for c in _REGION_COLUMNS.split(", "))
            + " FROM first f JOIN assessments a ON a.patient_id = f.patient_id "
            "AND a.deleted_at IS NULL "
            "LEFT JOIN assessment_regions r ON r.assessment_id = a.id AND r.deleted_at IS NULL "
            "AND r.region IN (SELECT value FROM json_each(f.treated_zones)) "
            "ORDER BY a.patient_id, a.visit_date, a.created_at, a.id"
        )
        out: dict[str, list[Assessment]] = {}
        regions = {r.value: r for r in Region}
        current: list[Any] | None = None
        measured: list[RegionMeasurement] = []

        def close() -> None:
            if current is None:
                return
            pid, aid, day, version, site, created, updated, by, updated_by = current
            out.setdefault(pid, []).append(
                Assessment(
                    aid,
                    PatientId(pid),
                    AssessmentDetails(date.fromisoformat(day), tuple(measured)),
                    version,
                    SiteId(site),
                    created,
                    updated,
                    UserId(by),
                    UserId(updated_by),
                )
            )

        for row in rows:
            if current is None or row[1] != current[1]:
                close()
                current, measured = list(row[:9]), []
            if row[9] is not None:
                code, total, terminal, vellus, diameter, thin, fu, per_fu, where = row[9:]
                measured.append(
                    RegionMeasurement(
                        regions[code],
                        total,
                        terminal,
                        vellus,
                        diameter,
                        thin,
                        fu,
                        per_fu,
                        measurement_site=where,
                    )
                )
        close()
        return out

    def patient_lines(self, patient_ids: Sequence[str]) -> list[PatientLine]:
        """Names and dates of birth of ``patient_ids`` (restricted records left out), by
        surname: the list behind a number."""
        rows = self.db.execute(
            "SELECT p.id, p.last_name, p.first_name, p.date_of_birth FROM patients p "
            f"WHERE p.id IN (SELECT value FROM json_each(?)){NOT_RESTRICTED} "
            "ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id",
            [json.dumps(list(patient_ids))],
        ).fetchall()
        return [
            PatientLine(pid, last, first, date.fromisoformat(born))
            for pid, last, first, born in rows
        ]
