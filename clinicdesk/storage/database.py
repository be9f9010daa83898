"""Opening the clinic database safely, and the one way to write to it.

Every connection gets WAL (readers never block the writer), ``synchronous=FULL`` (a committed
record survives power loss), foreign keys, and a busy timeout (a second ClinicDesk on the same
file waits instead of failing). Every write goes through ``write_transaction``, which starts with
``BEGIN IMMEDIATE``: a deferred ``BEGIN`` that later tries to write after another process has
committed fails at once with SQLITE_BUSY_SNAPSHOT, which no busy timeout can cure, whereas an
immediate transaction takes the write lock up front and so simply waits its turn.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from clinicdesk.errors import UserError

log = logging.getLogger(__name__)

# The connection type the services pass around; they never import sqlite_utils themselves.
Database = sqlite_utils.Database

BUSY_TIMEOUT_MS = 15_000
MAX_VALUE_BYTES = 1_048_576  # no text field may come near this; it bounds a runaway value


class StorageError(UserError):
    """The database could not do what was asked: locked, full, read-only or damaged."""


def open_database(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path`` with the pragmas above."""
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        db = sqlite_utils.Database(conn, execute_plugins=False)
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            log.warning("database journal mode is %s, not wal", mode)
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except sqlite3.DatabaseError as exc:
        raise StorageError(describe_sqlite_error(exc, path)) from exc
    return db


def damaged_database_message(path: Path | str | None = None) -> str:
    where = f" ({path})" if path else ""
    return (
        f"The database file{where} is damaged or is not a ClinicDesk database. "
        "Restore the latest backup."
    )


def is_expected_sqlite_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a database failure a person can act on (a damaged file, a lock, a full
    or read-only disk, a value too long) rather than a bug in our SQL (a constraint we should
    have checked first, a misused API), so a front end shows ``describe_sqlite_error`` instead
    of the crash report."""
    return type(exc) is sqlite3.DatabaseError or isinstance(
        exc, sqlite3.OperationalError | sqlite3.DataError
    )


def describe_sqlite_error(exc: sqlite3.Error, path: Path | str | None = None) -> str:
    """A message a receptionist can act on for the SQLite errors that happen in real life."""
    text = str(exc).lower()
    where = f" ({path})" if path else ""
    if "locked" in text or "busy" in text:
        return "The database is busy in another ClinicDesk window. Wait a moment and try again."
    if "full" in text:
        return "The disk is full, so nothing was saved. Free some space and save again."
    if "readonly" in text or "read-only" in text:
        return f"The database{where} is on read-only storage, so it cannot be changed."
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return damaged_database_message(path)
    if "unable to open" in text:
        return (
            f"The database file{where} could not be opened; "
            "check that the folder exists and is writable."
        )
    if "too big" in text:
        return "A value is too long to store; shorten it and save again."
    return f"The database reported a problem: {exc}"


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One atomic write: ``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error.

    Nested use joins the outer transaction through a savepoint (sqlite-utils ``atomic``).
    Expected SQLite failures (busy, disk full, read-only) become ``StorageError``.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StorageError(describe_sqlite_error(exc)) from exc
    try:
        yield db
    except BaseException as exc:
        _rollback(conn)
        if isinstance(exc, sqlite3.OperationalError | sqlite3.DataError):
            raise StorageError(describe_sqlite_error(exc)) from exc
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        _rollback(conn)
        raise StorageError(describe_sqlite_error(exc)) from exc


def _rollback(conn: sqlite3.Connection) -> None:
    # After SQLITE_FULL (and some I/O errors) SQLite has already rolled back by itself, so a
    # second ROLLBACK raises "no transaction is active": tolerate it.
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def check_database(db: sqlite_utils.Database) -> list[str]:
    """The problems ``PRAGMA quick_check`` finds in the file; empty when it is sound.

    quick_check reads every page and checks each b-tree's structure (not index contents
    against their tables, which the much slower integrity_check adds), so it catches pages
    that were scribbled over. A file too damaged to check at all is one problem.
    """
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    problems = [str(row[0]) for row in rows]
    return [] if problems == ["ok"] else problems


def integrity_ok(db: sqlite_utils.Database) -> bool:
    rows = db.execute("PRAGMA integrity_check").fetchall()
    return [tuple(r) for r in rows] == [("ok",)]


def backup_to(db: sqlite_utils.Database, destination: Path) -> Path:
    """A consistent copy made with ``VACUUM INTO`` (safe while another process writes).

    The copy is in rollback-journal mode, so it opens even on read-only media.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists():
        raise StorageError(f"The backup file {destination} already exists.")
    try:
        db.execute("VACUUM INTO ?", [str(destination)])
    except sqlite3.OperationalError as exc:
        raise StorageError(describe_sqlite_error(exc, destination)) from exc
    return destination
