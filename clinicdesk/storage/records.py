"""Inserting and updating rows that follow the record conventions (see ``migrations``).

``insert_record`` fills the bookkeeping columns; ``update_record`` is the optimistic-concurrency
write: ``UPDATE ... WHERE id = ? AND version = ?``. When no row changes, someone else saved
first and the caller gets ``False`` (the service turns that into ``ConcurrentEdit``).
Columns are always named explicitly; table and column names come from our code, never input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clinicdesk.domain.ids import SiteId, UserId, utc_now, uuid7
from clinicdesk.domain.record_info import RecordInfo
from clinicdesk.storage.database import MAX_VALUE_BYTES, Database, StorageError


@dataclass(frozen=True)
class Actor:
    """Who is writing and where: stamped on every row and audit entry."""

    user_id: str
    site_id: str


def record_info(row: Sequence[Any]) -> RecordInfo:
    """The bookkeeping columns read in their stored order (version, site_id, created_at,
    updated_at, created_by, updated_by) as a record's ``RecordInfo``."""
    version, site_id, created_at, updated_at, created_by, updated_by = row
    return RecordInfo(
        version, SiteId(site_id), created_at, updated_at, UserId(created_by), UserId(updated_by)
    )


def _check_sizes(table: str, values: Mapping[str, Any]) -> None:
    # The driver (sqlcipher3) cannot set SQLITE_LIMIT_LENGTH, so the bound lives here, where
    # every record write passes. Domain validation refuses long text far earlier, by field.
    for column, value in values.items():
        if isinstance(value, str | bytes) and len(value) > MAX_VALUE_BYTES:
            raise StorageError(
                f"A value is too long to store ({table}.{column}); shorten it and save again."
            )


def insert_record(
    db: Database,
    table: str,
    values: Mapping[str, Any],
    actor: Actor,
    *,
    record_id: str | None = None,
) -> str:
    _check_sizes(table, values)
    new_id = record_id or uuid7()
    now = utc_now()
    row = {
        "id": new_id,
        "created_at": now,
        "updated_at": now,
        "created_by": actor.user_id,
        "updated_by": actor.user_id,
        "site_id": actor.site_id,
        "version": 1,
        **values,
    }
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))
    return new_id


def update_record(
    db: Database,
    table: str,
    record_id: str,
    expected_version: int,
    values: Mapping[str, Any],
    actor: Actor,
) -> bool:
    """Write ``values`` if the row is still at ``expected_version``; bump the version."""
    _check_sizes(table, values)
    assignments = ", ".join(f"{column} = ?" for column in values)
    sql = (
        f"UPDATE {table} SET {assignments}{', ' if values else ''}"
        "updated_at = ?, updated_by = ?, version = version + 1 "
        "WHERE id = ? AND version = ?"
    )
    params = [*values.values(), utc_now(), actor.user_id, record_id, expected_version]
    cursor = db.execute(sql, params)
    return cursor.rowcount == 1


def set_archived(
    db: Database,
    table: str,
    record_id: str,
    expected_version: int,
    archived: bool,
    actor: Actor,
) -> bool:
    return update_record(
        db,
        table,
        record_id,
        expected_version,
        {"deleted_at": utc_now() if archived else None},
        actor,
    )
