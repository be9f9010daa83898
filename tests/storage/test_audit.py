"""The audit trail is append-only and hash-chained: tampering is refused or detected."""

from __future__ import annotations

import json
import sqlite3
from itertools import pairwise

import pytest
import sqlite_utils

from clinicdesk.storage import audit
from clinicdesk.storage.database import write_transaction
from clinicdesk.storage.records import Actor
from tests.conftest import Clinic

ACTOR = Actor("user-1", "site-1")


@pytest.fixture
def db(clinic: Clinic, patient_form: dict[str, str]) -> sqlite_utils.Database:
    """A clinic whose audit log holds a dozen genuine entries."""
    services = clinic.services
    patient = services.patients.register(clinic.reception, patient_form)
    for _ in range(3):
        services.patients.get(clinic.clinician, patient.id)
    services.patients.update(clinic.reception, patient.id, patient.version, patient_form)
    count = services.db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert count >= 8
    assert audit.verify_chain(services.db) == []
    return services.db


def drop_guards(db: sqlite_utils.Database) -> None:
    """What someone with a SQLite shell on the file could do."""
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("DROP TRIGGER audit_log_no_delete")


def test_entries_chain_from_genesis(db: sqlite_utils.Database) -> None:
    rows = db.execute("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq").fetchall()
    assert rows[0][0] == 1 and rows[0][1] == audit.GENESIS
    for before, after in pairwise(rows):
        assert after[0] == before[0] + 1
        assert after[1] == before[2]


def test_update_is_refused(db: sqlite_utils.Database) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET action = 'nothing' WHERE seq = 2")
    db.conn.rollback()
    assert audit.verify_chain(db) == []


def test_delete_is_refused(db: sqlite_utils.Database) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_log WHERE seq = 2")
    db.conn.rollback()
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM audit_log")
    db.conn.rollback()
    assert audit.verify_chain(db) == []


def test_edited_entry_is_detected(db: sqlite_utils.Database) -> None:
    drop_guards(db)
    db.execute("UPDATE audit_log SET user_id = 'someone-else' WHERE seq = 4")
    assert audit.verify_chain(db) == ["entry 4 was altered"]


def test_edited_detail_is_detected(db: sqlite_utils.Database) -> None:
    drop_guards(db)
    db.execute("UPDATE audit_log SET detail = '{\"fields\": []}' WHERE seq = 3")
    assert "entry 3 was altered" in audit.verify_chain(db)


def test_edit_with_a_recomputed_hash_still_breaks_the_next_link(
    db: sqlite_utils.Database,
) -> None:
    drop_guards(db)
    seq, at, _user, site, action, entity, entity_id, detail, prev = db.execute(
        "SELECT seq, at, user_id, site_id, action, entity, entity_id, detail, prev_hash "
        "FROM audit_log WHERE seq = 5"
    ).fetchone()
    fields = {
        "seq": seq,
        "at": at,
        "user_id": "someone-else",
        "site_id": site,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "detail": detail,
    }
    forged = audit._entry_hash(prev, fields)
    db.execute("UPDATE audit_log SET user_id = 'someone-else', hash = ? WHERE seq = 5", [forged])
    assert audit.verify_chain(db) == ["entry 6 does not follow the entry before it"]


def test_deleted_entry_is_detected(db: sqlite_utils.Database) -> None:
    drop_guards(db)
    db.execute("DELETE FROM audit_log WHERE seq = 3")
    problems = audit.verify_chain(db)
    assert "entry 3 is missing (next is 4)" in problems
    assert "entry 4 does not follow the entry before it" in problems


def test_deleted_first_entry_is_detected(db: sqlite_utils.Database) -> None:
    drop_guards(db)
    db.execute("DELETE FROM audit_log WHERE seq = 1")
    assert "entry 1 is missing (next is 2)" in audit.verify_chain(db)


def test_append_continues_the_chain_and_keeps_detail_as_json(db: sqlite_utils.Database) -> None:
    with write_transaction(db):
        audit.append(db, ACTOR, "print", "document", "doc-1", {"copies": 2, "name": "Zoë"})
    last = audit.entries(db)[-1]
    assert (last.action, last.entity, last.entity_id, last.user_id) == (
        "print",
        "document",
        "doc-1",
        "user-1",
    )
    assert last.detail == {"copies": 2, "name": "Zoë"}
    raw = db.execute("SELECT detail FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert json.loads(raw) == last.detail
    assert audit.verify_chain(db) == []


def test_entries_filter_by_entity(db: sqlite_utils.Database) -> None:
    patient_entries = audit.entries(db, entity="patient")
    assert patient_entries and all(e.entity == "patient" for e in patient_entries)
    one = patient_entries[0].entity_id
    assert {e.entity_id for e in audit.entries(db, entity="patient", entity_id=one)} == {one}
