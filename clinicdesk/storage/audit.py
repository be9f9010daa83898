"""The audit trail: an append-only table whose entries are chained by a keyed hash (HMAC).

One chain per site (``storage.audit_chains``): this installation appends only to its own
site's chain, numbering and linking its entries within it; other sites' entries arrive by sync
as they were sealed. Below, "the entry before it" means the one before it in the same chain.

Triggers refuse UPDATE and DELETE. Each entry stores the seal (HMAC-SHA256 under the clinic's
audit key) of the entry before it, and its own seal over all its fields plus that previous
seal. Editing an entry breaks its seal; deleting or reordering entries breaks the links; and
without the key nobody can compute a seal that passes. A cut-off tail leaves every remaining
link intact, so the newest entry's number and seal (the *head*) are also kept in a second
place, ``local_state``, updated in the same transaction as each entry (and, later, in each
backup's manifest via ``head``). ``verify_chain`` checks all of it and says which entries are
affected. Entries are written by the services inside the transaction of the change they
describe, so a change and its audit entry commit together. ``detail`` names fields and counts,
never patient identifiers such as names.

The key, the head and the anchor file (a third copy of the head, outside the database) are
``storage.audit_anchor``: a new entry continues from the highest head any of them knows, and
each commit that added entries updates the anchor. Checking the trail is ``storage.audit_check``.

Record seals. An entry that creates or changes a patient, consultation, treatment or adverse
event carries the record's version and a keyed seal of the whole row as it was committed
(``_row`` in the detail, not shown to people); ``verify_records`` reports rows changed, deleted
or added outside ClinicDesk since.

Entries that cannot be written. A read (opening a record, a refusal, the sign-in, a check) is
audited with ``record``: when the disk is full or the audit key is missing, the entry waits in
memory (``pending``) and the read goes on; it is written, in order and with its original time,
before the next entry that can be written (``append`` or ``record``). A change is never saved
without its entry: ``append`` raises and the change is rolled back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from clinicdesk.domain.ids import utc_now, uuid7
from clinicdesk.storage import audit_chains
from clinicdesk.storage.audit_anchor import (
    AUDIT_HEAD,
    AuditUnavailable,
    audit_key,
    next_position,
    set_local_value,
    update_anchor,
)
from clinicdesk.storage.database import Database, StorageError, write_transaction
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.records import Actor

log = logging.getLogger(__name__)

ROW_SEAL = "_row"  # detail key: "version:seal" of the record as the entry's change left it
# Entities whose rows are sealed into the entries that change them, and their tables.
SEALED_TABLES = {
    "patient": "patients",
    "consultation": "consultations",
    "treatment": "treatments",
    "adverse_event": "adverse_events",
}
# A record destroyed under the retention schedule (``services.retention``): verify expects it
# gone. The entry names the record's id only.
DESTROY_ACTION = "destroy"
# sync_merge: the hub seals a record as a sync left it (merged fields, or kept while the
# other side's change was parked), so every copy's newest seal matches the row.
SYNC_MERGE_ACTION = "sync_merge"
_SEALING_ACTIONS = frozenset(
    {"create", "update", "archive", "restore", "override", SYNC_MERGE_ACTION}
)

# The columns a seal covers (with the previous seal), then the two seals.
_SEALED = ("id", "seq", "at", "user_id", "site_id", "action", "entity", "entity_id", "detail")
_COLUMNS = ", ".join((*_SEALED, "prev_hash", "hash"))


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    user_id: str
    site_id: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]

    @property
    def position(self) -> Position:
        """Where the entry stands in the trail read across sites (time order)."""
        return (self.at, self.site_id, self.seq)


# (at, site_id, seq): the trail read across sites is in time order; entries of one site keep
# their order, and entries of several sites written in the same millisecond have one too.
Position = tuple[str, str, int]


DISK_FULL = "the disk is full"
CHECK_RUNNING = "the database is still being checked"


def unwritable_reason(exc: BaseException) -> str | None:
    """Why ``exc`` (raised by a write) means no audit entry can be written now, or ``None``."""
    if isinstance(exc, AuditUnavailable):
        return exc.reason
    cause = exc if isinstance(exc, sqlite3.Error) else exc.__cause__
    if isinstance(exc, StorageError | sqlite3.Error) and isinstance(cause, sqlite3.Error):
        text = str(cause).lower()
        if "full" in text:
            return DISK_FULL
    return None


# -- writing ------------------------------------------------------------------------------------


def _entry_mac(key: bytes, prev_hash: str, fields: Mapping[str, Any]) -> str:
    payload = json.dumps({"prev": prev_hash, **fields}, sort_keys=True, ensure_ascii=False)
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def row_seal(db: Database, key: bytes, table: str, record_id: str) -> tuple[int, str] | None:
    """The record's version and a keyed seal over every column, ``None`` if there is no row."""
    cursor = db.execute(f"SELECT * FROM {table} WHERE id = ?", [record_id])
    row = cursor.fetchone()
    if row is None:
        return None
    names = [d[0] for d in cursor.description]
    values = {n: (v.hex() if isinstance(v, bytes) else v) for n, v in zip(names, row, strict=True)}
    payload = json.dumps({"table": table, **values}, sort_keys=True, ensure_ascii=False)
    seal = hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
    return int(values.get("version") or 0), seal


