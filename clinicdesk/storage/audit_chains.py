"""One audit chain per site: which entries form which chain, and the migration that made it so.

Every site keeps its own hash-chained trail, so that sites working apart (the satellite clinic
offline all day) never compete for entry numbers, and sync carries each site's entries as they
were sealed. An entry belongs to the chain of its ``site_id``: the site of the installation that
wrote it (``this_site_id`` in ``local_state``; a database without one, before its clinic exists,
uses the writer's site). Within a site, ``seq`` counts 1, 2, 3... (``UNIQUE (site_id, seq)``)
and each entry carries the seal of the previous entry *of the same site*; a site's first entry
follows the fixed ``GENESIS`` value. An installation appends only to its own site's chain;
other sites' entries arrive by sync as plain rows, never re-sealed, and are checked the same way.
Two installations must therefore never write the same chain; if they did, their entries would
collide on ``(site_id, seq)`` and sync would fail loudly rather than interleave two chains.

Several installations at one site (migration 0012, ``installations``). ``audit_log.site_id``
names the entry's *chain*, which is not always the site its records belong to: a site's first
installation writes under the site's id (as every installation did before 0012), and a further
workstation at the same site writes under a chain id of its own, kept in ``local_state``
(``CHAIN_KEY``) and in its ``installations`` row (``audit_chain``, with the site it works for),
so its records still carry the site's id (``this_site_id``) while its entries never meet the
other workstation's. ``site_names`` names such a chain after its site and installation ("Main
clinic (workstation 2)").

Migration 0010 (``per_site_chains``). Before it, one chain ran over every entry of the database
(``seq`` unique, ``prev_hash`` the previous row whatever its site). Each database was then an
island written by one installation, so its whole trail *is* that installation's chain:

- When every entry carries this installation's site id (the usual case), the old trail simply
  becomes this site's chain, every ``seq``, ``prev_hash`` and seal unchanged.
- When some entries carry another site id (a clinic created from a satellite installation stamps
  its first entry with the main site; tests and imports can do the same), the old trail is kept
  whole as a *legacy segment*: entries 1 to L (the newest entry then) stay one chain, checked
  exactly as before, and belong to this installation's chain, whose later entries continue at
  L+1 after the seal of entry L. Another site's own entries start at L+1 from ``GENESIS``, so
  they never meet the numbers of the old entries stamped with its id. The segment's owner, L and
  the seal of entry L are kept in the replicated ``settings`` table (``LEGACY_SETTING``), so the
  hub and every replica check it alike. Nothing is re-sealed; nothing is dropped.

The table is rebuilt (SQLite cannot change a UNIQUE constraint in place) with the same columns
in the same order, so the sync engine's positional changesets see the same table; the
append-only triggers and the indexes are recreated, and an index on ``(at, site_id, seq)`` lets
the trail be read in time order across sites. A database that has not had this migration (an
archive made before it, checked before restoring) is read as one legacy chain over everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clinicdesk.domain.ids import utc_now, uuid7
from clinicdesk.storage.driver import sqlite3

if TYPE_CHECKING:
    from clinicdesk.storage.database import Database

MIGRATION_NAME = "0010_per_site_audit_chains"
LEGACY_SETTING = "audit_legacy_trail"  # settings key: the legacy segment, as JSON
THIS_SITE_KEY = "this_site_id"  # the same local_state key as storage.clinic.THIS_SITE_KEY
# local_state key: the chain this installation writes when it is not its site's id (a second
# workstation at a site; see the module).
CHAIN_KEY = "audit_chain_id"
GENESIS = "0" * 64
# The hub's ``this_site_id`` (no site's id): its only entries seal records as a sync merged
# them (``storage.audit.SYNC_MERGE_ACTION``), in a chain of its own.
HUB_SITE = "hub"
HUB_NAME = "Hub (sync)"

_COLUMNS_SQL = """
    id TEXT PRIMARY KEY NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (site_id, seq)"""
GUARDS = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
)


@dataclass(frozen=True)
class Legacy:
    """The old single chain kept whole: entries 1 to ``last_seq`` (every site id), owned by
    ``owner``; ``last_seq`` ``None`` means the whole table (the migration is not applied)."""

    owner: str
    last_seq: int | None
    last_hash: str


@dataclass(frozen=True)
class Chain:
    """One site's chain: the SQL condition selecting its entries, where it starts."""

    site_id: str
    where: str
    params: tuple[Any, ...]
    first_seq: int  # the number its first entry carries
    first_prev: str  # the seal its first entry follows


