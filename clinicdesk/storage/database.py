"""Opening the clinic database safely, and the one way to write to it.

Every connection gets WAL (readers never block the writer), ``synchronous=FULL`` (a committed
record survives power loss), foreign keys, and a busy timeout (a second ClinicDesk on the same
file waits instead of failing). Every write goes through ``write_transaction``, which starts with
``BEGIN IMMEDIATE``: a deferred ``BEGIN`` that later tries to write after another process has
committed fails at once with SQLITE_BUSY_SNAPSHOT, which no busy timeout can cure, whereas an
immediate transaction takes the write lock up front and so simply waits its turn.

The connection is held as a ``Database``: what the program does on every call (run a
statement, transactions, close) is done on the connection directly, and sqlite-utils' API
(tables, FTS, ``Migrations``) is there on the same connection, built on first use. Opening the
clinic and showing the main window therefore never import sqlite-utils, which with its
dependencies takes about 40 ms, a tenth of a start.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinicdesk.errors import UserError
from clinicdesk.storage.driver import sqlite3

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000
MAX_VALUE_BYTES = 1_048_576  # no text field may come near this; it bounds a runaway value
KEY_BYTES = 32
# ``PRAGMA application_id`` of every clinic database: ASCII "CDsk". A database that carries
# another id (or none, and none of our schema) is someone else's and is never changed.
APPLICATION_ID = int.from_bytes(b"CDsk", "big")
# What proves a database made before the id was set is ours: sqlite-utils' migrations table
# holding our first migration under our set's name (storage.migrations).
MIGRATION_SET = "clinicdesk"
FIRST_MIGRATION = "0001_foundation"
FULL_DISK_BYTES = 1_048_576  # less free space than this at a failed open: treated as full


class StorageError(UserError):
    """The database could not do what was asked: locked, full, read-only or damaged."""


class NotClinicDatabase(StorageError):
    """The file where the clinic's database belongs is some other program's SQLite file."""


# A statement's first keyword, after any whitespace, ";", byte order mark and comments.
_FIRST_KEYWORD = re.compile(r"(?:[\s;\ufeff]+|--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$))*(\w*)", re.DOTALL)
_TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})


class Database:
    """The clinic's open connection: the type the services pass around (they never import
    sqlite-utils themselves).

    ``execute``, ``table_names`` and ``close`` behave as sqlite-utils' do; everything else of
    sqlite-utils' ``Database`` (``db["table"]``, ``query``, ``atomic``, ...) is reached through
    ``utils``, or directly on this object, which hands unknown names to it.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._utils: sqlite_utils.Database | None = None
        # Why nothing may be written (read-only storage, a damaged file), or None. Set by
        # ``refuse_writes``; every write then fails with this message.
        self.read_only: str | None = None
        # True while the refusal is only for now (``hold_writes``): the start-up check of a
        # large file still runs on a worker; ``release_writes`` ends it.
        self.writes_held = False
        # Run once after the current write transaction commits (then forgotten; a rollback
        # forgets them too): the audit trail writes its anchor file beside the database here.
        self.after_commit: list[Callable[[], None]] = []
        # How to open this file again as it was opened (``open_database`` sets it): see
        # ``reconnect``.
        self.reopen: Callable[[], Database] | None = None

    def reconnect(self) -> None:
        """Replace the connection with a fresh one to the same file (same key and pragmas;
        writes still refused if they were). After a read meets a damaged page SQLCipher
        leaves the connection failing every later read, sound pages too; a new connection
        reads whatever is undamaged. Nothing happens without ``reopen`` (a bare connection)
        or inside a transaction."""
        if self.reopen is None or self.conn.in_transaction:
            return
        fresh = self.reopen()
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()
        self.conn = fresh.conn
        self._utils = None
        if self.read_only is not None:
            self.conn.execute("PRAGMA query_only = ON")

    def refuse_writes(self, reason: str) -> None:
        """From now on every write fails (SQLite's ``query_only``) with ``reason`` as its
        message; reads go on. Audit entries are not written either (see audit.append)."""
        self.read_only = reason
        self.writes_held = False
        self.conn.execute("PRAGMA query_only = ON")

    def hold_writes(self, reason: str) -> None:
        """Refuse writes with ``reason`` as ``refuse_writes`` does, until ``release_writes``:
        for the time the start-up check runs on a worker. Audit entries of reads wait in
        memory meanwhile (see audit.record_all) rather than being skipped."""
        self.refuse_writes(reason)
        self.writes_held = True

    def release_writes(self) -> None:
        """End ``hold_writes`` (the check passed); a refusal for good (``refuse_writes``:
        read-only storage, a damaged file) stays."""
        if not self.writes_held:
            return
        self.conn.execute("PRAGMA query_only = OFF")
        self.read_only = None
        self.writes_held = False

    @property
    def utils(self) -> sqlite_utils.Database:
        """This connection as a sqlite-utils ``Database`` (made on first use)."""
        if self._utils is None:
            import sqlite_utils  # after storage.driver, so it takes sqlcipher3 as its driver

            # recursive_triggers is already on (open_database); plugins are never run.
            self._utils = sqlite_utils.Database(
                self.conn, recursive_triggers=False, execute_plugins=False
            )
        return self._utils

    def execute(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> sqlite3.Cursor:
        """Run one statement; as sqlite-utils' ``execute``, a write made outside a transaction
        is committed at once (the driver's implicit BEGIN never leaves one open), and a
        statement that fails there leaves no transaction behind."""
        conn = self.conn
        was_in_transaction = conn.in_transaction
        try:
            cursor = conn.execute(sql) if parameters is None else conn.execute(sql, parameters)
        except Exception as exc:
            if not was_in_transaction and conn.in_transaction:
                conn.execute("ROLLBACK")
            if self.read_only is not None and _is_read_only_error(exc):
                raise StorageError(self.read_only) from exc
            raise
        if (
            not was_in_transaction
            and conn.in_transaction
            and cursor.description is None
            and _first_keyword(sql) not in _TRANSACTION_CONTROL
        ):
            conn.execute("COMMIT")
        return cursor

    def table_names(self) -> list[str]:
        return [
            row[0] for row in self.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]

    def close(self) -> None:
        self.conn.close()

    if not TYPE_CHECKING:  # the type checker holds our own code to the methods above

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            return getattr(self.utils, name)

        def __getitem__(self, table: str) -> Any:
            return self.utils[table]


def _is_read_only_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc).lower()