def _new_entry(
    actor: Actor, action: str, entity: str, entity_id: str, detail: Mapping[str, Any] | None
) -> dict[str, Any]:
    """An entry's fields but its number (given when it is written)."""
    return {
        "id": uuid7(),
        "at": utc_now(),
        "user_id": actor.user_id,
        "site_id": actor.site_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "detail": dict(detail or {}),
    }


def _write(db: Database, entries: Sequence[dict[str, Any]]) -> None:
    """Write the waiting entries, then ``entries``, in order (inside a write transaction).

    On a database that refuses writes (read-only storage, a damaged file) nothing can be
    recorded: reading goes on, the log says entries were skipped, and any change in the same
    transaction fails on its own.
    """
    if db.writes_held:
        # For a moment only (the start-up check runs): record_all keeps them in memory.
        assert db.read_only is not None
        raise AuditUnavailable(db.read_only, CHECK_RUNNING)
    if db.read_only is not None:
        log.info("%d audit entries not recorded (database read-only)", len(entries))
        return
    key = audit_key(db)
    waiting = _pending.get(db, [])
    written = (
        {
            str(r[0])
            for r in db.execute(
                f"SELECT id FROM audit_log WHERE id IN ({', '.join('?' for _ in waiting)})",
                [e["id"] for e in waiting],
            )
        }
        if waiting
        else set()
    )
    to_write = [*(e for e in waiting if e["id"] not in written), *entries]
    hook = _after_commit_hook(db)
    if hook not in db.after_commit:
        db.after_commit.append(hook)
    if not to_write:
        return
    # Every entry joins this installation's own site's chain (``storage.audit_chains``).
    site = audit_chains.own_site(db) or to_write[0]["site_id"]
    seq, prev_hash = next_position(db, key, site)
    for entry in to_write:
        detail = dict(entry["detail"])
        table = SEALED_TABLES.get(entry["entity"])
        if table and entry["action"] in _SEALING_ACTIONS and entry["entity_id"]:
            sealed = row_seal(db, key, table, entry["entity_id"])
            if sealed is not None:
                detail[ROW_SEAL] = f"{sealed[0]}:{sealed[1]}"
        seq += 1
        fields = {
            **entry,
            "site_id": site,
            "seq": seq,
            "detail": json.dumps(detail, sort_keys=True, ensure_ascii=False),
        }
        fields = {name: fields[name] for name in _SEALED}
        seal = _entry_mac(key, prev_hash, fields)
        row = {**fields, "prev_hash": prev_hash, "hash": seal}
        db.execute(
            f"INSERT INTO audit_log ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
        prev_hash = seal
    set_local_value(db, AUDIT_HEAD, f"{seq}:{prev_hash}")


def _after_commit_hook(db: Database) -> Callable[[], None]:
    hook = _after_commit_hooks.get(db)
    if hook is None:
        reference = weakref.ref(db)

        def hook() -> None:
            target = reference()
            if target is not None:
                _prune_pending(target)
                update_anchor(target)

        _after_commit_hooks[db] = hook
    return hook


def append(
    db: Database,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Add one entry. Call inside the write transaction of the change it records; raises
    ``AuditKeyMissing`` (so the change is not saved) when the key is gone."""
    _write(db, [_new_entry(actor, action, entity, entity_id, detail)])


# -- entries for reads, and those waiting to be written ----------------------------------------

# Per open database: entries that could not be written yet, oldest first.
_pending: weakref.WeakKeyDictionary[Database, list[dict[str, Any]]] = weakref.WeakKeyDictionary()
_unwritable: weakref.WeakKeyDictionary[Database, str] = weakref.WeakKeyDictionary()
_after_commit_hooks: weakref.WeakKeyDictionary[Database, Callable[[], None]] = (
    weakref.WeakKeyDictionary()
)

Event = tuple[Actor, str, str, str, Mapping[str, Any] | None]


def record(
    db: Database,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str,
    detail: Mapping[str, Any] | None = None,
) -> bool:
    """Audit a read (a view, a refusal, a check) in its own transaction; ``False`` when it had
    to wait in memory instead (see ``record_all``)."""
    return record_all(db, [(actor, action, entity, entity_id, detail)])


def record_all(db: Database, events: Sequence[Event]) -> bool:
    """Write ``events`` together, after any that are waiting; ``True`` when written.

    When no entry can be written (the disk is full, the audit key is missing) they wait in
    memory for the next entry that can be, and the read they describe goes on: refusing it
    would lock everyone out of the records (RELIABILITY row 26). The log says that it happened,
    never about whom. Inside a caller's transaction a failure is not caught: that transaction
    may already have been rolled back by SQLite.
    """
    entries = [
        _new_entry(a, action, entity, entity_id, detail)
        for a, action, entity, entity_id, detail in events
    ]
    if db.conn.in_transaction:
        _write(db, entries)
        return True
    try:
        with write_transaction(db):
            _write(db, entries)
    except StorageError as exc:
        reason = unwritable_reason(exc)
        if reason is None:
            raise
        for entry in entries:
            entry["detail"] = {**entry["detail"], "recorded_late": True}
        _pending.setdefault(db, []).extend(entries)
        _unwritable[db] = reason
        log.warning(
            "%d audit entr%s kept in memory, to be written later: %s (%s)",
            len(entries),
            "y" if len(entries) == 1 else "ies",
            reason,
            ", ".join(sorted({f"{e['action']} {e['entity']}" for e in entries})),
        )
        return False
    return True


def flush(db: Database) -> bool:
    """Try again to write the entries waiting in memory; ``True`` when none is left."""
    if not pending(db):
        return True
    return record_all(db, [])


def _prune_pending(db: Database) -> None:
    waiting = _pending.get(db)
    if not waiting:
        return
    ids = [e["id"] for e in waiting]
    written = {
        str(r[0])
        for r in db.execute(
            f"SELECT id FROM audit_log WHERE id IN ({', '.join('?' for _ in ids)})", ids
        )
    }
    left = [e for e in waiting if e["id"] not in written]
    if left:
        _pending[db] = left
    else:
        _pending.pop(db, None)
        _unwritable.pop(db, None)
        log.info("audit entries kept in memory have been written")


def pending(db: Database) -> int:
    """How many entries wait in memory to be written."""
    return len(_pending.get(db, []))


def pending_reason(db: Database) -> str | None:
    """Why entries are waiting ("the disk is full", "the audit key is missing"), if they are."""
    return _unwritable.get(db) if pending(db) else None


# -- reading ------------------------------------------------------------------------------------


class AuditFilter(TypedDict, total=False):
    """Which entries: every filter given must match. ``since``/``until`` are UTC timestamps in
    the stored format (``until`` exclusive); ``patient_ids`` selects the entries about those
    patients."""

    entity: str | None
    entity_id: str | None
    patient_ids: Sequence[str] | None
    user_id: str | None
    action: str | None
    since: str | None
    until: str | None


class AuditPage(TypedDict, total=False):
    """In which order (time, across sites), and how many: ``before`` (the ``position`` of the
    last entry shown) with ``newest_first`` pages backwards (keyset paging)."""

    before: Position | None
    limit: int | None
    newest_first: bool


class AuditQuery(AuditFilter, AuditPage, total=False):
    """Which entries, in which order."""


def _sql(select: str, query: AuditFilter, page: AuditPage | None = None) -> tuple[str, list[Any]]:
    """The one query behind every reading of the trail: ``SELECT select FROM audit_log``
    with the WHERE of the filters given and, for a ``page``, its order and limit."""
    where: list[str] = []
    params: list[Any] = []

    def match(condition: str, *values: Any) -> None:
        where.append(condition)
        params.extend(values)

    for column in ("entity", "entity_id", "user_id", "action"):
        value = query.get(column)
        if value is not None:
            match(f"{column} = ?", value)
    patient_ids = query.get("patient_ids")
    if patient_ids is not None:
        if not patient_ids:
            match("0")
        else:
            # A patient's entries name it as the entity (patient, medical history, a refusal)
            # or, for its child records such as a classification, in the detail.
            marks = ", ".join("?" for _ in patient_ids)
            match(
                f"(entity_id IN ({marks}) OR json_extract(detail, '$.patient') IN ({marks}))",
                *patient_ids,
                *patient_ids,
            )
    for key, condition in (("since", "at >= ?"), ("until", "at < ?")):
        value = query.get(key)
        if value is not None:
            match(condition, value)
    before = page.get("before") if page is not None else None
    if before is not None:
        match("(at, site_id, seq) < (?, ?, ?)", *before)
    sql = f"SELECT {select} FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "")
    if page is None:
        return sql, params
    order = " DESC" if page.get("newest_first") else ""
    sql += f" ORDER BY at{order}, site_id{order}, seq{order}"
    limit = page.get("limit")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return sql, params


def iter_entries(db: Database, **query: Unpack[AuditQuery]) -> Iterator[AuditEntry]:
    """Entries matching every filter given (``AuditQuery``), oldest first unless
    ``newest_first``."""
    sql, params = _sql("seq, at, user_id, site_id, action, entity, entity_id, detail", query, query)
    for r in db.execute(sql, params):
        yield AuditEntry(
            seq=r[0],
            at=r[1],
            user_id=r[2],
            site_id=r[3],
            action=r[4],
            entity=r[5],
            entity_id=r[6],
            detail=_shown_detail(r[7]),
        )


def _shown_detail(stored: str) -> dict[str, Any]:
    """The detail as people read it: without the record's seal (``_row``), kept for verify."""
    detail: dict[str, Any] = json.loads(stored)
    detail.pop(ROW_SEAL, None)
    return detail


def entries(db: Database, **query: Unpack[AuditQuery]) -> list[AuditEntry]:
    """``iter_entries`` as a list."""
    return list(iter_entries(db, **query))


def count(db: Database, **query: Unpack[AuditFilter]) -> int:
    sql, params = _sql("count(*)", query)
    return int(db.execute(sql, params).fetchone()[0])
