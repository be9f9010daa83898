"""Patients and their medical history, classification and search index, in SQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from clinicdesk.domain.identifiers import phone_digits
from clinicdesk.domain.ids import PatientId, SiteId, UserId, utc_now
from clinicdesk.domain.patient import (
    PATIENT_FIELDS,
    Patient,
    PatientDetails,
    PatientSummary,
    Sex,
)
from clinicdesk.domain.patient_numbers import DIGITS as NUMBER_DIGITS
from clinicdesk.domain.patient_numbers import format_patient_number, typed_patient_number
from clinicdesk.storage.database import Database
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.patient_numbers import next_patient_number
from clinicdesk.storage.records import Actor, insert_record, update_record

# Read and written with an open record, not for the patient list (start-up does without them).
if TYPE_CHECKING:
    from clinicdesk.domain.classification import Classification
    from clinicdesk.domain.medical import MedicalHistory

SUMMARY_COLUMNS = (
    "id, first_name, last_name, preferred_name, date_of_birth, sex, nhs_number, phone, "
    "postcode, deleted_at, patient_number, interpreter_language"
)
# Restricted records (an erasure request, ``storage.retention``) are left out of every list.
_LISTED = "id NOT IN (SELECT patient_id FROM erasure_requests)"
# The same, for queries that name the patients table ``p`` (storage.retention, storage.clinical).
NOT_RESTRICTED = " AND p.id NOT IN (SELECT patient_id FROM erasure_requests)"
_META = (
    "id, version, site_id, created_at, updated_at, created_by, updated_by, deleted_at, "
    "patient_number"
)
ListKey = tuple[str, str, str]  # (last_name, first_name, id): the list's sort order


def _details_to_row(details: PatientDetails) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in PATIENT_FIELDS:
        value = getattr(details, name)
        row[name] = value.isoformat() if isinstance(value, date) else value
    row["sex"] = details.sex.value
    return row


def _row_to_patient(row: sqlite3.Row | Sequence[Any], names: Sequence[str]) -> Patient:
    data = dict(zip(names, row, strict=True))
    details = PatientDetails(
        **{
            name: data[name]
            for name in PATIENT_FIELDS
            if name not in ("date_of_birth", "sex", "home_site_id")
        },
        date_of_birth=date.fromisoformat(data["date_of_birth"]),
        sex=Sex(data["sex"]),
        home_site_id=SiteId(data["home_site_id"]) if data["home_site_id"] else None,
    )
    return Patient(
        id=PatientId(data["id"]),
        details=details,
        version=data["version"],
        site_id=SiteId(data["site_id"]),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        created_by=UserId(data["created_by"]),
        updated_by=UserId(data["updated_by"]),
        deleted_at=data["deleted_at"],
        patient_number=data["patient_number"] or "",
    )


def _summary(row: Sequence[Any]) -> PatientSummary:
    pid, first, last, preferred, dob, sex, nhs, phone, postcode, deleted, number, language = row
    return PatientSummary(
        PatientId(pid),
        first,
        last,
        preferred,
        date.fromisoformat(dob),
        Sex(sex),
        nhs,
        phone,
        postcode,
        deleted is not None,
        number or "",
        language,
    )


class PatientRepository:
    """SQL for patients. Writers must run inside ``write_transaction``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- patients -------------------------------------------------------------------------

    def insert(self, details: PatientDetails, actor: Actor) -> PatientId:
        """A new patient, numbered at the actor's site (``storage.patient_numbers``)."""
        number, sequence = next_patient_number(self.db, actor.site_id)
        row = _details_to_row(details) | {
            "patient_number": number,
            "patient_number_seq": sequence,
        }
        patient_id = PatientId(insert_record(self.db, "patients", row, actor))
        self._index(patient_id, details)
        return patient_id

    def update(
        self, patient_id: PatientId, expected_version: int, details: PatientDetails, actor: Actor
    ) -> bool:
        changed = update_record(
            self.db, "patients", patient_id, expected_version, _details_to_row(details), actor
        )
        if changed:
            self._index(patient_id, details)
        return changed

    def get(self, patient_id: str) -> Patient | None:
        names = [*_META.split(", "), *PATIENT_FIELDS]
        row = self.db.execute(
            f"SELECT {', '.join(names)} FROM patients WHERE id = ?", [patient_id]
        ).fetchone()
        return _row_to_patient(row, names) if row else None

    def count(self, *, include_archived: bool = False) -> int:
        """How many patients are listed (not restricted; not archived unless
        ``include_archived``). All rows less those left out: SQLite counts a whole index without
        reading its entries, whereas ``WHERE deleted_at IS NULL`` visits each of them (7 ms
        against 0.1 ms at 100,000 patients once the pages are cached; the list's count line
        runs this at start-up and whenever the search box is cleared). The restricted are few,
        each found by its id."""
        total = "SELECT count(*) FROM patients"
        if include_archived:
            sql = f"SELECT ({total}) - (SELECT count(*) FROM erasure_requests)"
        else:
            # From the few restricted to their patients (CROSS JOIN keeps that order).
            restricted = (
                "SELECT count(*) FROM erasure_requests r CROSS JOIN patients p "
                "ON p.id = r.patient_id WHERE p.deleted_at IS NULL"
            )
            sql = f"SELECT ({total}) - ({total} WHERE deleted_at IS NOT NULL) - ({restricted})"
        return int(self.db.execute(sql).fetchone()[0])

    def list_page(
        self, after: ListKey | None, limit: int, *, include_archived: bool = False
    ) -> list[PatientSummary]:
        """Patients in name order, ``limit`` at a time, starting after ``after`` (keyset paging,
        so page 500 costs the same as page 1)."""
        where: list[str] = [_LISTED]
        params: list[Any] = []
        if not include_archived:
            where.append("deleted_at IS NULL")
        if after is not None:
            where.append(
                "(last_name COLLATE NOCASE, first_name COLLATE NOCASE, id) > "
                "(? COLLATE NOCASE, ? COLLATE NOCASE, ?)"
            )
            params.extend(after)
        # Walk the name index: with another index usable for the WHERE clause the planner may
        # otherwise filter first and sort all 100,000 rows (90 ms instead of 1 ms).
        sql = f"SELECT {SUMMARY_COLUMNS} FROM patients INDEXED BY patients_by_name"
        sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id LIMIT ?"
        params.append(limit)
        return [_summary(row) for row in self.db.execute(sql, params)]

    def search(
        self,
        text: str,
        *,
        limit: int = 200,
        include_archived: bool = False,
        today: date | None = None,
    ) -> list[PatientSummary]:
        """A clinic number typed ("M-00123") finds its patient first; then whole-word
        matches, then prefix matches; each group in name order. With
        ``today``, a date of birth typed with a two-digit year is found (see ``parse_query``).

        The FTS query is unranked so SQLite streams matches and stops at ``limit`` (a
        three-letter prefix can match thousands of rows); the page is sorted here.
        """
        from clinicdesk.storage.search import parse_query  # (at the first search, not start-up)

        results = self._by_number(text, limit, include_archived=include_archived)
        terms = parse_query(text, today)
        if not terms:
            return results
        archived = "" if include_archived else " AND p.deleted_at IS NULL"
        sql = (
            f"SELECT {', '.join('p.' + c for c in SUMMARY_COLUMNS.split(', '))} "
            "FROM patient_search s JOIN patients p ON p.id = s.patient_id "
            f"WHERE patient_search MATCH ?{archived}{NOT_RESTRICTED} LIMIT ?"
        )
        seen: set[str] = {s.id for s in results}
        for prefix in (False,) if terms.complete else (False, True):
            group = [
                _summary(row)
                for row in self.db.execute(sql, [terms.match_expression(prefix=prefix), limit])
                if row[0] not in seen
            ]
            group.sort(key=lambda s: (s.last_name.casefold(), s.first_name.casefold(), s.id))
            seen.update(s.id for s in group)
            results.extend(group)
            if len(results) >= limit:
                break
        return results[:limit]

    def _by_number(self, text: str, limit: int, *, include_archived: bool) -> list[PatientSummary]:
        """The patient whose clinic number is typed ("M-00123", "m123"), by the unique index;
        typed as printed but not yet whole ("M-001"), the numbers that start so. A number of
        a record merged into another (``services.patient_merge``) finds the kept record: the
        papers printed before the merge still lead to the patient."""
        typed = typed_patient_number(text)
        if typed is None:
            return []
        prefix, digits = typed
        where = _LISTED
        sql = f"SELECT {SUMMARY_COLUMNS} FROM patients INDEXED BY patients_by_number WHERE "
        if digits.startswith("0") and len(digits) < NUMBER_DIGITS:
            start = f"{prefix}-{digits}"
            end = start[:-1] + chr(ord(start[-1]) + 1)
            rows = self.db.execute(
                f"{sql}patient_number >= ? AND patient_number < ? AND {where} "
                "ORDER BY patient_number LIMIT ?",
                [start, end, limit],
            )
        else:
            exact = format_patient_number(prefix, int(digits))
            rows = self.db.execute(f"{sql}patient_number = ? AND {where}", [exact])
        found: dict[str, PatientSummary] = {}
        for summary in (_summary(row) for row in rows.fetchall()):
            if summary.archived and (kept := self._merged_into(summary.id)) is not None:
                found.setdefault(kept.id, kept)
            if include_archived or not summary.archived:
                found.setdefault(summary.id, summary)
        return list(found.values())

    def _merged_into(self, patient_id: str) -> PatientSummary | None:
        """The live record an archived one was merged into (through the audit trail's
        ``merge_away`` entries, however many merges on), or None."""
        for _ in range(10):
            row = self.db.execute(
                "SELECT json_extract(detail, '$.merged_into') FROM audit_log "
                "WHERE entity = 'patient' AND entity_id = ? AND action = 'merge_away' "
                "ORDER BY rowid DESC LIMIT 1",
                [patient_id],
            ).fetchone()
            if row is None or not row[0]:
                return None
            patient_id = str(row[0])
            kept = self.db.execute(
                f"SELECT {SUMMARY_COLUMNS} FROM patients WHERE id = ? AND {_LISTED}",
                [patient_id],
            ).fetchone()
            if kept is None:
                return None
            if not (summary := _summary(kept)).archived:
                return summary
        return None

    def _index(self, patient_id: PatientId, details: PatientDetails) -> None:
        from clinicdesk.storage.search import dob_token, folded_variant  # (see ``search``)

        row = self.db.execute(
            "SELECT search_rowid FROM patient_search_rows WHERE patient_id = ?", [patient_id]
        ).fetchone()
        if row is None:
            cursor = self.db.execute(
                "INSERT INTO patient_search_rows (patient_id) VALUES (?)", [patient_id]
            )
            search_rowid = cursor.lastrowid
        else:
            search_rowid = row[0]
            self.db.execute("DELETE FROM patient_search WHERE rowid = ?", [search_rowid])
        names = " ".join(
            n for n in (details.first_name, details.preferred_name, details.last_name) if n
        )
        if folded := folded_variant(names):
            names = f"{names} {folded}"
        phones = " ".join(
            phone_digits(p).lstrip("+")
            for p in (details.phone, details.emergency_contact_phone)
            if p
        )
        self.db.execute(
            "INSERT INTO patient_search "
            "(rowid, patient_id, names, date_of_birth, phone, email, nhs_number) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                search_rowid,
                patient_id,
                names,
                dob_token(details.date_of_birth.isoformat()),
                phones,
                details.email,
                details.nhs_number,
            ],
        )

    def reindex(self, patient_ids: Iterable[str]) -> int:
        """Re-index the given patients (after sync changed them); returns how many exist."""
        count = 0
        for patient_id in patient_ids:
            patient = self.get(patient_id)
            if patient is not None:
                self._index(patient.id, patient.details)
                count += 1
        return count

    def rebuild_search_index(self) -> int:
        """Re-index every patient (after a restore or sync); returns how many."""
        self.db.execute("DELETE FROM patient_search")
        self.db.execute("DELETE FROM patient_search_rows")
        count = 0
        names = [*_META.split(", "), *PATIENT_FIELDS]
        for row in self.db.execute(f"SELECT {', '.join(names)} FROM patients").fetchall():
            patient = _row_to_patient(row, names)
            self._index(patient.id, patient.details)
            count += 1
        return count

    def set_archived(
        self, patient_id: PatientId, expected_version: int, archived: bool, actor: Actor
    ) -> bool:
        return update_record(
            self.db,
            "patients",
            patient_id,
            expected_version,
            {"deleted_at": utc_now() if archived else None},
            actor,
        )

    def find_by_nhs_number(self, nhs_number: str) -> list[PatientId]:
        rows = self.db.execute(
            f"SELECT id FROM patients WHERE nhs_number = ? AND deleted_at IS NULL AND {_LISTED}",
            [nhs_number],
        )
        return [PatientId(r[0]) for r in rows]

    # -- medical history ------------------------------------------------------------------

    def get_medical_history(self, patient_id: str) -> MedicalHistory:
        from clinicdesk.domain.medical import (
            Allergy,
            HairTreatment,
            HairTreatmentDrug,
            LabResult,
            LabTest,
            MedicalHistory,
            Medication,
            RedFlag,
            RedFlagCode,
            TreatmentResponse,
        )

        head = self.db.execute(
            "SELECT version, pcos, iron_deficiency, telogen_triggers, family_history, "
            "age_at_onset, expectations, body_dysmorphic_concern, notes "
            "FROM medical_histories WHERE patient_id = ? AND deleted_at IS NULL",
            [patient_id],
        ).fetchone()

        def rows(table: str, columns: str, order: str = "created_at") -> list[Any]:
            return self.db.execute(
                f"SELECT id, {columns} FROM {table} "
                f"WHERE patient_id = ? AND deleted_at IS NULL ORDER BY {order}",
                [patient_id],
            ).fetchall()

        def day(text: str | None) -> date | None:
            return date.fromisoformat(text) if text else None

        treatments = tuple(
            HairTreatment(
                HairTreatmentDrug(r[1]),
                r[2],
                day(r[3]),
                day(r[4]),
                TreatmentResponse(r[5]),
                r[6],
                r[0],
            )
            for r in rows(
                "hair_treatments", "drug, dose, started_on, stopped_on, response, side_effects"
            )
        )
        flags = tuple(
            RedFlag(RedFlagCode(r[1]), r[2], r[0]) for r in rows("red_flags", "code, note")
        )
        allergies = tuple(
            Allergy(r[1], r[2], r[0]) for r in rows("allergies", "substance, reaction")
        )
        medications = tuple(Medication(r[1], r[2], r[0]) for r in rows("medications", "name, dose"))
        labs = tuple(
            LabResult(LabTest(r[1]), r[2], date.fromisoformat(r[3]), r[0])
            for r in rows("lab_results", "test, value, taken_on", "taken_on DESC, created_at")
        )
        if head is None:
            return MedicalHistory(treatments, flags, allergies, medications, labs)
        version, pcos, iron, triggers, family, onset, expectations, bdd, notes = head
        return MedicalHistory(
            treatments,
            flags,
            allergies,
            medications,
            labs,
            bool(pcos),
            bool(iron),
            triggers,
            family,
            onset,
            expectations,
            bool(bdd),
            notes,
            version,
        )

    def save_medical_history(
        self, patient_id: PatientId, history: MedicalHistory, actor: Actor
    ) -> bool:
        """Write the history if nobody saved it since ``history.version`` was read."""
        values = {
            "pcos": int(history.pcos),
            "iron_deficiency": int(history.iron_deficiency),
            "telogen_triggers": history.telogen_triggers,
            "family_history": history.family_history,
            "age_at_onset": history.age_at_onset,
            "expectations": history.expectations,
            "body_dysmorphic_concern": int(history.body_dysmorphic_concern),
            "notes": history.notes,
        }
        existing = self.db.execute(
            "SELECT id FROM medical_histories WHERE patient_id = ?", [patient_id]
        ).fetchone()
        if existing is None:
            if history.version != 0:
                return False
            try:
                insert_record(
                    self.db, "medical_histories", {"patient_id": patient_id, **values}, actor
                )
            except sqlite3.IntegrityError:
                return False  # another window created it first
        elif not update_record(
            self.db, "medical_histories", existing[0], history.version, values, actor
        ):
            return False

        def iso(value: date | None) -> str | None:
            return value.isoformat() if value else None

        self._sync_children(
            "hair_treatments",
            patient_id,
            [
                (
                    t.id,
                    {
                        "drug": t.drug.value,
                        "dose": t.dose,
                        "started_on": iso(t.started_on),
                        "stopped_on": iso(t.stopped_on),
                        "response": t.response.value,
                        "side_effects": t.side_effects,
                    },
                )
                for t in history.treatments
            ],
            actor,
        )
        self._sync_children(
            "red_flags",
            patient_id,
            [(f.id, {"code": f.code.value, "note": f.note}) for f in history.red_flags],
            actor,
        )
        self._sync_children(
            "allergies",
            patient_id,
            [(a.id, {"substance": a.substance, "reaction": a.reaction}) for a in history.allergies],
            actor,
        )
        self._sync_children(
            "medications",
            patient_id,
            [(m.id, {"name": m.name, "dose": m.dose}) for m in history.medications],
            actor,
        )
        self._sync_children(
            "lab_results",
            patient_id,
            [
                (
                    lab.id,
                    {
                        "test": lab.test.value,
                        "value": lab.value,
                        "unit": lab.unit,
                        "taken_on": lab.taken_on.isoformat(),
                    },
                )
                for lab in history.labs
            ],
            actor,
        )
        return True

    def _sync_children(
        self,
        table: str,
        patient_id: PatientId,
        items: Iterable[tuple[str | None, Mapping[str, Any]]],
        actor: Actor,
    ) -> None:
        """Make the live child rows equal ``items``: update changed ones, insert new ones and
        archive removed ones (clinical rows are never hard-deleted). The parent's version check
        already guards the whole history, so child rows are written at their current version."""
        columns = None
        current: dict[str, tuple[int, dict[str, Any]]] = {}
        wanted = list(items)
        if wanted:
            columns = list(wanted[0][1])
        if columns:
            for row in self.db.execute(
                f"SELECT id, version, {', '.join(columns)} FROM {table} "
                "WHERE patient_id = ? AND deleted_at IS NULL",
                [patient_id],
            ):
                current[row[0]] = (row[1], dict(zip(columns, row[2:], strict=True)))
        else:
            for row in self.db.execute(
                f"SELECT id, version FROM {table} WHERE patient_id = ? AND deleted_at IS NULL",
                [patient_id],
            ):
                current[row[0]] = (row[1], {})
        kept: set[str] = set()
        for item_id, values in wanted:
            if item_id and item_id in current:
                kept.add(item_id)
                version, stored = current[item_id]
                if stored != dict(values):
                    update_record(self.db, table, item_id, version, values, actor)
            else:
                insert_record(self.db, table, {"patient_id": patient_id, **values}, actor)
        for item_id, (version, _) in current.items():
            if item_id not in kept:
                update_record(self.db, table, item_id, version, {"deleted_at": utc_now()}, actor)

    # -- classification -------------------------------------------------------------------

    def classifications(self, patient_id: str) -> list[Classification]:
        from clinicdesk.domain.classification import Classification, HairLossScale

        rows = self.db.execute(
            "SELECT id, version, scale, grade, assessed_on, note FROM classifications "
            "WHERE patient_id = ? AND deleted_at IS NULL "
            "ORDER BY assessed_on DESC, created_at DESC",
            [patient_id],
        ).fetchall()
        return [
            Classification(HairLossScale(r[2]), r[3], date.fromisoformat(r[4]), r[5], r[0], r[1])
            for r in rows
        ]

    def add_classification(
        self, patient_id: PatientId, classification: Classification, actor: Actor
    ) -> str:
        return insert_record(
            self.db,
            "classifications",
            {
                "patient_id": patient_id,
                "scale": classification.scale.value,
                "grade": classification.grade,
                "assessed_on": classification.assessed_on.isoformat(),
                "note": classification.note,
            },
            actor,
        )

    def archive_classification(self, classification_id: str, version: int, actor: Actor) -> bool:
        return update_record(
            self.db, "classifications", classification_id, version, {"deleted_at": utc_now()}, actor
        )
