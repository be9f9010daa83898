"""Migration 0010: one audit chain per site, every existing entry and seal kept."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
from sqlite_utils.migrations import Migrations

from clinicdesk.domain.ids import utc_now, uuid7
from clinicdesk.storage import audit, audit_anchor, audit_chains, audit_check
from clinicdesk.storage import migrations as migrations_module
from clinicdesk.storage.database import open_database, write_transaction
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.records import Actor

HERE, THERE = "site-here", "site-there"
ROWS = "SELECT id, seq, at, user_id, site_id, action, entity, entity_id, detail, prev_hash, hash"


@pytest.fixture
def old_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sqlite_utils.Database]:
    """A database at schema 0009 (before chains were per site), this installation HERE."""
    db = open_database(tmp_path / "clinicdesk.db")
    before = Migrations(migrations_module.MIGRATION_SET)
    for m in migrations_module.migrations._migrations:
        if m.name != audit_chains.MIGRATION_NAME:
            before(name=m.name)(m.fn)
    with write_transaction(db):
        before.apply(db)
        db.execute(
            "INSERT INTO local_state (key, value) VALUES (?, ?)", [audit_chains.THIS_SITE_KEY, HERE]
        )
        for site, name in ((HERE, "Main clinic"), (THERE, "Satellite clinic")):
            now = utc_now()
            db.execute(
                "INSERT INTO sites (id, created_at, updated_at, created_by, updated_by, site_id, "
                "name, kind) VALUES (?, ?, ?, 'u', 'u', ?, ?, ?)",
                [site, now, now, site, name, "main" if site == HERE else "satellite"],
            )
    yield db
    db.close()


def write_old_trail(db: sqlite_utils.Database, sites: list[str]) -> None:
    """Entries as the program wrote them before 0010: one chain over every entry."""
    key = secrets.token_bytes(32)
    prev = audit_anchor.GENESIS
    with write_transaction(db):
        audit_anchor.set_local_value(db, audit_anchor.AUDIT_KEY, key.hex())
        for seq, site in enumerate(sites, start=1):
            fields = {
                "id": uuid7(),
                "seq": seq,
                "at": utc_now(),
                "user_id": "user-1",
                "site_id": site,
                "action": "login",
                "entity": "user",
                "entity_id": "user-1",
                "detail": "{}",
            }
            seal = audit._entry_mac(key, prev, fields)
            row = {**fields, "prev_hash": prev, "hash": seal}
            db.execute(
                f"INSERT INTO audit_log ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
            prev = seal
        audit_anchor.set_local_value(db, audit_anchor.AUDIT_HEAD, f"{len(sites)}:{prev}")
        audit_anchor.set_local_value(db, audit_anchor.AUDIT_ANCHORED, "1")
    # The anchor file as it was then: format 1, one head.
    single = audit_anchor.Anchor(len(sites), prev)
    path = audit_anchor.anchor_path(db)
    assert path is not None
    path.write_text(
        json.dumps(
            {
                "format": 1,
                "seq": single.seq,
                "hash": single.seal,
                "broken": [],
                "mac": audit_anchor._single_mac(key, single),
            }
        )
    )


def migrate_now(db: sqlite_utils.Database, tmp_path: Path) -> None:
    migrations_module.migrate(db, tmp_path / "backups")
    assert audit_chains.migrated(db)


def columns(db: sqlite_utils.Database) -> list[str]:
    return [r[1] for r in db.execute("PRAGMA table_info(audit_log)")]


def test_a_one_site_trail_becomes_that_sites_chain_unchanged(
    old_db: sqlite_utils.Database, tmp_path: Path
) -> None:
    write_old_trail(old_db, [HERE] * 5)
    before_rows = old_db.execute(f"{ROWS} FROM audit_log ORDER BY seq").fetchall()
    before_columns = columns(old_db)
    migrate_now(old_db, tmp_path)
    assert old_db.execute(f"{ROWS} FROM audit_log ORDER BY seq").fetchall() == before_rows
    assert columns(old_db) == before_columns  # same columns, same order (changesets)
    assert audit_chains.legacy(old_db) is None
    assert audit_check.verify_chain(old_db) == []
    with write_transaction(old_db):
        audit.append(old_db, Actor("user-1", HERE), "view", "patient", "p-1")
    assert audit_anchor.head(old_db)[0] == 6
    assert audit_check.verify_chain(old_db) == []
    anchor_file = json.loads((tmp_path / audit_anchor.ANCHOR_NAME).read_text())
    assert anchor_file["format"] == 2 and anchor_file["sites"][HERE]["seq"] == 6
    # Still append-only.
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        old_db.execute("UPDATE audit_log SET action = 'x' WHERE seq = 2")
    old_db.conn.rollback()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        old_db.execute("DELETE FROM audit_log WHERE seq = 2")
    old_db.conn.rollback()


def test_a_trail_of_several_sites_is_kept_whole_as_a_legacy_segment(
    old_db: sqlite_utils.Database, tmp_path: Path
) -> None:
    write_old_trail(old_db, [THERE, HERE, HERE, THERE, HERE])
    before_rows = old_db.execute(f"{ROWS} FROM audit_log ORDER BY seq").fetchall()
    migrate_now(old_db, tmp_path)
    assert old_db.execute(f"{ROWS} FROM audit_log ORDER BY seq").fetchall() == before_rows
    legacy = audit_chains.legacy(old_db)
    assert legacy is not None and (legacy.owner, legacy.last_seq) == (HERE, 5)
    assert audit_check.verify_chain(old_db) == []
    # This installation continues the old chain; the other site's own entries start after it.
    with write_transaction(old_db):
        audit.append(old_db, Actor("user-1", HERE), "view", "patient", "p-1")
    assert audit_anchor.head(old_db) == (6, audit_anchor.seal_at(old_db, 6))
    assert (
        old_db.execute("SELECT prev_hash FROM audit_log WHERE seq = 6").fetchone()[0]
        == (before_rows[-1][-1])
    )
    assert audit_anchor.head(old_db, THERE) == (5, audit_anchor.GENESIS)
    assert audit_check.verify_chain(old_db) == []
    # An edit inside the old segment is still found, in this installation's chain.
    old_db.execute("DROP TRIGGER audit_log_no_update")
    old_db.execute("UPDATE audit_log SET user_id = 'someone-else' WHERE seq = 4")
    # (one chain so far: the other site has written nothing since, so no site is named)
    assert audit_check.verify_chain(old_db) == ["entry 4 was altered"]


def test_a_database_never_migrated_is_read_as_one_chain(
    old_db: sqlite_utils.Database,
) -> None:
    """An archive made before 0010, checked before it is restored."""
    write_old_trail(old_db, [THERE, HERE, HERE])
    assert audit_check.verify_chain(old_db) == []
    old_db.execute("DROP TRIGGER audit_log_no_delete")
    old_db.execute("DELETE FROM audit_log WHERE seq = 2")
    assert audit_check.verify_chain(old_db) == ["entry 2 is missing (next is 3)"]
