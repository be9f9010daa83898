"""What sync keeps in the clinic database (migration 0011), read with the ordinary driver.

``sync_conflicts`` holds the changes sync parked instead of overwriting anything: one row per
record whose change met a different change made elsewhere (both values, who, when and at which
site on each side). It is a record table, so it is replicated like any other: every site sees
the conflicts, and a clinician resolves one with a normal, audited edit of the record, then
marks the conflict resolved (``status``, ``resolved_by``, ``resolved_at``).

``sync_bundles`` is the hub's list of the bundles it has applied (by bundle id, with the
counts), so the same bundle applied twice changes nothing, and it says when each installation
last synced. It is never replicated (``LOCAL_TABLES``).

The sync engine itself (``clinicdesk.sync``) uses APSW in its own process; this module is what
the GUI and the services read, through the sqlcipher3 connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clinicdesk.storage.database import Database
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.records import Actor, update_record

# Tables that hold facts about one installation or are derived from the others: never in a
# changeset. ``patient_search*`` is the FTS index (rebuilt for the patients a sync changed).
LOCAL_TABLES = frozenset(
    {"_sqlite_migrations", "local_state", "patient_search_rows", "sync_bundles"}
)
LOCAL_PREFIXES = ("sqlite_", "patient_search")
# local_state keys sync keeps at a replica.
INSTALLATION_KEY = "installation_id"  # this installation's row in ``installations``
LAST_SYNC_KEY = "last_sync_at"
HUB_KEY = "hub_dir"
# local_state key: the hub's ``last_syncs`` (JSON), taken from the hub at each pull.
LAST_SYNCS_KEY = "hub_last_syncs"


def schema(record_table: Callable[[str, str], str]) -> list[str]:
    """Migration 0011's statements (``record_table`` adds the record columns)."""
    return [
        record_table(
            "sync_conflicts",
            """    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    patient_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('edit', 'delete', 'insert')),
    columns TEXT NOT NULL CHECK (json_valid(columns)),
    hub_values TEXT NOT NULL CHECK (json_valid(hub_values)),
    incoming_values TEXT NOT NULL CHECK (json_valid(incoming_values)),
    hub_site_id TEXT NOT NULL DEFAULT '',
    hub_updated_by TEXT NOT NULL DEFAULT '',
    hub_updated_at TEXT NOT NULL DEFAULT '',
    incoming_site_id TEXT NOT NULL DEFAULT '',
    incoming_updated_by TEXT NOT NULL DEFAULT '',
    incoming_updated_at TEXT NOT NULL DEFAULT '',
    bundle_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolved_by TEXT,
    resolved_at TEXT""",
        ),
        "CREATE INDEX sync_conflicts_by_status ON sync_conflicts (status, created_at)",
        "CREATE INDEX sync_conflicts_by_patient ON sync_conflicts (patient_id)",
        """CREATE TABLE sync_bundles (
    bundle_id TEXT PRIMARY KEY NOT NULL,
    site_id TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    changes INTEGER NOT NULL,
    applied INTEGER NOT NULL,
    parked INTEGER NOT NULL
) STRICT""",
    ]


def installations_schema(record_table: Callable[[str, str], str]) -> list[str]:
    """Migration 0012's statements: the clinic's installations (``storage.audit_chains``).

    One row per installation that joined the hub (or made it), written only at the hub and
    replicated like any record: ``id`` is the installation's id (``INSTALLATION_KEY``),
    ``site_id`` the site its records belong to, ``audit_chain`` the audit chain its entries
    form (``audit_log.site_id``: the site's id for a site's first installation, the
    installation's own id for a further workstation at the same site) and ``label`` what tells
    it from the site's other installations ('' for the first, "workstation 2"...). When each
    last synced is the hub's (``sync_bundles``), carried back by each sync (``LAST_SYNCS_KEY``)."""
    return [
        record_table(
            "installations",
            """    audit_chain TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT ''""",
        )
    ]


@dataclass(frozen=True)
class Installation:
    id: str
    site_id: str
    site_name: str
    audit_chain: str
    label: str

    @property
    def name(self) -> str:
        """The site's name, and its label for a site's further workstation."""
        return f"{self.site_name} ({self.label})" if self.label else self.site_name


