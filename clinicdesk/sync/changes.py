"""The changeset between two copies of the clinic database, and the files it names.

``diff_changeset`` opens no long-lived session: it diffs the live database against a copy
(``Session.diff``), table by table, inside one read transaction, so it sees every write made
by any process up to that moment and nothing after, and a crash loses nothing (the next sync
diffs again).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import apsw

from clinicdesk.sync.connection import replicated_tables

# Which columns of which tables name a content-addressed file, the store it is in and the
# column holding the id its seal is bound to (``sealed_files.ContentStore``).
FILE_COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "photos": [("sha256", "photos", "patient_id")],
    "consents": [
        ("signature_sha256", "consents", "patient_id"),
        ("scan_sha256", "consents", "patient_id"),
    ],
}


@dataclass
class ChangeSummary:
    """What a changeset holds: counts, the files its rows name, and the rows' versions."""

    changes: int = 0
    by_table: dict[str, int] = field(default_factory=dict)
    # (store, sha256, table, row id): the row names the file (see ``files.bound_id``)
    files: set[tuple[str, str, str, str]] = field(default_factory=set)
    # (table, id) -> the row's version as the changeset leaves it (None: deleted)
    versions: dict[tuple[str, str], int | None] = field(default_factory=dict)
    patients: set[str] = field(default_factory=set)


def diff_changeset(
    conn: apsw.Connection, base_schema: str, tables: list[str] | None = None
) -> bytes:
    """The changes that turn ``base_schema`` (attached) into ``main``, as one changeset.

    The caller holds a read transaction on ``conn`` so every table is diffed at one moment."""
    session = apsw.Session(conn, "main")
    try:
        for table in tables if tables is not None else replicated_tables(conn):
            session.attach(table)
            session.diff(base_schema, table)
        return bytes(session.changeset())
    finally:
        session.close()


def iterate(changeset: bytes) -> Iterator[apsw.TableChange]:
    yield from apsw.Changeset.iter(changeset)


def value(values: Any, index: int) -> Any:
    """A column's value in a change's old or new tuple (None when not given)."""
    if values is None:
        return None
    item = values[index]
    return None if item is apsw.no_change else item


def summarise(changeset: bytes, columns: dict[str, list[str]]) -> ChangeSummary:
    """Count the changes and collect the files and versions they name. ``columns`` gives
    each table's column names (the changeset is positional)."""
    summary = ChangeSummary()
    for change in iterate(changeset):
        table = change.name
        names = columns[table]
        summary.changes += 1
        summary.by_table[table] = summary.by_table.get(table, 0) + 1
        row = change.new if change.op != "DELETE" else change.old
        row_id = str(value(change.old if change.op != "INSERT" else change.new, 0))
        if "version" in names:
            version = value(change.new, names.index("version")) if change.op != "DELETE" else None
            summary.versions[(table, row_id)] = version
        if table == "patients":
            summary.patients.add(row_id)
        if change.op == "DELETE":
            continue
        for column, store, _bound in FILE_COLUMNS.get(table, []):
            sha256 = value(row, names.index(column))
            if sha256:
                summary.files.add((store, str(sha256), table, row_id))
    return summary


def table_columns(
    conn: apsw.Connection, tables: list[str], schema: str = "main"
) -> dict[str, list[str]]:
    from clinicdesk.sync.connection import columns_of

    return {table: columns_of(conn, table, schema) for table in tables}
