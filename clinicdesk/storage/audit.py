"""The audit trail: an append-only table whose entries are chained by a keyed hash (HMAC).

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

A new entry continues from the recorded head even when the table ends earlier, so entries cut
from the end stay visible afterwards as a gap instead of being papered over by the next entry.

The anchor. Whoever can open the database can also delete the tail *and* the head in
``local_state``, so the head is kept a third time outside the database (DESIGN.md, "Security
model"): ``audit_anchor.json`` beside the database file holds the newest entry's number and
seal, sealed with the audit key, replaced atomically (temp file, fsync, rename) after each
commit that added entries. Before an entry is added the anchor is consulted (numbering goes on
after the highest head any of the three places knows), and when the anchored entry is no longer
in the trail the new anchor keeps it in its ``broken`` list, so later entries never heal a cut
or a rewrite: ``verify_chain`` checks every anchored entry is still where it was. A missing
anchor file, once one was written (``audit_anchored`` in ``local_state``), is reported and not
silently re-created. Known limit: the anchor is sealed with the audit key, which is in the
database, so someone who can open the database (a password) can forge it too; backups and the
hub keep further copies of the head.

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

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinicdesk.domain.ids import utc_now, uuid7
from clinicdesk.storage.database import Database, StorageError, write_transaction
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.records import Actor

log = logging.getLogger(__name__)

GENESIS = "0" * 64
AUDIT_KEY = "audit_key"  # local_state key: the HMAC key, hex (until it derives from the data key)
AUDIT_HEAD = "audit_head"  # local_state key: "seq:seal" of the newest entry written
AUDIT_ANCHORED = "audit_anchored"  # local_state key: an anchor file was written for this trail
ANCHOR_NAME = "audit_anchor.json"  # beside the database file
ANCHOR_FORMAT = 1
KEY_BYTES = 32
ROW_SEAL = "_row"  # detail key: "version:seal" of the record as the entry's change left it
# Entities whose rows are sealed into the entries that change them, and their tables.
SEALED_TABLES = {
    "patient": "patients",
    "consultation": "consultations",
    "treatment": "treatments",
    "adverse_event": "adverse_events",
}
_SEALING_ACTIONS = frozenset({"create", "update", "archive", "restore", "override"})

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


class AuditUnavailable(StorageError):
    """No audit entry can be written now (the disk is full, or the audit key is missing)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class AuditKeyMissing(AuditUnavailable):
    """The audit key was removed from a database whose trail already has entries."""

    def __init__(self) -> None:
        super().__init__(
            "The audit key is missing from the database, so nothing can be saved (every change "
            "is audited); reading still works. Restore the latest backup and run "
            "`clinicdesk audit verify`.",
            "the audit key is missing",
        )


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


# -- the key and the head ---------------------------------------------------------------------


