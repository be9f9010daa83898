"""Audit entries in sync: each site's chain carried as it was sealed (``storage.audit_chains``).

``audit_log`` travels in the changesets like any replicated table, with these rules, applied at
the hub and at each replica:

- only INSERTs are carried: an edit or removal of an entry (someone changed a copy) is never
  applied anywhere, so the other copies keep the entry as sealed and ``audit verify`` at the
  copy that was changed names it;
- an installation never receives entries of its own chain (it is its only writer; a chain is
  a site's, or a further workstation's at a site; the hub's is ``HUB_SITE``);
- an entry whose ``(site_id, seq)`` is already taken by another entry, or whose id is taken by
  a different entry, means two installations write the same chain: the sync stops, loudly,
  and changes nothing (``AuditCollision``); it is never parked or overwritten;
- in the transaction that inserted other sites' entries the heads received are recorded
  (``audit_anchor.record_synced_heads``), and after its commit the anchor file beside the
  database (the hub's own in the hub folder) is brought up to date (``update_anchor``).

Inside one transaction the order of the inserts does not change the result (the chains are
checked as a whole at verify); a changeset lists each table's rows by primary key (``id``, a
UUIDv7 made at writing, so in each site's order).

``audit_anchor`` works on ``storage.database.Database``; ``as_database`` gives it the sync
engine's APSW connection (the sqlcipher3 connection is never open on the file meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import apsw

from clinicdesk.storage import audit, audit_anchor
from clinicdesk.storage.audit_chains import CHAIN_KEY
from clinicdesk.storage.audit_chains import HUB_SITE as HUB_SITE
from clinicdesk.storage.clinic import THIS_SITE_KEY
from clinicdesk.storage.records import Actor
from clinicdesk.sync.connection import SyncError, local_value

if TYPE_CHECKING:
    from clinicdesk.storage.database import Database

TABLE = "audit_log"


class AuditCollision(SyncError):
    """Two installations wrote the same audit chain (one was copied from the other)."""


class _ApswDatabase:
    """As much of ``storage.database.Database`` as ``audit_anchor`` uses, over APSW."""

    def __init__(self, conn: apsw.Connection) -> None:
        self.conn = conn
        self.read_only: str | None = None
        self.writes_held = False
        self.after_commit: list[Callable[[], None]] = []

    def execute(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> apsw.Cursor:
        return self.conn.execute(sql, parameters if parameters is not None else ())


def as_database(conn: apsw.Connection) -> Database:
    return cast("Database", _ApswDatabase(conn))


def own_site(conn: apsw.Connection) -> str:
    """The chain whose entries this database never receives: its own (a further workstation's
    chain id, else its site's; ``HUB_SITE`` at the hub; see ``storage.audit_chains``)."""
    return local_value(conn, CHAIN_KEY) or local_value(conn, THIS_SITE_KEY) or HUB_SITE


def carried(change: apsw.TableChange, names: list[str], own: str) -> bool:
    """Whether ``change`` is applied (``filter_change``): every change of another table; of
    ``audit_log`` only INSERTs of other sites' entries."""
    if change.name != TABLE:
        return True
    if change.op != "INSERT" or change.new is None:
        return False
    return str(change.new[names.index("site_id")]) != own


def collision(conn: apsw.Connection, names: list[str], row: Any) -> AuditCollision:
    """The error for an entry that cannot be inserted as it is (see the module)."""
    entry = dict(zip(names, row, strict=True))
    site = str(entry.get("site_id"))
    found = conn.execute("SELECT name FROM sites WHERE id = ?", (site,)).fetchone()
    name = str(found[0]) if found is not None else f"site {site}"
    return AuditCollision(
        f"Audit entry {entry.get('seq')} of {name} differs from the entry already kept under "
        "that number: two installations write the same audit chain (one was copied from the "
        "other). Nothing was changed. Each installation must join the hub on its own "
        "(`clinicdesk join`, which gives a second workstation at a site a chain of its own); "
        "ask your IT support to find the installation that was copied."
    )


def record_heads(conn: apsw.Connection) -> None:
    """In the transaction that inserted other sites' entries."""
    audit_anchor.record_synced_heads(as_database(conn))


def update_anchor(conn: apsw.Connection) -> None:
    """After that transaction's commit (no transaction open on ``conn``)."""
    audit_anchor.update_anchor(as_database(conn))


def seal_at_hub(conn: apsw.Connection, records: set[tuple[str, str]], bundle_id: str) -> int:
    """In the hub's transaction that applied a bundle: one entry in the hub's own chain for
    each sealed record (patients, consultations, treatments, adverse events) the apply merged
    or kept against a parked change, sealing the row as it now is, so that ``audit verify``
    finds every record as its newest entry left it, at the hub and at every replica that
    takes the row. Returns how many."""
    entities = {table: entity for entity, table in audit.SEALED_TABLES.items()}
    db = as_database(conn)
    written = 0
    for table, row_id in sorted(records):
        entity = entities.get(table)
        row = conn.execute(f'SELECT updated_by FROM "{table}" WHERE id = ?', (row_id,))
        found = row.fetchone() if entity is not None else None
        if entity is None or found is None:
            continue
        actor = Actor(str(found[0]), HUB_SITE)  # who last changed it, merged at the hub
        audit.append(db, actor, audit.SYNC_MERGE_ACTION, entity, row_id, {"bundle": bundle_id})
        written += 1
    return written


def skipped(changeset: bytes, columns: dict[str, list[str]], own: str) -> set[tuple[str, str]]:
    """The (table, id) of the changes ``carried`` leaves out (counted as handled)."""
    from clinicdesk.sync.changes import iterate, value

    out: set[tuple[str, str]] = set()
    for change in iterate(changeset):
        names = columns[change.name]
        if not carried(change, names, own):
            row = change.old if change.op != "INSERT" else change.new
            out.add((change.name, str(value(row, 0))))
    return out
