"""Erasure requests, restricted records, retention dates and the destruction of a record, in SQL.

A patient with a row in ``erasure_requests`` is *restricted*: the patient list, search, counts,
the follow-up list and the duplicate NHS number check leave them out
(``storage.patients.NOT_RESTRICTED``). The lot look-up keeps them: a field safety notice must
reach everyone treated with the lot.
``destroyed_records`` holds one stub per destroyed record: its id and when, nothing about the
person.

``destroy`` removes every row that belongs to the patient, found through the schema's foreign
keys rather than a list of tables (a table added later that points at a patient, or at one of
their records, is included without anyone remembering to): rows whose foreign key points at
the patient, then rows pointing at those, and so on. The audit log has no foreign key and is
never touched. The search index entry goes too, and the index is merged (``optimize``) so no
old segment still holds the name. ``secure_delete`` zeroes what is freed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from clinicdesk.domain.ids import utc_now
from clinicdesk.storage.audit import SEALED_TABLES
from clinicdesk.storage.database import Database
from clinicdesk.storage.records import Actor, insert_record

# Appended to a query over ``patients p``: leaves restricted records out.

# Never swept by ``destroy``: the audit chain, and the search index (handled on its own).
_KEPT_TABLES = frozenset({"audit_log", "destroyed_records"})


def schema(record_table: Callable[[str, str], str]) -> list[str]:
    """Migration 0009's statements (``record_table`` adds the record columns)."""
    return [
        record_table(
            "erasure_requests",
            """    patient_id TEXT NOT NULL UNIQUE REFERENCES patients(id),
    requested_on TEXT NOT NULL,
    reason TEXT NOT NULL""",
        ),
        # One stub per destroyed record, named by the record's id (its created_at and
        # created_by say when and who); a record table, so sync carries it as a tombstone.
        record_table(
            "destroyed_records",
            """    entity TEXT NOT NULL,
    basis TEXT NOT NULL""",
        ),
    ]


@dataclass(frozen=True)
class ErasureRequest:
    id: str
    patient_id: str
    requested_on: date
    reason: str
    version: int


@dataclass(frozen=True)
class RetentionRow:
    """One record as the retention list shows it."""

    patient_id: str
    first_name: str
    last_name: str
    date_of_birth: date
    registered_on: date
    last_activity: date | None  # the latest clinical date, None when there is none
    last_treatment: date | None
    request: ErasureRequest | None


# Each clinical date that counts as activity on a record.
_ACTIVITY = (
    ("treatments", "treated_on", ""),
    ("consultations", "consulted_on", ""),
    ("assessments", "visit_date", ""),
    ("photos", "visit_date", ""),
    ("adverse_events", "onset_on", ""),
    ("adverse_events", "outcome_on", ""),
    ("follow_ups", "due_on", " AND status = 'attended'"),
    ("consents", "signed_on", ""),
)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


