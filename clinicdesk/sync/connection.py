"""APSW connections to clinic databases: opened with the data key, with the same pragmas as
``storage.database`` (WAL at a replica, busy timeout, foreign keys), attached copies, consistent
copies made with ``VACUUM INTO``, and the facts sync compares (tables, schema version)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw

from clinicdesk.errors import UserError
from clinicdesk.storage.database import BUSY_TIMEOUT_MS, KEY_BYTES, MIGRATION_SET
from clinicdesk.storage.sync_state import is_replicated

_FLAGS = apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE | apsw.SQLITE_OPEN_URI


class SyncError(UserError):
    """Sync could not run or finish; nothing was lost (the message says what to do)."""


class SchemaMismatch(SyncError):
    """The two databases are at different schema versions."""


def _key_pragma(key: bytes) -> str:
    if len(key) != KEY_BYTES:
        raise ValueError("a data key is 32 bytes")
    return f"x'{key.hex()}'"


def connect(path: Path, key: bytes, *, wal: bool = True) -> apsw.Connection:
    """The database at ``path`` opened with ``key`` (SQLCipher 4 format, as sqlcipher3 writes
    it). ``wal`` False keeps rollback-journal mode (the hub, which may be on a network share,
    where WAL's shared memory does not work)."""
    conn = apsw.Connection(str(path), flags=_FLAGS)
    try:
        for statement in (
            "PRAGMA cipher = sqlcipher",
            "PRAGMA legacy = 4",
            f'PRAGMA key = "{_key_pragma(key)}"',
        ):
            conn.execute(statement).fetchall()
        conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        mode = "WAL" if wal else "DELETE"
        conn.execute(f"PRAGMA journal_mode = {mode}").fetchall()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except apsw.Error as exc:
        conn.close()
        raise SyncError(f"The database {path} could not be opened for sync: {exc}") from exc
    return conn


def attach(conn: apsw.Connection, path: Path, key: bytes, schema: str) -> None:
    conn.execute(f"ATTACH ? AS {schema} KEY ?", (str(path), _key_pragma(key)))


def detach(conn: apsw.Connection, schema: str) -> None:
    with contextlib.suppress(apsw.Error):
        conn.execute(f"DETACH {schema}")


def copy_into(conn: apsw.Connection, destination: Path, schema: str = "main") -> None:
    """A consistent, encrypted (same key) copy of ``schema`` at ``destination``, made under one
    read transaction (``VACUUM INTO``: safe while another process writes), then flushed. The
    copy is in rollback-journal mode."""
    destination.unlink(missing_ok=True)
    conn.execute(f"VACUUM {schema} INTO ?", (str(destination),))
    fsync_file(destination)


def fsync_file(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def replace_file(source: Path, destination: Path) -> None:
    """``source`` renamed over ``destination`` (atomic) and the folder flushed."""
    os.replace(source, destination)
    with contextlib.suppress(OSError):
        fd = os.open(destination.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def replicated_tables(conn: apsw.Connection, schema: str = "main") -> list[str]:
    """The tables sync carries, in creation order (parents before children): every table
    with a primary key except the local ones (``sync_state.LOCAL_TABLES``).

    ``audit_log`` is carried only once each site keeps its own chain (its ``seq`` unique per
    site): with one clinic-wide sequence, two sites' entries would collide."""
    names = [
        str(row[0])
        for row in conn.execute(
            f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
            "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY rowid"
        )
    ]
    tables = [n for n in names if is_replicated(n) and primary_key(conn, n, schema)]
    if "audit_log" in tables and not audit_chains_per_site(conn, schema):
        tables.remove("audit_log")
    return tables


def audit_chains_per_site(conn: apsw.Connection, schema: str = "main") -> bool:
    for index in conn.execute(f"PRAGMA {schema}.index_list(audit_log)").fetchall():
        if not index[2]:  # not unique
            continue
        columns = [r[2] for r in conn.execute(f"PRAGMA {schema}.index_info({index[1]!r})")]
        if columns == ["seq"]:
            return False
    return True


def primary_key(conn: apsw.Connection, table: str, schema: str = "main") -> list[str]:
    rows = conn.execute(f"PRAGMA {schema}.table_info({table!r})").fetchall()
    return [str(r[1]) for r in sorted(rows, key=lambda r: int(r[5] or 0)) if r[5]]


def columns_of(conn: apsw.Connection, table: str, schema: str = "main") -> list[str]:
    return [str(r[1]) for r in conn.execute(f"PRAGMA {schema}.table_info({table!r})")]


def migration_names(conn: apsw.Connection, schema: str = "main") -> list[str]:
    rows = conn.execute(
        f"SELECT name FROM {schema}._sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
        (MIGRATION_SET,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def check_same_schema(here: list[str], hub: list[str], *, here_name: str) -> None:
    """Refuse (``SchemaMismatch``) unless both have exactly the same migrations, naming the
    side to update."""
    if here == hub:
        return
    if set(hub) - set(here):
        raise SchemaMismatch(
            f"The hub's database is at a newer schema ({len(hub)} changes) than {here_name} "
            f"({len(here)}): update ClinicDesk on {here_name} first, then sync. Nothing was "
            "changed."
        )
    raise SchemaMismatch(
        f"{here_name.capitalize()} is at a newer schema ({len(here)} changes) than the hub "
        f"({len(hub)}): update the hub first, then sync. Nothing was changed, and nothing made "
        "here is lost: it is sent at the first sync after the hub is updated. A hub made by an "
        "earlier ClinicDesk is updated by the first sync from an updated installation; this "
        "one could not be (it has changes this version does not know): ask your IT support."
    )


@contextlib.contextmanager
def transaction(conn: apsw.Connection, kind: str = "IMMEDIATE") -> Iterator[apsw.Connection]:
    conn.execute(f"BEGIN {kind}")
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(apsw.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def local_value(conn: apsw.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM local_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_local_value(conn: apsw.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO local_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def row_dict(conn: apsw.Connection, table: str, pk: list[Any]) -> dict[str, Any] | None:
    """The whole row of ``table`` whose primary key is ``pk`` (one column: ``id``)."""
    cursor = conn.execute(f'SELECT * FROM "{table}" WHERE id = ?', (pk[0],))
    row = cursor.fetchone()
    if row is None:
        return None
    names = [d[0] for d in cursor.getdescription()]
    return dict(zip(names, row, strict=True))
