"""What the outcomes audit reads, in a few set-based queries (never one per patient).

Each treated patient's *first* treatment (``FIRST_TREATMENTS``: the earliest live treatment,
ties by creation order), with what the breakdowns need: sex, date of birth, age at onset,
classifications, hair treatments started before it, the 6-month follow-up's status, and the
ids of the few visits the audit looks at (the baseline and the visits nearest 1, 3, 6 and 12
months, chosen from plain rows: a clinic of 5,000 treated patients has some 20,000 visits,
and building them all as assessments took seconds), with the treated regions' measures by
visit. Restricted records (an erasure request) are left out, as from every list. Read-only:
the service owns permissions and audit.
"""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from clinicdesk.domain.outcomes_measured import MEASURES, chosen_visits
from clinicdesk.storage.database import Database
from clinicdesk.storage.patients import NOT_RESTRICTED

# Driven from the treatments (a few thousand), not the patients (a hundred thousand): the
# restricted records are looked up in ``erasure_requests`` by the treatment's patient.
FIRST_TREATMENTS = """first AS (
    SELECT id, patient_id, treated_on, treated_zones, kit_lot, clinician_id, treatment_site_id
    FROM (
        SELECT t.id, t.patient_id, t.treated_on, t.treated_zones, t.kit_lot, t.clinician_id,
            t.treatment_site_id,
            row_number() OVER (
                PARTITION BY t.patient_id ORDER BY t.treated_on, t.created_at, t.id
            ) AS n
        FROM treatments t
        WHERE t.deleted_at IS NULL
            AND t.patient_id NOT IN (SELECT patient_id FROM erasure_requests)
    )
    WHERE n = 1
)"""

# Rows of patients ever treated (a superset: what is not a first treatment's is dropped in
# Python); the treatments_by_patient index answers it without reading the treatments.
_TREATED = "patient_id IN (SELECT patient_id FROM treatments)"


# The live visits of patients ever treated (date, when recorded, id, patient: by patient, each
# one's in visit order), and the audit's measures of every live row of one region (its code)
# where it has either: both answered from the covering indexes of ``storage.outcome_indexes``
# alone, in their order.
VISITS_QUERY = (
    "SELECT visit_date, created_at, id, patient_id FROM assessments "
    f"WHERE deleted_at IS NULL AND {_TREATED} "
    "ORDER BY patient_id, visit_date, created_at, id"  # the index's order: no sorting
)
REGIONS_QUERY = (
    f"SELECT assessment_id, {', '.join(MEASURES)} FROM assessment_regions "
    "WHERE region = ? AND deleted_at IS NULL AND "
    f"({' OR '.join(f'{name} IS NOT NULL' for name in MEASURES)})"
)

# One region's MEASURES at one visit (a row as read, less the visit id).
Measures = tuple[float | None, ...]


class FirstTreatment(NamedTuple):  # a named tuple: one per treated patient, made quickly
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
    visits: dict[str, dict[int, str]]  # treatment -> the visits looked at (VISITS -> id)
    measures: dict[str, dict[str, Measures]]  # region code -> visit id -> MEASURES


@dataclass(frozen=True)
class PatientLine:
    patient_id: str
    last_name: str
    first_name: str
    date_of_birth: date


class OutcomeRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def rows(self) -> OutcomeRows:
        users = dict(self.db.execute("SELECT id, display_name FROM users").fetchall())
        zone_lists: dict[str, tuple[str, ...]] = {}  # as stored -> read (few combinations)
        sites = dict(self.db.execute("SELECT id, name FROM sites").fetchall())
        treatments = [
            FirstTreatment(
                tid,
                pid,
                date.fromisoformat(treated_on),
                zone_lists.get(zones) or zone_lists.setdefault(zones, tuple(json.loads(zones))),
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
            ) in self.db.execute(
                f"WITH {FIRST_TREATMENTS} SELECT f.id, f.patient_id, f.treated_on, "
                "f.treated_zones, f.kit_lot, "
                "f.clinician_id, f.treatment_site_id, p.sex, p.date_of_birth, m.age_at_onset "
                # CROSS JOIN keeps this order: SQLite otherwise scans all the patients and
                # probes the first treatments (100,000 rows read for 5,000).
                "FROM first f CROSS JOIN patients p ON p.id = f.patient_id "
                "LEFT JOIN medical_histories m ON m.patient_id = f.patient_id "
                "AND m.deleted_at IS NULL ORDER BY f.treated_on, f.patient_id"
            )
        ]
        first = {t.patient_id: t for t in treatments}
        classifications: dict[str, list[tuple[str, str, date]]] = {}
        for pid, scale, grade, on in self.db.execute(
            "SELECT patient_id, scale, grade, assessed_on FROM classifications "
            f"WHERE deleted_at IS NULL AND {_TREATED} ORDER BY assessed_on, created_at"
        ):
            if pid in first:
                classifications.setdefault(pid, []).append((scale, grade, date.fromisoformat(on)))
        prior: dict[str, list[str]] = {}
        for pid, drug, started in self.db.execute(
            "SELECT patient_id, drug, started_on FROM hair_treatments "
            f"WHERE deleted_at IS NULL AND {_TREATED} ORDER BY created_at"
        ):
            treated = first.get(pid)
            if treated is not None and (
                started is None or started <= treated.treated_on.isoformat()
            ):
                prior.setdefault(pid, []).append(drug)
        treatment_ids = {t.treatment_id for t in treatments}
        follow_ups = {
            tid: status
            for tid, status in self.db.execute(
                "SELECT treatment_id, status FROM follow_ups "
                "WHERE kind = 'month_6' AND deleted_at IS NULL ORDER BY created_at"
            )
            if tid in treatment_ids
        }
        return OutcomeRows(
            treatments, classifications, prior, follow_ups, *self._visits(treatments)
        )

    def _visits(
        self, treatments: Sequence[FirstTreatment]
    ) -> tuple[dict[str, dict[int, str]], dict[str, dict[str, Measures]]]:
        """Each first treatment's visits the audit looks at (``chosen_visits``: the baseline
        and the visits nearest 1, 3, 6 and 12 months, by visit id), and the ``MEASURES`` of
        every live visit's regions, by region code and visit id, as plain numbers: building
        every visit of thousands of patients as assessments cost seconds. Two queries, each
        answered from a covering index (``storage.outcome_indexes``): on an encrypted file
        every page read is decrypted, and the indexes have a quarter of the tables' pages.
        The measures are kept as read (a dictionary made in one go, not placed visit by
        visit: that loop over some 40,000 rows was a tenth of the count)."""
        # Each patient's rows as read (date, created at, id, patient), in visit order.
        by_patient: dict[str, list[tuple[str, str, str, str]]] = {
            patient: list(visits)
            for patient, visits in itertools.groupby(
                self.db.execute(VISITS_QUERY), operator.itemgetter(3)
            )
        }
        chosen = {
            t.treatment_id: chosen_visits(by_patient.get(t.patient_id, ()), t.treated_on)
            for t in treatments
        }
        # Region by region, only those some treatment treated (not the untreated reference,
        # usually). Of two live rows of one region at one visit, the last read counts.
        codes = sorted(set().union(*{t.zones for t in treatments}))
        measures = {
            region: {row[0]: row[1:] for row in self.db.execute(REGIONS_QUERY, [region])}
            for region in codes
        }
        return chosen, measures

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
