"""Opening the database and the one way to write to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from clinicdesk.errors import UserError
from clinicdesk.storage.database import (
    StorageError,
    backup_to,
    integrity_ok,
    open_database,
    write_transaction,
)
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.migrations import RECORD_COLUMNS


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = open_database(tmp_path / "test.db")
    database.execute("CREATE TABLE things (name TEXT NOT NULL) STRICT")
    yield database
    database.close()


def names(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT name FROM things ORDER BY rowid")]


def test_connection_is_set_up_for_safe_shared_use(db: sqlite_utils.Database) -> None:
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_write_transaction_commits(db: sqlite_utils.Database, tmp_path: Path) -> None:
    with write_transaction(db):
        db.execute("INSERT INTO things VALUES ('a')")
        db.execute("INSERT INTO things VALUES ('b')")
    other = open_database(tmp_path / "test.db")
    try:
        assert names(other) == ["a", "b"]
    finally:
        other.close()


def test_an_error_rolls_back_the_whole_transaction(db: sqlite_utils.Database) -> None:
    with pytest.raises(RuntimeError), write_transaction(db):
        db.execute("INSERT INTO things VALUES ('a')")
        raise RuntimeError("bug halfway")
    assert names(db) == []
    assert not db.conn.in_transaction


def test_nested_transaction_joins_the_outer_one(db: sqlite_utils.Database) -> None:
    with pytest.raises(RuntimeError), write_transaction(db):
        db.execute("INSERT INTO things VALUES ('outer')")
        with write_transaction(db):
            db.execute("INSERT INTO things VALUES ('inner')")
        raise RuntimeError("outer fails after inner finished")
    assert names(db) == []


def test_write_transaction_takes_the_write_lock_up_front(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    other = open_database(tmp_path / "test.db")
    other.execute("PRAGMA busy_timeout=50")
    try:
        with write_transaction(db):
            db.execute("INSERT INTO things VALUES ('mine')")
            with (
                pytest.raises(StorageError, match="busy in another ClinicDesk window"),
                write_transaction(other),
            ):
                other.execute("INSERT INTO things VALUES ('theirs')")
        with write_transaction(other):
            other.execute("INSERT INTO things VALUES ('theirs')")
        assert names(db) == ["mine", "theirs"]
    finally:
        other.close()


def test_storage_error_is_a_user_error_with_a_plain_message(db: sqlite_utils.Database) -> None:
    db.execute("PRAGMA query_only=ON")
    with pytest.raises(UserError, match="read-only"), write_transaction(db):
        db.execute("INSERT INTO things VALUES ('a')")
    db.execute("PRAGMA query_only=OFF")
    assert names(db) == []


def test_a_value_over_the_length_limit_is_refused_cleanly(db: sqlite_utils.Database) -> None:
    # sqlcipher3 has no Connection.setlimit, so the bound is enforced where every record is
    # written (records.insert_record / update_record), not by SQLITE_LIMIT_LENGTH.
    from clinicdesk.storage.records import Actor, insert_record

    db.execute("CREATE TABLE notes (" + RECORD_COLUMNS + ", body TEXT NOT NULL) STRICT")
    actor = Actor("user", "site")
    with pytest.raises(StorageError, match="too long"), write_transaction(db):
        insert_record(db, "notes", {"body": "ok"}, actor)
        insert_record(db, "notes", {"body": "x" * 2_000_000}, actor)
    assert db.execute("SELECT count(*) FROM notes").fetchone()[0] == 0
    assert names(db) == []
    assert integrity_ok(db)


def test_backup_is_a_consistent_rollback_journal_copy(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    with write_transaction(db):
        db.execute("INSERT INTO things VALUES ('Zoë')")
    target = backup_to(db, tmp_path / "backups" / "one.db")
    assert target.read_bytes()[18:20] == b"\x01\x01"
    copy = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        assert copy.execute("SELECT name FROM things").fetchall() == [("Zoë",)]
    finally:
        copy.close()
    with pytest.raises(StorageError, match="already exists"):
        backup_to(db, target)


def test_a_file_that_is_not_a_database_gives_a_plain_message(tmp_path: Path) -> None:
    path = tmp_path / "clinicdesk.db"
    path.write_bytes(b"this is a spreadsheet, honest" * 200)
    with pytest.raises(StorageError, match="damaged or is not a ClinicDesk database"):
        open_database(path)


def test_integrity_check_reports_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    db = open_database(path)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("CREATE TABLE things (name TEXT NOT NULL) STRICT")
    db.execute("CREATE INDEX things_by_name ON things (name)")
    with write_transaction(db):
        for i in range(2000):
            db.execute("INSERT INTO things VALUES (?)", [f"name {i:05d}"])
    assert integrity_ok(db)
    db.close()
    data = bytearray(path.read_bytes())
    page = 4096
    # Scribble over the middle of every page after the schema page.
    for start in range(2 * page, len(data), page):
        data[start + 100 : start + 140] = b"\xff" * 40
    path.write_bytes(bytes(data))
    damaged = open_database(path)
    try:
        assert not integrity_ok(damaged)
    finally:
        damaged.close()