def _local(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM local_state WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def own_site(db: Database) -> str | None:
    """This installation's chain (the one it appends to): its own chain id when it is a further
    workstation at its site, else its site; for a database without one, the chain of the newest
    entry written; ``None`` for an empty database without a clinic."""
    site = _local(db, CHAIN_KEY) or _local(db, THIS_SITE_KEY)
    if site is not None:
        return site
    row = db.execute("SELECT site_id FROM audit_log ORDER BY rowid DESC LIMIT 1").fetchone()
    return None if row is None else str(row[0])


def migrated(db: Database) -> bool:
    try:
        row = db.execute(
            "SELECT 1 FROM _sqlite_migrations WHERE name = ?", [MIGRATION_NAME]
        ).fetchone()
    except sqlite3.OperationalError:  # no migrations table: a bare database, never migrated
        return False
    return row is not None


def legacy(db: Database) -> Legacy | None:
    """The legacy segment, if this trail has one (see the module docstring)."""
    if not migrated(db):
        if db.execute("SELECT 1 FROM audit_log LIMIT 1").fetchone() is None:
            return None
        return Legacy(own_site(db) or "", None, "")
    row = db.execute(
        "SELECT value FROM settings WHERE key = ? AND deleted_at IS NULL", [LEGACY_SETTING]
    ).fetchone()
    if row is None:
        return None
    try:
        data = json.loads(row[0])
        return Legacy(str(data["site"]), int(data["seq"]), str(data["hash"]))
    except (ValueError, KeyError, TypeError):
        return None  # damaged: the chains are checked without it, and its entries fail


def chain(db: Database, site_id: str, old: Legacy | None = None) -> Chain:
    """Which entries form ``site_id``'s chain (pass ``legacy(db)`` when already read)."""
    if old is None:
        return Chain(site_id, "site_id = ?", (site_id,), 1, GENESIS)
    if old.last_seq is None:  # not migrated: everything is one chain
        return Chain(site_id, "1", (), 1, GENESIS)
    if site_id == old.owner:
        return Chain(site_id, "(seq <= ? OR site_id = ?)", (old.last_seq, site_id), 1, GENESIS)
    return Chain(
        site_id, "(site_id = ? AND seq > ?)", (site_id, old.last_seq), old.last_seq + 1, GENESIS
    )


def sites(db: Database, old: Legacy | None = None) -> list[str]:
    """The sites that have entries in this trail (each has a chain), oldest first."""
    if old is not None and old.last_seq is None:
        return [old.owner]
    found = [
        str(s)
        for (s,) in db.execute(
            "SELECT site_id FROM audit_log"
            + ("" if old is None else " WHERE seq > ?")
            + " GROUP BY site_id ORDER BY min(rowid)",
            [] if old is None else [old.last_seq],
        )
    ]
    if old is not None and old.owner not in found:
        found.insert(0, old.owner)
    return found


def head(db: Database, site_id: str, old: Legacy | None = None) -> tuple[int, str]:
    """The newest entry's number and seal in ``site_id``'s chain; ``(0, GENESIS)`` when it has
    none (a site whose chain starts after a legacy segment: ``(L, GENESIS)``)."""
    spec = chain(db, site_id, old)
    row = db.execute(
        f"SELECT seq, hash FROM audit_log WHERE {spec.where} ORDER BY seq DESC LIMIT 1",
        list(spec.params),
    ).fetchone()
    if row is not None:
        return int(row[0]), str(row[1])
    return spec.first_seq - 1, spec.first_prev


def seal_at(db: Database, site_id: str, seq: int, old: Legacy | None = None) -> str | None:
    spec = chain(db, site_id, old)
    row = db.execute(
        f"SELECT hash FROM audit_log WHERE {spec.where} AND seq = ?", [*spec.params, seq]
    ).fetchone()
    return None if row is None else str(row[0])


def iter_rows(db: Database, spec: Chain, columns: str) -> Iterator[tuple[Any, ...]]:
    yield from db.execute(
        f"SELECT {columns} FROM audit_log WHERE {spec.where} ORDER BY seq", list(spec.params)
    )


def site_names(db: Database) -> dict[str, str]:
    """Each chain's name, by id: a site's (archived sites too), and a further workstation's
    own chain named after its site and label ("Main clinic (workstation 2)")."""
    try:
        names = {str(i): str(n) for i, n in db.execute("SELECT id, name FROM sites")}
    except sqlite3.OperationalError:  # a bare database without the sites table
        return {}
    try:
        workstations = db.execute(
            "SELECT audit_chain, site_id, label FROM installations WHERE audit_chain != site_id"
        ).fetchall()
    except sqlite3.OperationalError:  # a database before migration 0012
        workstations = []
    for chain_id, site_id, label in workstations:
        site = names.get(str(site_id), f"site {site_id}")
        names.setdefault(str(chain_id), f"{site} ({label})" if label else site)
    return {HUB_SITE: HUB_NAME, **names}


# -- migration 0010 ------------------------------------------------------------------------------


def migrate_per_site(db: Any) -> None:
    """Migration 0010 (``db``: the sqlite-utils database the migration runs on)."""
    this_site = _first(db, "SELECT value FROM local_state WHERE key = ?", THIS_SITE_KEY)
    site_ids = [str(s) for (s,) in db.execute("SELECT DISTINCT site_id FROM audit_log")]
    if site_ids and (len(site_ids) > 1 or (this_site is not None and site_ids[0] != this_site)):
        newest = db.execute("SELECT seq, hash, site_id FROM audit_log ORDER BY seq DESC LIMIT 1")
        last_seq, last_hash, last_site = newest.fetchone()
        owner = this_site or str(last_site)
        now = utc_now()
        value = json.dumps({"site": owner, "seq": int(last_seq), "hash": str(last_hash)})
        db.execute(
            "INSERT INTO settings (id, created_at, updated_at, created_by, updated_by, site_id, "
            "version, key, value) VALUES (?, ?, ?, 'migration', 'migration', ?, 1, ?, ?)",
            [uuid7(), now, now, owner, LEGACY_SETTING, value],
        )
    db.execute(f"CREATE TABLE audit_log_per_site ({_COLUMNS_SQL}\n) STRICT")
    db.execute("INSERT INTO audit_log_per_site SELECT * FROM audit_log ORDER BY seq")
    db.execute("DROP TABLE audit_log")  # its triggers and indexes go with it
    db.execute("ALTER TABLE audit_log_per_site RENAME TO audit_log")
    db.execute("CREATE INDEX audit_by_entity ON audit_log (entity, entity_id)")
    db.execute("CREATE INDEX audit_by_time ON audit_log (at, site_id, seq)")
    for statement in GUARDS:
        db.execute(statement)


def _first(db: Any, sql: str, *params: Any) -> str | None:
    row = db.execute(sql, list(params)).fetchone()
    return None if row is None else str(row[0])