def _first_keyword(sql: str) -> str:
    match = _FIRST_KEYWORD.match(sql)
    return match.group(1).upper() if match else ""


def open_database(
    path: Path | str,
    key: bytes | None = None,
    *,
    read_only: str | None = None,
    clinic: bool = False,
    wal: bool = True,
) -> Database:
    """Open (creating if needed) the database at ``path`` with the pragmas above.

    With ``key`` (the clinic's 256-bit data key) the file is SQLCipher-encrypted. The raw key
    is given directly (``x'...'``), which skips SQLCipher's own key derivation: 0.2 ms instead
    of about 140 ms per connection; the password-based derivation happens once, in ``keys``.

    With ``read_only`` (the reason, from ``read_only_reason``) the file is opened without any
    write to it or its folder, and writes are refused with that reason (``refuse_writes``).

    With ``wal`` False the file keeps its journal mode (a hub's, on a network share, where WAL
    does not work, is in rollback-journal mode).

    With ``clinic`` the file must be new or ClinicDesk's (``is_clinic_database``): another
    program's database is refused (``NotClinicDatabase``) before anything, even the switch to
    WAL, is written to it.
    """
    conn = None
    try:
        conn = _connect(path, key, exclusive=False, read_only=read_only is not None)
        try:
            # The first read proves the key (or that an unkeyed file is plain SQLite).
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            if read_only is not None or not (
                "disk i/o" in str(exc).lower() and _disk_full(Path(path))
            ):
                raise
            # A full disk: WAL's shared-memory file (-shm) cannot be made, so no connection can
            # even read (RELIABILITY row 26). In exclusive locking mode SQLite keeps that index
            # in this process's memory instead; other processes wait until this one closes.
            conn.close()
            log.warning("disk full: database opened in exclusive locking mode")
            conn = _connect(path, key, exclusive=True)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        db = Database(conn)
        db.reopen = functools.partial(open_database, path, key, read_only=read_only, wal=wal)
        if clinic and not (is_empty_database(db) or is_clinic_database(db)):
            conn.close()
            raise NotClinicDatabase(not_clinic_database_message(path))
        db.execute("PRAGMA recursive_triggers=on")  # as sqlite-utils sets on its connections
        if read_only is not None:
            db.refuse_writes(read_only)
        elif wal:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                log.warning("database journal mode is %s, not wal", mode)
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        if "not a database" in str(exc) and key is not None and Path(path).exists():
            raise StorageError(
                f"The database ({path}) cannot be opened with this clinic's key: it belongs to "
                "another clinic or is damaged. Restore the latest backup."
            ) from exc
        if read_only is not None and "unable to open" in str(exc):
            raise StorageError(_wal_on_read_only_media(Path(path), read_only)) from exc
        raise StorageError(describe_sqlite_error(exc, path)) from exc
    return db


