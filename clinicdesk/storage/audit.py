"""The audit trail: an append-only, hash-chained table.

Triggers refuse UPDATE and DELETE. Each entry stores the hash of the entry before it and its own
hash over its fields plus that previous hash, so editing, deleting or reordering any entry breaks
the chain and ``verify_chain`` finds where. Entries are written by the services inside the same
transaction as the change they describe, so a change and its audit entry commit together.
``detail`` names fields and counts, never patient identifiers such as names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from clinicdesk.domain.ids import utc_now, uuid7
from clinicdesk.storage.records import Actor

GENESIS = "0" * 64


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


def _entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    payload = json.dumps({"prev": prev_hash, **fields}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(
    db: sqlite_utils.Database,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Add one entry. Call inside the write transaction of the change it records."""
    last = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    fields = {
        "seq": seq,
        "at": utc_now(),
        "user_id": actor.user_id,
        "site_id": actor.site_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "detail": json.dumps(dict(detail or {}), sort_keys=True, ensure_ascii=False),
    }
    digest = _entry_hash(prev_hash, fields)
    row = {"id": uuid7(), **fields, "prev_hash": prev_hash, "hash": digest}
    db.execute(
        f"INSERT INTO audit_log ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values()),
    )


def entries(
    db: sqlite_utils.Database, *, entity: str | None = None, entity_id: str | None = None
) -> list[AuditEntry]:
    where, params = [], []
    if entity is not None:
        where.append("entity = ?")
        params.append(entity)
    if entity_id is not None:
        where.append("entity_id = ?")
        params.append(entity_id)
    sql = "SELECT seq, at, user_id, site_id, action, entity, entity_id, detail FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = db.execute(sql + " ORDER BY seq", params).fetchall()
    return [
        AuditEntry(
            seq=r[0],
            at=r[1],
            user_id=r[2],
            site_id=r[3],
            action=r[4],
            entity=r[5],
            entity_id=r[6],
            detail=json.loads(r[7]),
        )
        for r in rows
    ]


def verify_chain(db: sqlite_utils.Database) -> list[str]:
    """Problems found in the chain, or an empty list when it is intact."""
    problems: list[str] = []
    prev_hash = GENESIS
    expected_seq = 1
    cursor = db.execute(
        "SELECT seq, at, user_id, site_id, action, entity, entity_id, detail, prev_hash, hash "
        "FROM audit_log ORDER BY seq"
    )
    for row in cursor:
        seq, at, user_id, site_id, action, entity, entity_id, detail, stored_prev, stored = row
        if seq != expected_seq:
            problems.append(f"entry {expected_seq} is missing (next is {seq})")
        fields = {
            "seq": seq,
            "at": at,
            "user_id": user_id,
            "site_id": site_id,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "detail": detail,
        }
        if stored_prev != prev_hash:
            problems.append(f"entry {seq} does not follow the entry before it")
        if _entry_hash(stored_prev, fields) != stored:
            problems.append(f"entry {seq} was altered")
        prev_hash = stored
        expected_seq = seq + 1
    return problems
