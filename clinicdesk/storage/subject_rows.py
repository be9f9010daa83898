"""Every stored row about one patient, table by table, for a subject access export.

Found from the schema, not from a list: the ``patients`` row, every row of a table with a
foreign key to ``patients``, and every row of a table with a foreign key to one of those (an
assessment's regions), archived rows included (they are still held). A table added later joins
the export by having its foreign key. Left out: the search index (``SEARCH_TABLES``: copies of
the patient's own fields, rebuilt from them) and the audit trail (the export writes the
record's access log from it separately).
"""

from __future__ import annotations

import base64
from typing import Any

from clinicdesk.storage.database import Database

# Derived copies of the patient's fields kept for searching: not records in their own right.
SEARCH_TABLES = frozenset({"patient_search_rows"})
PATIENTS = "patients"


def _references(db: Database) -> dict[str, list[tuple[str, str]]]:
    """Per table: (referenced table, referencing column) of each of its foreign keys."""
    found: dict[str, list[tuple[str, str]]] = {}
    for table in db.table_names():
        rows = db.execute(f'PRAGMA foreign_key_list("{table}")').fetchall()
        found[table] = [(str(row[2]), str(row[3])) for row in rows]
    return found


def _value(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    return value


def _select(db: Database, table: str, column: str, values: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        cursor = db.execute(f'SELECT * FROM "{table}" WHERE "{column}" IN ({marks})', chunk)
        names = [d[0] for d in cursor.description]
        rows += [{n: _value(v) for n, v in zip(names, row, strict=True)} for row in cursor]
    if rows and "created_at" in rows[0]:
        rows.sort(key=lambda r: (str(r["created_at"]), str(r.get("id", ""))))
    return rows


def patient_rows(db: Database, patient_id: str) -> dict[str, list[dict[str, Any]]]:
    """Table name -> the rows about the patient (column -> value; a BLOB as base64), for
    every table that holds any. The ``patients`` table is first; the others by name."""
    references = _references(db)
    held: dict[str, list[dict[str, Any]]] = {PATIENTS: _select(db, PATIENTS, "id", [patient_id])}
    if not held[PATIENTS]:
        return {}
    pending = [PATIENTS]
    while pending:
        parent = pending.pop(0)
        ids = [str(row["id"]) for row in held[parent] if row.get("id") is not None]
        for table, keys in sorted(references.items()):
            if table in held or table in SEARCH_TABLES:
                continue
            columns = [column for referenced, column in keys if referenced == parent]
            if not columns or not ids:
                continue
            rows: dict[str, dict[str, Any]] = {}
            for column in columns:
                for row in _select(db, table, column, ids):
                    rows[str(row.get("id", len(rows)))] = row
            held[table] = list(rows.values())
            pending.append(table)
    return {
        PATIENTS: held[PATIENTS],
        **{t: rows for t, rows in sorted(held.items()) if t != PATIENTS and rows},
    }