def installations(db: Database) -> list[Installation]:
    """The clinic's installations as this copy knows them (the hub's, as of the last sync),
    by site and then in the order they joined; none before migration 0012."""
    try:
        rows = db.execute(
            "SELECT i.id, i.site_id, coalesce(s.name, ''), i.audit_chain, i.label "
            "FROM installations i LEFT JOIN sites s ON s.id = i.site_id "
            "WHERE i.deleted_at IS NULL ORDER BY s.name, i.created_at, i.id"
        ).fetchall()
    except sqlite3.OperationalError:  # a database before migration 0012 has no such table
        return []
    return [Installation(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in rows]


def hub_last_syncs(db: Database) -> list[tuple[str, str, str]]:
    """(site id, installation id, when) of each installation's latest sync, as the hub knew
    them at this installation's last sync (``LAST_SYNCS_KEY``); at the hub itself, its own
    ``sync_bundles`` (``SyncConflictRepository.last_syncs``)."""
    row = db.execute("SELECT value FROM local_state WHERE key = ?", [LAST_SYNCS_KEY]).fetchone()
    if row is None:
        return SyncConflictRepository(db).last_syncs()
    try:
        return [(str(s), str(i), str(at)) for s, i, at in json.loads(row[0])]
    except (ValueError, TypeError):
        return []


def is_replicated(table: str) -> bool:
    return table not in LOCAL_TABLES and not table.startswith(LOCAL_PREFIXES)


@dataclass(frozen=True)
class SyncConflict:
    id: str
    table_name: str
    row_id: str
    patient_id: str | None
    kind: str
    columns: list[str]
    hub_values: dict[str, Any]
    incoming_values: dict[str, Any]
    hub_site_id: str
    hub_updated_by: str
    hub_updated_at: str
    incoming_site_id: str
    incoming_updated_by: str
    incoming_updated_at: str
    status: str
    created_at: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "table": self.table_name,
            "row_id": self.row_id,
            "patient_id": self.patient_id,
            "kind": self.kind,
            "columns": self.columns,
            "hub": {
                "values": self.hub_values,
                "site_id": self.hub_site_id,
                "updated_by": self.hub_updated_by,
                "updated_at": self.hub_updated_at,
            },
            "incoming": {
                "values": self.incoming_values,
                "site_id": self.incoming_site_id,
                "updated_by": self.incoming_updated_by,
                "updated_at": self.incoming_updated_at,
            },
            "status": self.status,
            "parked_at": self.created_at,
        }


_COLUMNS = (
    "id, table_name, row_id, patient_id, kind, columns, hub_values, incoming_values, "
    "hub_site_id, hub_updated_by, hub_updated_at, incoming_site_id, incoming_updated_by, "
    "incoming_updated_at, status, created_at, version"
)


class SyncConflictRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def conflicts(self, *, include_resolved: bool = False) -> list[SyncConflict]:
        where = "" if include_resolved else " WHERE status = 'open' AND deleted_at IS NULL"
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM sync_conflicts{where} ORDER BY created_at, id"
        ).fetchall()
        return [_conflict(row) for row in rows]

    def conflict(self, conflict_id: str) -> SyncConflict | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM sync_conflicts WHERE id = ?", [conflict_id]
        ).fetchone()
        return None if row is None else _conflict(row)

    def mark_resolved(self, conflict: SyncConflict, actor: Actor, at: str) -> bool:
        return update_record(
            self.db,
            "sync_conflicts",
            conflict.id,
            conflict.version,
            {"status": "resolved", "resolved_by": actor.user_id, "resolved_at": at},
            actor,
        )

    def last_syncs(self) -> list[tuple[str, str, str]]:
        """(site id, installation id, when) of each installation's latest bundle at a hub."""
        rows = self.db.execute(
            "SELECT site_id, installation_id, max(applied_at) FROM sync_bundles "
            "GROUP BY site_id, installation_id ORDER BY 3 DESC"
        ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


# Values a parked conflict never shows (the Conflicts screen, ``clinicdesk conflicts --json``):
# a password's hash is a secret even salted. Sync settles these itself (the key slot that
# matches the synced users row opens the clinic), so nobody has to choose between them.
SECRET_COLUMNS = frozenset({("users", "password_hash")})
NOT_SHOWN = "(a password: not shown)"


def _conflict(row: Any) -> SyncConflict:
    values = list(row)
    for index in (5, 6, 7):
        values[index] = json.loads(values[index])
    table = values[1]
    for side in (values[6], values[7]):
        for column in side:
            if (table, column) in SECRET_COLUMNS:
                side[column] = NOT_SHOWN
    return SyncConflict(*values)


# A record whose own row does not name its patient, and the row that does: (the column naming
# that row, its table).
_PARENTS = {"assessment_regions": ("assessment_id", "assessments")}


def record_patient(db: Database, table: str, row_id: str) -> str | None:
    """The patient a record belongs to (a parked conflict may not say, e.g. a whole row parked
    from a change that carried only its changed columns), or None for a clinic record (sites,
    users, settings) or one this copy does not have."""
    names = {
        str(r[1]) for r in db.execute("SELECT * FROM pragma_table_info(?)", [table]).fetchall()
    }
    if "patient_id" in names:
        row = db.execute(f'SELECT patient_id FROM "{table}" WHERE id = ?', [row_id]).fetchone()
        return None if row is None or row[0] is None else str(row[0])
    if table in _PARENTS:
        column, parent = _PARENTS[table]
        row = db.execute(f'SELECT "{column}" FROM "{table}" WHERE id = ?', [row_id]).fetchone()
        return None if row is None else record_patient(db, parent, str(row[0]))
    return None


def record_is_live(db: Database, table: str, row_id: str) -> bool:
    """Whether this copy has the record and it is not archived (nor, for a child row such as
    an assessment's region, its parent)."""
    names = {
        str(r[1]) for r in db.execute("SELECT * FROM pragma_table_info(?)", [table]).fetchall()
    }
    if "deleted_at" not in names:
        return False
    row = db.execute(f'SELECT deleted_at FROM "{table}" WHERE id = ?', [row_id]).fetchone()
    if row is None or row[0] is not None:
        return False
    if table in _PARENTS:
        column, parent = _PARENTS[table]
        found = db.execute(f'SELECT "{column}" FROM "{table}" WHERE id = ?', [row_id]).fetchone()
        return record_is_live(db, parent, str(found[0]))
    return True