def _local(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM local_state WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def _set_local(db: Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO local_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def stored_audit_key(db: Database) -> bytes | None:
    """The clinic's audit key if it exists; ``None`` if it was never made (or was removed).

    ``verify_chain`` uses this rather than ``audit_key`` so that checking never writes, and a
    removed key is reported instead of silently replaced.
    """
    value = _local(db, AUDIT_KEY)
    if value is None:
        return None
    try:
        key = bytes.fromhex(value)
    except ValueError:
        return None
    return key if len(key) == KEY_BYTES else None


def audit_key(db: Database) -> bytes:
    """The key that seals audit entries: 32 random bytes, made on first use.

    Every caller goes through here, so the key can later be derived from the clinic's data
    key (encryption at rest) by changing this function and ``stored_audit_key`` alone.
    """
    key = stored_audit_key(db)
    if key is not None:
        return key
    with write_transaction(db):  # joins the caller's transaction when there is one
        key = stored_audit_key(db)
        if key is None:
            if _trail_exists(db):
                # A new key would seal new entries that pass while hiding that the old ones
                # can no longer be checked: say so instead (RELIABILITY rows 15 and 35).
                raise AuditKeyMissing()
            key = secrets.token_bytes(KEY_BYTES)
            _set_local(db, AUDIT_KEY, key.hex())
    return key


def _trail_exists(db: Database) -> bool:
    """Whether this database ever had audit entries (so its key may not be made anew)."""
    if head(db)[0] or _local(db, AUDIT_HEAD) is not None or _local(db, AUDIT_ANCHORED):
        return True
    path = anchor_path(db)
    return path is not None and path.exists()


def _recorded_head(db: Database) -> tuple[int, str] | None:
    """The head kept in ``local_state``; ``None`` when absent or unreadable."""
    value = _local(db, AUDIT_HEAD)
    if value is None:
        return None
    seq, _, seal = value.partition(":")
    if not seq.isdigit() or len(seal) != len(GENESIS):
        return None
    return int(seq), seal


def head(db: Database) -> tuple[int, str]:
    """The newest entry's number and seal as the table holds them, ``(0, GENESIS)`` when empty
    (for backup manifests: a later check can tell whether entries were cut from the end)."""
    row = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


# -- the anchor file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """The head as last anchored outside the database, and earlier anchored heads that the
    trail no longer held when an entry was next added (each must still be found at verify)."""

    seq: int
    seal: str
    broken: tuple[tuple[int, str], ...] = ()


def anchor_path(db: Database) -> Path | None:
    """``audit_anchor.json`` beside the database file; ``None`` for a database in memory."""
    for row in db.execute("PRAGMA database_list"):
        if row[1] == "main":
            return Path(row[2]).parent / ANCHOR_NAME if row[2] else None
    return None


def _anchor_mac(key: bytes, anchor: Anchor) -> str:
    payload = json.dumps(
        {"seq": anchor.seq, "hash": anchor.seal, "broken": [list(b) for b in anchor.broken]},
        sort_keys=True,
    )
    return hmac.new(key, b"clinicdesk audit anchor " + payload.encode(), hashlib.sha256).hexdigest()


def load_anchor(path: Path, key: bytes) -> tuple[Anchor | None, str | None]:
    """``(anchor, None)``; ``(None, None)`` when there is no file; ``(None, problem)`` when the
    file is unreadable, damaged, or not sealed with this trail's key (altered or replaced)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        anchor = Anchor(
            int(data["seq"]),
            str(data["hash"]),
            tuple((int(seq), str(seal)) for seq, seal in data.get("broken", [])),
        )
        mac = str(data["mac"])
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"the anchor file {path.name} cannot be read ({exc.strerror or exc})"
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, f"the anchor file {path.name} is damaged, so the trail's end cannot be checked"
    if not hmac.compare_digest(mac, _anchor_mac(key, anchor)):
        return None, (
            f"the anchor file {path.name} was altered or replaced: its seal does not match "
            "the audit key"
        )
    return anchor, None


def _write_anchor(path: Path, key: bytes, anchor: Anchor) -> bool:
    data = {
        "format": ANCHOR_FORMAT,
        "seq": anchor.seq,
        "hash": anchor.seal,
        "broken": [list(b) for b in anchor.broken],
        "mac": _anchor_mac(key, anchor),
    }
    temp = path.with_name(f".{path.name}.tmp")
    try:
        with temp.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
        with contextlib.suppress(OSError):  # make the rename itself durable
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
    except OSError as exc:
        # The previous anchor stays: an older head, still a true one. Tried again next commit.
        log.warning("audit anchor not updated: %s", exc.strerror or type(exc).__name__)
        with contextlib.suppress(OSError):
            temp.unlink()
        return False
    return True


def _seal_at(db: Database, seq: int) -> str | None:
    row = db.execute("SELECT hash FROM audit_log WHERE seq = ?", [seq]).fetchone()
    return None if row is None else str(row[0])


def update_anchor(db: Database) -> None:
    """Anchor the trail's current end (after each commit that added entries).

    An anchored entry that is no longer in the trail (cut off, or rewritten) is kept in the
    new anchor's ``broken`` list, so the next anchor never hides it. A damaged or forged anchor
    file is left as it is for ``verify_chain`` to report, and a removed one is not re-created
    (``audit_anchored``): an administrator restores it from a backup.
    """
    path = anchor_path(db)
    key = stored_audit_key(db)
    last_seq, last_seal = head(db)
    if path is None or key is None or last_seq == 0:
        return
    anchor, problem = load_anchor(path, key)
    if problem is not None:
        return
    if anchor is None:
        if _local(db, AUDIT_ANCHORED) is not None:
            return
        broken: tuple[tuple[int, str], ...] = ()
    else:
        if (anchor.seq, anchor.seal) == (last_seq, last_seal):
            return
        broken = anchor.broken
        if _seal_at(db, anchor.seq) != anchor.seal and (anchor.seq, anchor.seal) not in broken:
            broken = (*broken, (anchor.seq, anchor.seal))
    if _write_anchor(path, key, Anchor(last_seq, last_seal, broken)) and anchor is None:
        with contextlib.suppress(StorageError), write_transaction(db):
            _set_local(db, AUDIT_ANCHORED, "1")


def reanchor(db: Database) -> int:
    """Write a new anchor for the trail as it stands; only when the file is missing or cannot
    be trusted (an administrator's decision, audited by the caller). Returns the entry anchored.
    """
    path = anchor_path(db)
    key = stored_audit_key(db)
    if path is None or key is None:
        raise StorageError("The audit trail cannot be anchored: its key is missing.")
    anchor, problem = load_anchor(path, key)
    if anchor is not None:
        raise StorageError(
            f"The anchor file {path.name} is sound, so it was kept: replacing it would hide "
            "entries cut from the end."
        )
    last_seq, last_seal = head(db)
    if not _write_anchor(path, key, Anchor(last_seq, last_seal)):
        raise StorageError(f"The anchor file {path} could not be written (is the disk full?).")
    with write_transaction(db):
        _set_local(db, AUDIT_ANCHORED, "1")
    log.warning("audit trail re-anchored at entry %d (%s)", last_seq, problem or "file missing")
    return last_seq


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


def _next_position(db: Database, key: bytes) -> tuple[int, str]:
    """The number and seal the next entry follows: the highest head the table, ``local_state``
    and the anchor file know, so entries cut from the end stay a visible gap."""
    seq, prev_hash = head(db)
    recorded = _recorded_head(db)
    if recorded is not None and recorded[0] > seq:
        seq, prev_hash = recorded
    path = anchor_path(db)
    if path is not None:
        anchor, _ = load_anchor(path, key)
        if anchor is not None and anchor.seq > seq:
            seq, prev_hash = anchor.seq, anchor.seal
    return seq, prev_hash


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
    seq, prev_hash = _next_position(db, key)
    for entry in [*(e for e in waiting if e["id"] not in written), *entries]:
        detail = dict(entry["detail"])
        table = SEALED_TABLES.get(entry["entity"])
        if table and entry["action"] in _SEALING_ACTIONS and entry["entity_id"]:
            sealed = row_seal(db, key, table, entry["entity_id"])
            if sealed is not None:
                detail[ROW_SEAL] = f"{sealed[0]}:{sealed[1]}"
        seq += 1
        fields = {
            **entry,
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
    _set_local(db, AUDIT_HEAD, f"{seq}:{prev_hash}")
    hook = _after_commit_hook(db)
    if hook not in db.after_commit:
        db.after_commit.append(hook)


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


def _where(
    *,
    entity: str | None,
    entity_id: str | None,
    patient_ids: Sequence[str] | None,
    user_id: str | None,
    action: str | None,
    since: str | None,
    until: str | None,
) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if entity is not None:
        where.append("entity = ?")
        params.append(entity)
    if entity_id is not None:
        where.append("entity_id = ?")
        params.append(entity_id)
    if patient_ids is not None:
        if not patient_ids:
            where.append("0")
        else:
            # A patient's entries name it as the entity (patient, medical history, a refusal)
            # or, for its child records such as a classification, in the detail.
            marks = ", ".join("?" for _ in patient_ids)
            where.append(
                f"(entity_id IN ({marks}) OR json_extract(detail, '$.patient') IN ({marks}))"
            )
            params.extend([*patient_ids, *patient_ids])
    if user_id is not None:
        where.append("user_id = ?")
        params.append(user_id)
    if action is not None:
        where.append("action = ?")
        params.append(action)
    if since is not None:
        where.append("at >= ?")
        params.append(since)
    if until is not None:
        where.append("at < ?")
        params.append(until)
    return (" WHERE " + " AND ".join(where) if where else ""), params


def iter_entries(
    db: Database,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    patient_ids: Sequence[str] | None = None,
    user_id: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    before_seq: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> Iterator[AuditEntry]:
    """Entries matching every filter given. ``since``/``until`` are UTC timestamps in the stored
    format (``until`` exclusive); ``patient_ids`` selects the entries about those patients;
    ``before_seq`` with ``newest_first`` pages backwards (keyset paging)."""
    where, params = _where(
        entity=entity,
        entity_id=entity_id,
        patient_ids=patient_ids,
        user_id=user_id,
        action=action,
        since=since,
        until=until,
    )
    if before_seq is not None:
        where += (" AND " if where else " WHERE ") + "seq < ?"
        params.append(before_seq)
    sql = "SELECT seq, at, user_id, site_id, action, entity, entity_id, detail FROM audit_log"
    sql += where + (" ORDER BY seq DESC" if newest_first else " ORDER BY seq")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
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


def entries(
    db: Database,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    patient_ids: Sequence[str] | None = None,
    user_id: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    before_seq: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[AuditEntry]:
    """``iter_entries`` as a list."""
    return list(
        iter_entries(
            db,
            entity=entity,
            entity_id=entity_id,
            patient_ids=patient_ids,
            user_id=user_id,
            action=action,
            since=since,
            until=until,
            before_seq=before_seq,
            limit=limit,
            newest_first=newest_first,
        )
    )


def count(
    db: Database,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    patient_ids: Sequence[str] | None = None,
    user_id: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> int:
    where, params = _where(
        entity=entity,
        entity_id=entity_id,
        patient_ids=patient_ids,
        user_id=user_id,
        action=action,
        since=since,
        until=until,
    )
    return int(db.execute(f"SELECT count(*) FROM audit_log{where}", params).fetchone()[0])


# -- checking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    fields: dict[str, Any]  # everything the seal covers except the previous seal
    prev_hash: str
    seal: str

    @property
    def seq(self) -> int:
        return int(self.fields["seq"])


def _entries_spans(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first} to {last}"


def _runs(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive runs in ascending ``numbers``: [3, 4, 5, 9] -> [(3, 5), (9, 9)]."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def verify_chain(db: Database) -> list[str]:
    """Problems found in the trail, each naming the entries affected; empty when intact.

    Finds an edited entry (its seal does not match), missing entries (a gap in the numbers),
    entries moved to another place (each seal only matches under its original number), an
    entry that does not follow the one before it (a link replaced), and entries cut from the
    end or a missing head record (the head kept in ``local_state``). One pass over the trail
    holds one entry at a time; the links of every entry are read only if something failed.
    """
    recorded = _recorded_head(db)
    last_seq, last_seal = head(db)
    key = stored_audit_key(db)
    if key is None:
        if not _trail_exists(db):
            return []
        ends = f"the trail ends at entry {last_seq}" if last_seq else "the trail is empty"
        return [
            "the audit key is missing, so no entry can be checked and no new key is made "
            f"({ends}); restore the latest backup"
        ]
    anchored, anchor_problems = _anchor_claims(db, key, last_seq)
    if last_seq == 0:
        return anchor_problems + _head_problems(
            db, 0, GENESIS, recorded, anchored, moved_last=False
        )

    problems: list[tuple[int, str]] = []
    failed: list[_Stored] = []
    broken_links: list[tuple[int, int]] = []  # (entry, the entry before it)
    expected_seq, prev_seal, prev_seq = 1, GENESIS, 0
    for r in db.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq"):
        row = _Stored(dict(zip(_SEALED, r[:9], strict=True)), r[9], r[10])
        if _entry_mac(key, row.prev_hash, row.fields) != row.seal:
            failed.append(row)
        gap = row.seq != expected_seq
        if gap:
            one = row.seq - 1 == expected_seq
            cut = (
                f": cut from the end of the trail, where entry {row.seq - 1} had been anchored "
                "as the newest"
                if row.seq - 1 in anchored
                else ""
            )
            problems.append(
                (
                    expected_seq,
                    f"{_entries_spans(expected_seq, row.seq - 1)} {'is' if one else 'are'} "
                    f"missing (next is {row.seq}){cut}",
                )
            )
        elif row.prev_hash != prev_seal:
            # Right after a gap the broken link is the same fact as the gap: not repeated.
            broken_links.append((row.seq, prev_seq))
        expected_seq, prev_seal, prev_seq = row.seq + 1, row.seal, row.seq

    moved: dict[int, int] = {}
    altered: list[int] = []
    origins = _original_numbers(db, failed) if failed else {}
    for row in failed:
        origin = origins.get(row.seal)
        if (
            origin is not None
            and origin != row.seq
            and _entry_mac(key, row.prev_hash, {**row.fields, "seq": origin}) == row.seal
        ):
            moved[row.seq] = origin
            problems.append(
                (row.seq, f"entry {row.seq} is out of order: it was written as entry {origin}")
            )
        else:
            altered.append(row.seq)
    for first, last in _runs(altered):
        one = first == last
        problems.append(
            (first, f"{_entries_spans(first, last)} {'was' if one else 'were'} altered")
        )
    # A broken link beside a moved entry is explained by the move.
    unlinked = [seq for seq, before in broken_links if seq not in moved and before not in moved]
    for first, last in _runs(unlinked):
        one = first == last
        problems.append(
            (
                first,
                f"{_entries_spans(first, last)} {'does' if one else 'do'} not follow the entry "
                f"before {'it' if one else 'them'}",
            )
        )
    problems.sort(key=lambda p: p[0])
    return (
        [text for _, text in problems]
        + anchor_problems
        + _head_problems(db, last_seq, last_seal, recorded, anchored, moved_last=last_seq in moved)
    )


def _anchor_claims(db: Database, key: bytes, last_seq: int) -> tuple[dict[int, str], list[str]]:
    """The entries the anchor file says were written (its head and the broken heads it keeps)
    by number, and what is wrong with the file itself."""
    path = anchor_path(db)
    if path is None:
        return {}, []
    anchor, problem = load_anchor(path, key)
    if problem is not None:
        return {}, [problem]
    if anchor is None:
        if last_seq == 0 and _local(db, AUDIT_ANCHORED) is None:
            return {}, []
        return {}, [
            f"the anchor file {ANCHOR_NAME} beside the database is missing, so entries cut from "
            "the end could go unnoticed: restore it from the latest backup of the data folder "
            "(an administrator can anchor the trail as it stands with `clinicdesk audit anchor`)"
        ]
    return {seq: seal for seq, seal in (*anchor.broken, (anchor.seq, anchor.seal))}, []


def _original_numbers(db: Database, rows: Sequence[_Stored]) -> dict[str, int]:
    """The number each of ``rows`` was written under, counted along the links back to the
    first entry (a link points at the previous entry's seal); absent where a link is broken."""
    before = {
        str(seal): str(prev) for seal, prev in db.execute("SELECT hash, prev_hash FROM audit_log")
    }
    known: dict[str, int | None] = {}
    for row in rows:
        path: list[str] = []
        on_path: set[str] = set()
        seal = row.seal
        base: int | None
        while True:
            if seal in known:
                base = known[seal]
                break
            path.append(seal)
            on_path.add(seal)
            prev = before.get(seal)
            if prev == GENESIS:
                base = 0
                break
            if prev is None or prev not in before or prev in on_path:
                base = None
                break
            seal = prev
        for item in reversed(path):
            base = None if base is None else base + 1
            known[item] = base
    return {row.seal: n for row in rows if (n := known.get(row.seal)) is not None}


def _head_problems(
    db: Database,
    last_seq: int,
    last_seal: str,
    recorded: tuple[int, str] | None,
    anchored: Mapping[int, str],
    *,
    moved_last: bool,
) -> list[str]:
    """Compare the trail's last entry (``last_seq`` 0: the trail is empty) with the head
    recorded in ``local_state`` and the entries anchored outside the database."""
    problems: list[str] = []
    newest = max([*anchored, recorded[0] if recorded else 0])
    if newest > last_seq:
        n = newest - last_seq
        what = "entry is" if n == 1 else f"{n} entries are"
        ends = f"ends at entry {last_seq}" if last_seq else "is empty"
        problems.append(
            f"the newest {what} missing: the trail {ends}, but entry {newest} was written"
        )
    for seq, seal in sorted(anchored.items()):
        if seq > last_seq or recorded == (seq, seal):
            continue  # cut from the end (said above), or the same fact as the recorded head
        found = _seal_at(db, seq)
        # A missing entry is already named as a gap; the newest is compared below as well.
        if found is not None and found != seal and not (seq == last_seq and moved_last):
            problems.append(
                f"entry {seq} is not the entry the anchor file recorded: the trail was rewritten "
                "up to there"
            )
    if recorded is None:
        if last_seq == 0:
            return problems
        return [
            *problems,
            "the record of the newest entry is missing, so entries cut from the end would go "
            f"unnoticed (the trail ends at entry {last_seq})",
        ]
    head_seq, head_seal = recorded
    if head_seq < last_seq:
        one = head_seq + 1 == last_seq
        problems.append(
            f"{_entries_spans(head_seq + 1, last_seq)} {'comes' if one else 'come'} after the "
            f"entry recorded as the newest ({head_seq})"
        )
    if head_seq == last_seq and head_seal != last_seal and not moved_last:
        problems.append(
            f"entry {last_seq} is not the entry recorded as the newest: it was replaced"
        )
    return problems


def verify_records(db: Database) -> list[str]:
    """Patients, consultations, treatments and adverse events changed outside ClinicDesk.

    Each entry that created or changed one of these records sealed the row as it left it
    (``_row``); a row that no longer matches its newest seal was changed since by something
    other than ClinicDesk (a direct UPDATE), a sealed row that is gone was deleted so, and a
    row with no ``create`` entry at all was added so. Records last changed before seals were
    recorded are checked only for being added outside. Empty when nothing is found.
    """
    key = stored_audit_key(db)
    if key is None:
        return []
    problems: list[str] = []
    for entity, table in SEALED_TABLES.items():
        label = entity.replace("_", " ")
        newest: dict[str, tuple[int, str]] = {}
        for entity_id, seq, sealed in db.execute(
            "SELECT entity_id, seq, json_extract(detail, '$._row') FROM audit_log "
            "WHERE entity = ? AND json_extract(detail, '$._row') IS NOT NULL ORDER BY seq",
            [entity],
        ):
            newest[str(entity_id)] = (int(seq), str(sealed))
        for record_id, (seq, sealed) in newest.items():
            now = row_seal(db, key, table, record_id)
            if now is None:
                problems.append(
                    f"{label} {record_id} was deleted without an audit entry (last audited in "
                    f"entry {seq})"
                )
            elif f"{now[0]}:{now[1]}" != sealed:
                version = sealed.partition(":")[0]
                changed = "" if str(now[0]) == version else f", version {version} -> {now[0]}"
                problems.append(
                    f"{label} {record_id} was changed after entry {seq} without an audit entry"
                    f"{changed}"
                )
        for (record_id,) in db.execute(
            f"SELECT id FROM {table} WHERE id NOT IN "
            "(SELECT entity_id FROM audit_log WHERE entity = ? AND action = 'create') ORDER BY id",
            [entity],
        ):
            problems.append(f"{label} {record_id} was added without an audit entry")
    return problems
