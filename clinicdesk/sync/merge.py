"""Applying a changeset: at the hub, never overwriting; at a replica, keeping what changed there
after its changes were sent.

At the hub (``apply_at_hub``) every change is applied, found already there, merged or parked:

- an UPDATE whose row changed at the hub meanwhile (a DATA conflict) is merged field by field:
  columns only one side changed are taken, columns both changed differently are parked in
  ``sync_conflicts`` with both values, and the merged row gets a version above both sides'
  (``updated_at``/``updated_by``/``version`` are bookkeeping, never a conflict by themselves);
- an archive (``deleted_at`` set) against an edit keeps the edit and parks the archive, either
  way round;
- an INSERT whose id exists, a DELETE of a changed row, an UPDATE of a row the hub no longer
  has, and a change refused by a UNIQUE or CHECK constraint are parked whole;
- a change whose result is already at the hub (the same bundle again, or a sync that stopped
  after the hub's commit and is sent again) counts as applied and changes nothing.

Conflict handlers only ever return OMIT: merges and parked rows are written after the
changeset, in the same transaction. Then every change not parked is read back and compared, so
"applied + parked == changes" is checked against the database, not just counted.

At a replica (``apply_at_replica``) the hub's changes are taken, except on rows changed there
after the push's diff (their version is not the one that was sent): those keep the replica's
value, which the next sync sends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import apsw

from clinicdesk.domain.ids import utc_now, uuid7
from clinicdesk.sync import audit_rows
from clinicdesk.sync.changes import iterate, value
from clinicdesk.sync.connection import SyncError

BOOKKEEPING = frozenset({"updated_at", "updated_by", "version"})
OMIT = apsw.SQLITE_CHANGESET_OMIT
REPLACE = apsw.SQLITE_CHANGESET_REPLACE


@dataclass(frozen=True)
class Origin:
    bundle_id: str
    site_id: str


@dataclass
class Parked:
    table: str
    row_id: str
    kind: str
    columns: list[str]
    hub: dict[str, Any]
    incoming: dict[str, Any]
    patient_id: str | None
    hub_row: dict[str, Any]
    incoming_row: dict[str, Any]


@dataclass
class HubApply:
    changes: int = 0
    applied: int = 0
    already: int = 0
    merged: int = 0
    parked: list[Parked] = field(default_factory=list)
    foreign_key_problems: int = 0
    files: int = 0  # files copied into the hub's stores
    skipped: int = 0  # audit entries not carried (audit_rows.carried)
    audit_entries: int = 0  # other sites' audit entries taken (not counted in ``taken``)
    # (table, id) of the rows merged, or kept while part of a change was parked: the hub seals
    # them in its audit chain (audit_rows.seal_at_hub)
    touched: set[tuple[str, str]] = field(default_factory=set)


def _row(names: list[str], values: Any) -> dict[str, Any]:
    if values is None:
        return {}
    return {n: value(values, i) for i, n in enumerate(names) if values[i] is not apsw.no_change}


def _patient_of(table: str, row: dict[str, Any], row_id: str) -> str | None:
    if table == "patients":
        return row_id
    found = row.get("patient_id")
    return None if found is None else str(found)


class _HubHandler:
    def __init__(self, columns: dict[str, list[str]], conn: apsw.Connection) -> None:
        self.columns = columns
        self.conn = conn
        self.result = HubApply()
        self.merges: list[tuple[str, str, dict[str, Any]]] = []
        self.handled: set[tuple[str, str]] = set()

    def __call__(self, reason: int, change: apsw.TableChange) -> int:
        if reason == apsw.SQLITE_CHANGESET_FOREIGN_KEY:
            self.result.foreign_key_problems += change.fk_conflicts or 0
            return OMIT  # reported loudly by the caller; the changes stay applied
        table, names = change.name, self.columns[change.name]
        old, new = _row(names, change.old), _row(names, change.new)
        row_id = str((old or new)["id"])
        current = _row(names, change.conflict) if change.conflict is not None else {}
        if table == audit_rows.TABLE:
            if reason == apsw.SQLITE_CHANGESET_CONFLICT and _same(current, new):
                self.result.already += 1
                self.handled.add((table, row_id))
                return OMIT
            raise audit_rows.collision(self.conn, names, change.new)
        self.handled.add((table, row_id))
        if reason == apsw.SQLITE_CHANGESET_DATA and change.op == "UPDATE":
            self._merge(table, row_id, old, new, current)
        elif (reason == apsw.SQLITE_CHANGESET_NOTFOUND and change.op == "DELETE") or (
            reason == apsw.SQLITE_CHANGESET_CONFLICT and _same(current, new)
        ):
            self.result.already += 1
        else:
            kind = {"INSERT": "insert", "DELETE": "delete"}.get(change.op, "edit")
            hub_full = current
            self._park(table, row_id, kind, sorted(new or old), hub_full, new or old, current)
        return OMIT

    def _merge(
        self,
        table: str,
        row_id: str,
        old: dict[str, Any],
        new: dict[str, Any],
        current: dict[str, Any],
    ) -> None:
        take: dict[str, Any] = {}
        clash: list[str] = []
        for column, incoming in new.items():
            if column in BOOKKEEPING or current.get(column) == incoming:
                continue
            if current.get(column) == old.get(column):
                take[column] = incoming
            else:
                clash.append(column)
        archive: str | None = None
        if take.get("deleted_at") is not None:
            archive = "incoming"  # archived there, edited here: keep the edit
            take.pop("deleted_at")
        elif current.get("deleted_at") is not None and "deleted_at" not in new and new:
            archive = "hub"  # archived here, edited there: keep the edit (un-archive)
            take["deleted_at"] = None
        if take:
            version = max(int(current.get("version") or 0), int(new.get("version") or 0)) + 1
            take["version"] = version
            take["updated_at"] = max(
                str(current.get("updated_at", "")), str(new.get("updated_at", ""))
            )
            if "updated_by" in new:
                take["updated_by"] = new["updated_by"]
            self.merges.append((table, row_id, take))
        if clash:
            self._park(table, row_id, "edit", clash, current, new, current)
        if archive is not None:
            hub_value = current.get("deleted_at") if archive == "hub" else None
            incoming_value = new.get("deleted_at") if archive == "incoming" else None
            self._park(
                table,
                row_id,
                "delete",
                ["deleted_at"],
                {"deleted_at": hub_value, **_who(current)},
                {"deleted_at": incoming_value, **_who(new)},
                current,
            )
        if not clash and archive is None:
            if take:
                self.result.merged += 1
            else:
                self.result.already += 1

    def _park(
        self,
        table: str,
        row_id: str,
        kind: str,
        columns: list[str],
        hub: dict[str, Any],
        incoming: dict[str, Any],
        current: dict[str, Any],
    ) -> None:
        if self.result.parked and (self.result.parked[-1].table, self.result.parked[-1].row_id) == (
            table,
            row_id,
        ):
            self.result.parked[-1].columns += columns  # one change, one parked entry
            self.result.parked[-1].hub.update({c: hub.get(c) for c in columns})
            self.result.parked[-1].incoming.update({c: incoming.get(c) for c in columns})
            return
        self.result.parked.append(
            Parked(
                table,
                row_id,
                kind,
                list(columns),
                {c: hub.get(c) for c in columns},
                {c: incoming.get(c) for c in columns},
                _patient_of(table, current or incoming, row_id),
                hub,
                incoming,
            )
        )


def _who(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("updated_at", "updated_by") if k in row}


def _same(current: dict[str, Any], new: dict[str, Any]) -> bool:
    return all(current.get(k) == v for k, v in new.items())


def apply_at_hub(
    conn: apsw.Connection, changeset: bytes, columns: dict[str, list[str]], origin: Origin
) -> HubApply:
    """Apply ``changeset`` (inside the caller's transaction); see the module. Audit entries
    follow ``audit_rows``: the caller records their heads before committing."""
    handler = _HubHandler(columns, conn)
    own = audit_rows.own_site(conn)
    skipped = audit_rows.skipped(changeset, columns, own)
    apsw.Changeset.apply(
        changeset,
        conn,
        filter_change=lambda change: audit_rows.carried(change, columns[change.name], own),
        conflict=handler,
    )
    for table, row_id, values in handler.merges:
        assignments = ", ".join(f'"{c}" = ?' for c in values)
        conn.execute(f'UPDATE "{table}" SET {assignments} WHERE id = ?', (*values.values(), row_id))
    for parked in handler.result.parked:
        _write_parked(conn, parked, origin)
    result = handler.result
    result.changes = sum(1 for _ in iterate(changeset))
    parked_keys = {(p.table, p.row_id) for p in result.parked}
    result.touched = parked_keys | {(table, row_id) for table, row_id, _ in handler.merges}
    result.skipped = len(skipped)
    result.applied = result.changes - len(result.parked) - result.skipped
    wrong = _check_applied(conn, changeset, columns, parked_keys | handler.handled | skipped)
    if wrong:
        raise SyncError(
            f"{len(wrong)} change(s) in the bundle were neither applied nor parked at the hub "
            f"(first: {wrong[0]}); nothing was changed. Report this to your IT support."
        )
    if result.foreign_key_problems:
        raise SyncError(
            f"{result.foreign_key_problems} change(s) refer to records the hub does not have; "
            "nothing was changed. Sync the installation that made those records first."
        )
    return result


def _check_applied(
    conn: apsw.Connection,
    changeset: bytes,
    columns: dict[str, list[str]],
    skip: set[tuple[str, str]],
) -> list[str]:
    """The changes whose result is not in the database (each as 'table id')."""
    wrong: list[str] = []
    for change in iterate(changeset):
        names = columns[change.name]
        old, new = _row(names, change.old), _row(names, change.new)
        row_id = str((old or new)["id"])
        if (change.name, row_id) in skip:
            continue
        cursor = conn.execute(f'SELECT * FROM "{change.name}" WHERE id = ?', (row_id,))
        found = cursor.fetchone()
        if change.op == "DELETE":
            ok = found is None
        else:
            ok = found is not None and _same(dict(zip(names, found, strict=True)), new)
        if not ok:
            wrong.append(f"{change.name} {row_id}")
    return wrong


def _write_parked(conn: apsw.Connection, parked: Parked, origin: Origin) -> None:
    now = utc_now()
    who = str(
        parked.incoming_row.get("updated_by") or parked.incoming_row.get("created_by") or "sync"
    )
    conn.execute(
        "INSERT INTO sync_conflicts (id, created_at, updated_at, created_by, updated_by, site_id, "
        "version, table_name, row_id, patient_id, kind, columns, hub_values, incoming_values, "
        "hub_site_id, hub_updated_by, hub_updated_at, incoming_site_id, incoming_updated_by, "
        "incoming_updated_at, bundle_id) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?)",
        (
            uuid7(),
            now,
            now,
            who,
            who,
            origin.site_id,
            parked.table,
            parked.row_id,
            parked.patient_id,
            parked.kind,
            json.dumps(parked.columns),
            json.dumps(parked.hub, default=str),
            json.dumps(parked.incoming, default=str),
            "",
            str(parked.hub_row.get("updated_by") or ""),
            str(parked.hub_row.get("updated_at") or ""),
            origin.site_id,
            who,
            str(parked.incoming_row.get("updated_at") or ""),
            origin.bundle_id,
        ),
    )


INSTALLATIONS = "installations"  # written only at the hub (join): never a record change here


@dataclass
class ReplicaApply:
    changes: int = 0
    taken: int = 0
    kept: int = 0  # changed here after the push: kept, sent next time
    skipped: int = 0  # audit entries not carried (audit_rows.carried)
    audit_entries: int = 0  # other sites' audit entries taken (not counted in ``taken``)
    # ``taken`` counts record changes: neither audit entries nor new installations' rows
    restored: list[tuple[str, str]] = field(default_factory=list)  # rows put back from the hub
    foreign_key_problems: int = 0


class _ReplicaHandler:
    def __init__(
        self,
        columns: dict[str, list[str]],
        pushed: dict[tuple[str, str], int | None],
        conn: apsw.Connection,
    ):
        self.columns = columns
        self.pushed = pushed
        self.conn = conn
        self.result = ReplicaApply()

    def __call__(self, reason: int, change: apsw.TableChange) -> int:
        if reason == apsw.SQLITE_CHANGESET_FOREIGN_KEY:
            self.result.foreign_key_problems += change.fk_conflicts or 0
            return OMIT
        names = self.columns[change.name]
        old, new = _row(names, change.old), _row(names, change.new)
        key = (change.name, str((old or new)["id"]))
        current = _row(names, change.conflict) if change.conflict is not None else {}
        if change.name == audit_rows.TABLE:
            if reason == apsw.SQLITE_CHANGESET_CONFLICT and _same(current, new):
                return OMIT  # already here
            raise audit_rows.collision(self.conn, names, change.new)
        if reason == apsw.SQLITE_CHANGESET_NOTFOUND:
            if change.op == "UPDATE" and key in self.pushed and self.pushed[key] is None:
                self.result.restored.append(key)  # deleted here, kept at the hub
            elif change.op == "UPDATE":
                self.result.kept += 1
            return OMIT
        if change.op != "DELETE" and _same(current, new):
            return OMIT
        if reason in (apsw.SQLITE_CHANGESET_DATA, apsw.SQLITE_CHANGESET_CONFLICT):
            as_sent = "version" not in names or (
                key in self.pushed and self.pushed[key] == current.get("version")
            )
            if as_sent:
                return REPLACE
        self.result.kept += 1
        return OMIT


def apply_at_replica(
    conn: apsw.Connection,
    changeset: bytes,
    columns: dict[str, list[str]],
    pushed: dict[tuple[str, str], int | None],
    hub_schema: str,
) -> ReplicaApply:
    """Apply the hub's ``changeset`` (inside the caller's transaction); ``pushed`` holds the
    version of each row this sync sent (None: deleted). ``hub_schema`` is the hub's snapshot,
    attached, from which rows deleted here but kept at the hub are put back. Audit entries
    follow ``audit_rows``: the caller records their heads before committing."""
    handler = _ReplicaHandler(columns, pushed, conn)
    own = audit_rows.own_site(conn)
    # Read before the changeset is applied: a row the hub's changes are taken into (REPLACE
    # sets only the columns the hub changed) is no longer at the version it was sent at.
    unchanged = _unchanged_since_push(conn, pushed, columns)
    apsw.Changeset.apply(
        changeset,
        conn,
        filter_change=lambda change: audit_rows.carried(change, columns[change.name], own),
        conflict=handler,
    )
    result = handler.result
    result.skipped = len(audit_rows.skipped(changeset, columns, own))
    for table, row_id in result.restored:
        conn.execute(
            f'INSERT OR IGNORE INTO main."{table}" '
            f'SELECT * FROM {hub_schema}."{table}" WHERE id = ?',
            (row_id,),
        )
    _reconcile(conn, unchanged, columns, hub_schema)
    audit = registered = 0
    for change in iterate(changeset):  # each change is valid only while it is the current one
        result.changes += 1
        audit += change.name == audit_rows.TABLE
        registered += change.name == INSTALLATIONS
    result.audit_entries = audit - result.skipped
    # A new installation registered at the hub is no record change of the clinic's.
    result.taken = result.changes - result.kept - audit - registered
    return result


def _unchanged_since_push(
    conn: apsw.Connection,
    pushed: dict[tuple[str, str], int | None],
    columns: dict[str, list[str]],
) -> list[tuple[str, str]]:
    """The rows this sync sent that are still at the version sent (nobody changed them here
    while the sync ran)."""
    unchanged: list[tuple[str, str]] = []
    for (table, row_id), version in pushed.items():
        if version is None or "version" not in columns.get(table, []):
            continue
        found = conn.execute(
            f'SELECT version FROM main."{table}" WHERE id = ?', (row_id,)
        ).fetchone()
        if found is not None and found[0] == version:
            unchanged.append((table, row_id))
    return unchanged


def _reconcile(
    conn: apsw.Connection,
    unchanged: list[tuple[str, str]],
    columns: dict[str, list[str]],
    hub_schema: str,
) -> None:
    """Each row this sync sent and nobody changed here since (``unchanged``, read before the
    hub's changes were applied) takes the hub's row whole: the hub merged it or parked part of
    it (an archive against an edit, a clashing field), and what the hub kept is the clinic's
    record; the parked value waits in ``sync_conflicts``."""
    for table, row_id in unchanged:
        names = ", ".join(f'"{c}"' for c in columns[table])
        mine = conn.execute(
            f'SELECT {names} FROM main."{table}" WHERE id = ?', (row_id,)
        ).fetchone()
        theirs = conn.execute(
            f'SELECT {names} FROM {hub_schema}."{table}" WHERE id = ?', (row_id,)
        ).fetchone()
        if mine is None or theirs is None or mine == theirs:
            continue
        conn.execute(
            f'UPDATE main."{table}" SET ({names}) = '
            f'(SELECT {names} FROM {hub_schema}."{table}" WHERE id = ?) WHERE id = ?',
            (row_id, row_id),
        )