def read_only_reason(path: Path) -> str | None:
    """Why the database at ``path`` cannot be written (its folder or the file is read-only:
    a read-only mount, a CD, a locked share), as the message a refused write shows; None
    when it can be."""
    folder = path.parent
    read_only_mount = False
    with contextlib.suppress(OSError, AttributeError):  # no statvfs on Windows
        read_only_mount = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    if (
        read_only_mount
        or not os.access(folder, os.W_OK)
        or (path.exists() and not os.access(path, os.W_OK))
    ):
        return (
            f"The data folder {folder} is read-only, so nothing can be saved: the clinic is "
            "open for reading only. To make changes, copy the data folder to writable "
            "storage and open it from there."
        )
    return None


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that writes nothing to ``path`` or beside it.

    A WAL database needs its ``-shm`` file, which read-only storage cannot create. With no
    ``-wal`` content (a clean close leaves none) the file alone is the whole database, so it
    is opened as immutable; with a ``-wal`` it is opened ``mode=ro``, which works when the
    ``-shm`` is there too (otherwise ``open_database`` says what to do).
    """
    wal = Path(f"{path}-wal")
    has_wal = wal.exists() and wal.stat().st_size > 0
    if not has_wal and not path.exists():
        # immutable=1 would not say so; mode=ro does ("unable to open").
        raise sqlite3.OperationalError("unable to open database file")
    query = "mode=ro" if has_wal else "mode=ro&immutable=1"
    uri = f"{path.resolve().as_uri()}?{query}"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)


def _wal_on_read_only_media(path: Path, reason: str) -> str:
    if Path(f"{path}-wal").exists():
        return (
            f"The database ({path}) cannot be opened on read-only storage: its latest changes "
            f"are still in {path.name}-wal. Copy the whole data folder to writable storage "
            "and open it from there."
        )
    return f"The database file ({path}) could not be opened. {reason}"


def application_id(db: Database) -> int:
    return int(db.execute("PRAGMA application_id").fetchone()[0])


def is_clinic_database(db: Database) -> bool:
    """Whether ``db`` is provably a ClinicDesk database: it carries our application id, or
    (made before the id was set) our migrations table with our first migration in it."""
    found = application_id(db)
    if found == APPLICATION_ID:
        return True
    if found != 0 or "_sqlite_migrations" not in db.table_names():
        return False
    try:
        row = db.execute(
            "SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? AND name = ?",
            [MIGRATION_SET, FIRST_MIGRATION],
        ).fetchone()
    except sqlite3.OperationalError:  # a table of that name with other columns
        return False
    return row is not None


def is_empty_database(db: Database) -> bool:
    """A new file (or an empty SQLite one): no schema at all, and no application id."""
    return application_id(db) == 0 and not db.table_names()


def not_clinic_database_message(path: Path | str) -> str:
    return (
        f"The file {path} is not a ClinicDesk database (it belongs to another program), so "
        "it was not opened, converted or changed. Move it out of the data folder and restore "
        "the clinic's database from the latest backup, or choose the right data folder."
    )


def claim_database(db: Database, path: Path | str | None = None) -> None:
    """Refuse (``NotClinicDatabase``, nothing written) a database that is not ClinicDesk's;
    mark a new one, or one made before the id existed, with ``APPLICATION_ID``. Writes are
    skipped on a database opened read-only (it is still checked)."""
    if application_id(db) == APPLICATION_ID:
        return
    if not (is_empty_database(db) or is_clinic_database(db)):
        if path is None:
            path = db.execute("PRAGMA database_list").fetchone()[2]
        raise NotClinicDatabase(not_clinic_database_message(path))
    if db.read_only is None:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _connect(
    path: Path | str, key: bytes | None, *, exclusive: bool, read_only: bool = False
) -> sqlite3.Connection:
    if read_only:
        conn = _connect_read_only(Path(path))
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    if key is not None:
        if len(key) != KEY_BYTES:
            conn.close()
            raise ValueError("a data key is 32 bytes")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    if exclusive:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    if hasattr(conn, "setlimit"):  # the standard library's driver only
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    return conn


def _disk_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < FULL_DISK_BYTES
    except OSError:
        return False


def table_counts(conn: Any, schema: str = "main") -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        )
    ]
    return {
        name: int(conn.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0])
        for name in names
    }


def encrypt_in_place(path: Path, key: bytes) -> None:
    """Replace the plain SQLite file at ``path`` by a SQLCipher copy encrypted with ``key``.

    The copy is made with ``sqlcipher_export`` beside the file, checked (integrity, and the
    same row count in every table), synced, and only then renamed over the original, so a
    crash at any point leaves either the plain file or the complete encrypted one.
    """
    temp = path.with_name(path.name + ".encrypting")
    temp.unlink(missing_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            if not is_clinic_database(Database(conn)):
                raise NotClinicDatabase(not_clinic_database_message(path))
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", [str(temp)])
            conn.execute("SELECT sqlcipher_export('encrypted')")
            conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
            conn.execute(f"PRAGMA encrypted.application_id = {APPLICATION_ID}")
            expected = table_counts(conn)
            copied = table_counts(conn, "encrypted")
            conn.execute("DETACH DATABASE encrypted")
        finally:
            conn.close()
        if copied != expected:
            raise StorageError(
                f"Encrypting {path.name} did not copy every row; the original was kept as it was."
            )
        check = open_database(temp, key)
        try:
            if not integrity_ok(check):
                raise StorageError(
                    f"The encrypted copy of {path.name} failed its check; the original was kept."
                )
            check.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if journal_mode != "wal":
                # open_database switched the copy to WAL; a backup must stay in rollback-
                # journal mode so that it still opens from read-only media.
                check.execute("PRAGMA journal_mode=DELETE")
        finally:
            check.close()
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    except sqlite3.DatabaseError as exc:
        raise StorageError(describe_sqlite_error(exc, path)) from exc
    finally:
        temp.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{temp}{suffix}").unlink(missing_ok=True)


def is_encrypted(path: Path) -> bool:
    """True when ``path`` exists and is not a plain SQLite file (SQLCipher files have no
    readable header)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb") as handle:
        return handle.read(16) != b"SQLite format 3\x00"


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
        on = f" ({Path(path).parent})" if path else ""
        return f"The disk is full{on}, so nothing was saved. Free some space there and save again."
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
def write_transaction(db: Database) -> Iterator[Database]:
    """One atomic write: ``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error.

    Nested use joins the outer transaction through a savepoint (as sqlite-utils ``atomic``),
    whose changes alone are undone on an error. Expected SQLite failures (busy, disk full,
    read-only) become ``StorageError``.
    """
    conn = db.conn
    if conn.in_transaction:
        # Savepoints nest as a stack, so one name serves at every depth.
        conn.execute("SAVEPOINT clinicdesk_nested")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:  # an error like RAISE(ROLLBACK) ends it all by itself
                conn.execute("ROLLBACK TO SAVEPOINT clinicdesk_nested")
                conn.execute("RELEASE SAVEPOINT clinicdesk_nested")
            raise
        conn.execute("RELEASE SAVEPOINT clinicdesk_nested")
        return
    try:
        # Read-only (see Database.refuse_writes): a plain BEGIN, as IMMEDIATE is a write; the
        # block's reads and its skipped audit entries go through, and its first write fails.
        conn.execute("BEGIN" if db.read_only is not None else "BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StorageError(_describe(db, exc)) from exc
    db.after_commit.clear()
    try:
        yield db
    except BaseException as exc:
        _rollback(conn)
        db.after_commit.clear()
        if isinstance(exc, sqlite3.OperationalError | sqlite3.DataError):
            raise StorageError(_describe(db, exc)) from exc
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        _rollback(conn)
        db.after_commit.clear()
        raise StorageError(_describe(db, exc)) from exc
    hooks, db.after_commit = db.after_commit, []
    for hook in hooks:
        hook()


def _describe(db: Database, exc: sqlite3.Error) -> str:
    if db.read_only is not None and _is_read_only_error(exc):
        return db.read_only
    return describe_sqlite_error(exc, _file_of(db))


def _file_of(db: Database) -> str | None:
    """The database's file, to name its disk in a message (None for one in memory)."""
    try:
        for _seq, name, file in db.conn.execute("PRAGMA database_list"):
            if name == "main":
                return str(file) or None
    except sqlite3.Error:
        pass
    return None


def _rollback(conn: sqlite3.Connection) -> None:
    # After SQLITE_FULL (and some I/O errors) SQLite has already rolled back by itself, so a
    # second ROLLBACK raises "no transaction is active": tolerate it.
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def check_database(db: Database) -> list[str]:
    """The problems ``PRAGMA quick_check`` finds in the file; empty when it is sound.

    quick_check reads every page and checks each b-tree's structure (not index contents
    against their tables, which the much slower integrity_check adds), so it catches pages
    that were scribbled over. A file too damaged to check at all is one problem.
    """
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        # The check stopped at a damaged page (its row checks read every row).
        _fresh_connection(db)
        return [str(exc)]
    problems = [str(row[0]) for row in rows]
    if problems == ["ok"]:
        return []
    # The check met a damaged page and went on listing problems: the connection may fail
    # every later read all the same (which pages it met first depends on the file's layout).
    _fresh_connection(db)
    return problems


def _fresh_connection(db: Database) -> None:
    """After a read met a damaged page the connection fails every read: a fresh one still
    reads the sound pages, so the clinic can open read-only and say what is wrong."""
    try:
        db.reconnect()
    except (sqlite3.Error, StorageError) as again:
        log.error("no fresh connection after the check: %s", type(again).__name__)


def integrity_ok(db: Database) -> bool:
    rows = db.execute("PRAGMA integrity_check").fetchall()
    return [tuple(r) for r in rows] == [("ok",)]


def backup_to(db: Database, destination: Path) -> Path:
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
