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
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clinicdesk.domain.ids import utc_now, uuid7
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.records import Actor

log = logging.getLogger(__name__)

GENESIS = "0" * 64
AUDIT_KEY = "audit_key"  # local_state key: the HMAC key, hex (until it derives from the data key)
AUDIT_HEAD = "audit_head"  # local_state key: "seq:seal" of the newest entry written
KEY_BYTES = 32

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
            key = secrets.token_bytes(KEY_BYTES)
            _set_local(db, AUDIT_KEY, key.hex())
    return key


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


# -- writing ------------------------------------------------------------------------------------


def _entry_mac(key: bytes, prev_hash: str, fields: Mapping[str, Any]) -> str:
    payload = json.dumps({"prev": prev_hash, **fields}, sort_keys=True, ensure_ascii=False)
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def append(
    db: Database,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Add one entry. Call inside the write transaction of the change it records.

    On a database that refuses writes (read-only storage, a damaged file) nothing can be
    recorded: reading goes on, the log says an entry was skipped, and any change in the same
    transaction fails on its own.
    """
    if db.read_only is not None:
        log.info("audit entry not recorded (database read-only): %s %s", action, entity)
        return
    key = audit_key(db)
    seq, prev_hash = head(db)
    recorded = _recorded_head(db)
    if recorded is not None and recorded[0] > seq:
        # Entries were cut from the end: continue after the real head, leaving a visible gap.
        seq, prev_hash = recorded
    seq += 1
    fields = {
        "id": uuid7(),
        "seq": seq,
        "at": utc_now(),
        "user_id": actor.user_id,
        "site_id": actor.site_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "detail": json.dumps(dict(detail or {}), sort_keys=True, ensure_ascii=False),
    }
    seal = _entry_mac(key, prev_hash, fields)
    row = {**fields, "prev_hash": prev_hash, "hash": seal}
    db.execute(
        f"INSERT INTO audit_log ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values()),
    )
    _set_local(db, AUDIT_HEAD, f"{seq}:{seal}")


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
            detail=json.loads(r[7]),
        )


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
    if last_seq == 0:
        return _head_problems(0, GENESIS, recorded, moved_last=False)
    key = stored_audit_key(db)
    if key is None:
        return [
            "the audit key is missing, so no entry can be checked "
            f"(the trail ends at entry {last_seq})"
        ]

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
            problems.append(
                (
                    expected_seq,
                    f"{_entries_spans(expected_seq, row.seq - 1)} {'is' if one else 'are'} "
                    f"missing (next is {row.seq})",
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
    return [text for _, text in problems] + _head_problems(
        last_seq, last_seal, recorded, moved_last=last_seq in moved
    )


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
    last_seq: int, last_seal: str, recorded: tuple[int, str] | None, *, moved_last: bool
) -> list[str]:
    """Compare the trail's last entry (``last_seq`` 0: the trail is empty) with the head
    recorded in ``local_state``."""
    if recorded is None:
        if last_seq == 0:
            return []
        return [
            "the record of the newest entry is missing, so entries cut from the end would go "
            f"unnoticed (the trail ends at entry {last_seq})"
        ]
    head_seq, head_seal = recorded
    if head_seq > last_seq:
        n = head_seq - last_seq
        what = "entry is" if n == 1 else f"{n} entries are"
        ends = f"ends at entry {last_seq}" if last_seq else "is empty"
        return [f"the newest {what} missing: the trail {ends}, but entry {head_seq} was written"]
    if head_seq < last_seq:
        one = head_seq + 1 == last_seq
        return [
            f"{_entries_spans(head_seq + 1, last_seq)} {'comes' if one else 'come'} after the "
            f"entry recorded as the newest ({head_seq})"
        ]
    if head_seal != last_seal and not moved_last:
        return [f"entry {last_seq} is not the entry recorded as the newest: it was replaced"]
    return []