class RetentionRepository:
    """SQL for erasure and retention. Writers must run inside ``write_transaction``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- erasure requests -----------------------------------------------------------------

    def request_for(self, patient_id: str) -> ErasureRequest | None:
        row = self.db.execute(
            "SELECT id, patient_id, requested_on, reason, version FROM erasure_requests "
            "WHERE patient_id = ?",
            [patient_id],
        ).fetchone()
        if row is None:
            return None
        return ErasureRequest(row[0], row[1], date.fromisoformat(row[2]), row[3], row[4])

    def add_request(self, patient_id: str, requested_on: date, reason: str, actor: Actor) -> str:
        values = {"patient_id": patient_id, "requested_on": requested_on.isoformat()}
        return insert_record(self.db, "erasure_requests", values | {"reason": reason}, actor)

    def is_restricted(self, patient_id: str) -> bool:
        return self.request_for(patient_id) is not None

    def withdraw_marketing_scopes(self, patient_id: str, on: date, actor: Actor) -> int:
        """End every granted, not yet withdrawn marketing scope of the patient's photo
        consents on ``on``; returns how many."""
        cursor = self.db.execute(
            "UPDATE photo_consent_scopes SET withdrawn_on = ?, "
            "withdrawal_reason = 'Erasure request', updated_at = ?, updated_by = ?, "
            "version = version + 1 WHERE patient_id = ? AND scope = 'marketing' "
            "AND granted = 1 AND withdrawn_on IS NULL AND deleted_at IS NULL",
            [on.isoformat(), utc_now(), actor.user_id, patient_id],
        )
        return int(cursor.rowcount)

    # -- retention dates ------------------------------------------------------------------

    def last_dates(self, patient_id: str) -> tuple[date | None, date | None]:
        """(last activity, last treatment) of the patient's live clinical records."""
        parts = " UNION ALL ".join(
            f"SELECT max({column}) AS d FROM {table} "
            f"WHERE patient_id = :p AND deleted_at IS NULL{extra}"
            for table, column, extra in _ACTIVITY
        )
        activity = self.db.execute(f"SELECT max(d) FROM ({parts})", {"p": patient_id})
        treated = self.db.execute(
            "SELECT max(treated_on) FROM treatments WHERE patient_id = ? AND deleted_at IS NULL",
            [patient_id],
        )
        return _day(activity.fetchone()[0]), _day(treated.fetchone()[0])

    def rows(self, *, restricted_only: bool = False) -> list[RetentionRow]:
        """Every record (or only the restricted ones) with its dates, by name."""
        where = " WHERE p.id IN (SELECT patient_id FROM erasure_requests)" * restricted_only
        found = self.db.execute(
            "SELECT p.id, p.first_name, p.last_name, p.date_of_birth, p.created_at FROM patients p"
            f"{where} ORDER BY p.last_name COLLATE NOCASE, p.first_name COLLATE NOCASE, p.id"
        ).fetchall()
        latest: dict[str, str] = {}
        for table, column, extra in _ACTIVITY:
            for pid, day in self.db.execute(
                f"SELECT patient_id, max({column}) FROM {table} "
                f"WHERE deleted_at IS NULL AND {column} IS NOT NULL{extra} GROUP BY patient_id"
            ):
                if day > latest.get(pid, ""):
                    latest[pid] = day
        treated = dict(
            self.db.execute(
                "SELECT patient_id, max(treated_on) FROM treatments "
                "WHERE deleted_at IS NULL GROUP BY patient_id"
            ).fetchall()
        )
        requests = {
            r[1]: ErasureRequest(r[0], r[1], date.fromisoformat(r[2]), r[3], r[4])
            for r in self.db.execute(
                "SELECT id, patient_id, requested_on, reason, version FROM erasure_requests"
            )
        }
        return [
            RetentionRow(
                pid,
                first,
                last,
                date.fromisoformat(born),
                date.fromisoformat(created[:10]),
                _day(latest.get(pid)),
                _day(treated.get(pid)),
                requests.get(pid),
            )
            for pid, first, last, born, created in found
        ]

    # -- destruction ----------------------------------------------------------------------

    def file_hashes(self, patient_id: str) -> tuple[set[str], set[str]]:
        """(photo originals, consent scans and signatures) the patient's rows name."""
        photos = {
            r[0]
            for r in self.db.execute("SELECT sha256 FROM photos WHERE patient_id = ?", [patient_id])
        }
        consent_files: set[str] = set()
        for scan, signature in self.db.execute(
            "SELECT scan_sha256, signature_sha256 FROM consents WHERE patient_id = ?", [patient_id]
        ):
            consent_files.update(h for h in (scan, signature) if h)
        return photos, consent_files

    def sealed_records(self, patient_id: str) -> list[tuple[str, str]]:
        """(entity, id) of the patient's records whose rows the audit log seals."""
        found: list[tuple[str, str]] = []
        for entity, table in SEALED_TABLES.items():
            column = "id" if table == "patients" else "patient_id"
            found.extend(
                (entity, r[0])
                for r in self.db.execute(f"SELECT id FROM {table} WHERE {column} = ?", [patient_id])
            )
        return found

    def still_named(self, photos: set[str], consent_files: set[str]) -> set[str]:
        """Which of these files a remaining row still names (another record's)."""
        named: set[str] = set()
        for sha in photos:
            if self.db.execute("SELECT 1 FROM photos WHERE sha256 = ?", [sha]).fetchone():
                named.add(sha)
        for sha in consent_files:
            if self.db.execute(
                "SELECT 1 FROM consents WHERE scan_sha256 = ? OR signature_sha256 = ?", [sha, sha]
            ).fetchone():
                named.add(sha)
        return named

    def owned_rows(self, patient_id: str) -> dict[str, set[int]]:
        """The rowids, per table, of every row that belongs to the patient."""
        tables = [
            name
            for (name,) in self.db.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE TABLE%' "
                "AND name NOT LIKE 'sqlite_%'"
            )
            if name not in _KEPT_TABLES
        ]
        links: list[tuple[str, str, str, str]] = []  # (child, column, parent, parent column)
        for table in tables:
            for fk in self.db.execute(f"PRAGMA foreign_key_list({table})").fetchall():
                links.append((table, fk[3], fk[2], fk[4] or "id"))
        owned: dict[str, set[int]] = {
            "patients": {
                r[0]
                for r in self.db.execute("SELECT rowid FROM patients WHERE id = ?", [patient_id])
            }
        }
        changed = True
        while changed:
            changed = False
            for child, column, parent, parent_column in links:
                if not owned.get(parent):
                    continue
                marks = ", ".join(str(int(rowid)) for rowid in owned[parent])
                found = {
                    r[0]
                    for r in self.db.execute(
                        f"SELECT rowid FROM {child} WHERE {column} IN "
                        f"(SELECT {parent_column} FROM {parent} WHERE rowid IN ({marks}))"
                    )
                }
                if not found <= owned.get(child, set()):
                    owned.setdefault(child, set()).update(found)
                    changed = True
        return owned

    def destroy(self, patient_id: str, actor: Actor, basis: str) -> int:
        """Delete every row of the patient (``owned_rows``) and their search entry, and
        write the stub; returns how many rows went. Run inside ``write_transaction`` on a
        connection with ``secure_delete`` on."""
        owned = self.owned_rows(patient_id)
        self.db.execute(
            "DELETE FROM patient_search WHERE rowid IN "
            "(SELECT search_rowid FROM patient_search_rows WHERE patient_id = ?)",
            [patient_id],
        )
        self.db.execute("DELETE FROM patient_search WHERE patient_id = ?", [patient_id])
        # Rows point at each other; the foreign keys are checked once, at the commit.
        self.db.execute("PRAGMA defer_foreign_keys = ON")
        removed = 0
        for table, rowids in owned.items():
            marks = ", ".join(str(int(rowid)) for rowid in rowids)
            removed += int(
                self.db.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})").rowcount
            )
        # Merge the index's segments: a deleted entry otherwise stays in an older segment.
        self.db.execute("INSERT INTO patient_search (patient_search) VALUES ('optimize')")
        stub = {"entity": "patient", "basis": basis}
        insert_record(self.db, "destroyed_records", stub, actor, record_id=patient_id)
        return removed

    def was_destroyed(self, patient_id: str) -> bool:
        found = self.db.execute("SELECT 1 FROM destroyed_records WHERE id = ?", [patient_id])
        return found.fetchone() is not None
