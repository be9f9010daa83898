"""RELIABILITY row 7: sqlite-utils on a SQLCipher (sqlcipher3) connection.

sqlite-utils catches its driver's exception classes; if it used the standard library's while
our connections are sqlcipher3's, these error-handling paths would raise instead of recover.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
import sqlite_utils.utils

from clinicdesk.storage.database import open_database
from clinicdesk.storage.driver import sqlite3


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = open_database(tmp_path / "encrypted.db", os.urandom(32))
    database["dogs"].insert({"id": 1, "name": "Cleo"}, pk="id")
    yield database
    database.close()


def test_sqlite_utils_uses_the_sqlcipher_driver() -> None:
    import sqlcipher3

    assert sqlite_utils.utils.sqlite3 is sqlcipher3
    assert sqlite3.OperationalError is sqlcipher3.dbapi2.OperationalError


def test_drop_ignore(db: sqlite_utils.Database) -> None:
    db["missing"].drop(ignore=True)


def test_insert_alter_adds_a_column(db: sqlite_utils.Database) -> None:
    db["dogs"].insert({"id": 2, "name": "Pancakes", "age": 3}, alter=True)
    assert db["dogs"].columns_dict["age"] is int


def test_update_alter_adds_a_column(db: sqlite_utils.Database) -> None:
    db["dogs"].update(1, {"breed": "mutt"}, alter=True)
    assert db["dogs"].get(1)["breed"] == "mutt"


def test_create_index_finds_a_unique_name(db: sqlite_utils.Database) -> None:
    db["dogs"].create_index(["name"], index_name="dogs_name")
    db["dogs"].create_index(["name"], index_name="dogs_name", find_unique_name=True)
    assert len(db["dogs"].indexes) == 2


def test_query_returning(db: sqlite_utils.Database) -> None:
    rows = list(db.query("INSERT INTO dogs (id, name) VALUES (3, 'Rex') RETURNING name"))
    assert rows == [{"name": "Rex"}]


def test_atomic_rolls_back_on_a_driver_error(db: sqlite_utils.Database) -> None:
    with pytest.raises(sqlite3.IntegrityError), db.atomic():
        db.execute("INSERT INTO dogs (id, name) VALUES (4, 'Spot')")
        db.execute("INSERT INTO dogs (id, name) VALUES (1, 'Duplicate')")
    assert db["dogs"].count == 1


def test_fts5_and_wal_work_encrypted(db: sqlite_utils.Database) -> None:
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db["dogs"].enable_fts(["name"])
    assert [r["name"] for r in db["dogs"].search("cle*")] == ["Cleo"]
