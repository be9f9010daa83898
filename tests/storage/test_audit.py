"""The audit trail is append-only and hash-chained: tampering is refused or detected."""

from __future__ import annotations

import hashlib
import json
from itertools import pairwise
from pathlib import Path

import pytest
import sqlite_utils

from clinicdesk.storage import audit, audit_anchor, audit_check
from clinicdesk.storage.database import open_database, write_transaction
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.migrations import migrate
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
    assert audit_check.verify_chain(services.db) == []
    return services.db


def drop_guards(db: sqlite_utils.Database) -> None:
    """What someone with a SQLite shell on the file could do."""
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("DROP TRIGGER audit_log_no_delete")


def test_entries_chain_from_genesis(db: sqlite_utils.Database) -> None:
    rows = db.execute("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq").fetchall()
    assert rows[0][0] == 1 and rows[0][1] == audit_anchor.GENESIS
    for before, after in pairwise(rows):
        assert after[0] == before[0] + 1
        assert after[1] == before[2]


def test_update_is_refused(db: sqlite_utils.Database) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET action = 'nothing' WHERE seq = 2")
    db.conn.rollback()
    assert audit_check.verify_chain(db) == []


def test_delete_is_refused(db: sqlite_utils.Database) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_log WHERE seq = 2")
    db.conn.rollback()
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM audit_log")
    db.conn.rollback()
    assert audit_check.verify_chain(db) == []


def test_edited_entry_is_detected(db: sqlite_utils.Database) -> None:
    drop_guards(db)
    db.execute("UPDATE audit_log SET user_id = 'someone-else' WHERE seq = 4")
    assert audit_check.verify_chain(db) == ["entry 4 was altered"]


def test_edited_detail_is_detected(db: sqlite_utils.Database) -> None:
    drop_guards(db)
    db.execute("UPDATE audit_log SET detail = '{\"fields\": []}' WHERE seq = 3")
    assert "entry 3 was altered" in audit_check.verify_chain(db)


def _fields(db: sqlite_utils.Database, seq: int) -> tuple[dict[str, object], str]:
    row = db.execute(
        "SELECT id, seq, at, user_id, site_id, action, entity, entity_id, detail, prev_hash "
        "FROM audit_log WHERE seq = ?",
        [seq],
    ).fetchone()
    names = ("id", "seq", "at", "user_id", "site_id", "action", "entity", "entity_id", "detail")
    return dict(zip(names, row[:9], strict=True)), row[9]


def test_an_unkeyed_hash_does_not_pass_as_a_seal(db: sqlite_utils.Database) -> None:
    """Someone without the audit key recomputes a plain SHA-256 over the edited entry."""
    drop_guards(db)
    fields, prev = _fields(db, 5)
    fields["user_id"] = "someone-else"
    payload = json.dumps({"prev": prev, **fields}, sort_keys=True, ensure_ascii=False)
    forged = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    db.execute("UPDATE audit_log SET user_id = 'someone-else', hash = ? WHERE seq = 5", [forged])
    problems = audit_check.verify_chain(db)
    assert "entry 5 was altered" in problems
    assert "entry 6 does not follow the entry before it" in problems


def test_an_entry_resealed_with_the_key_still_breaks_the_next_link(
    db: sqlite_utils.Database,
) -> None:
    drop_guards(db)
    fields, prev = _fields(db, 5)
    fields["user_id"] = "someone-else"
    forged = audit._entry_mac(audit_anchor.audit_key(db), prev, fields)
    db.execute("UPDATE audit_log SET user_id = 'someone-else', hash = ? WHERE seq = 5", [forged])
    assert audit_check.verify_chain(db) == ["entry 6 does not follow the entry before it"]


def test_the_seal_depends_on_the_clinic_key(db: sqlite_utils.Database) -> None:
    fields, prev = _fields(db, 2)
    stored = db.execute("SELECT hash FROM audit_log WHERE seq = 2").fetchone()[0]
    assert audit._entry_mac(audit_anchor.audit_key(db), prev, fields) == stored
    assert audit._entry_mac(b"\x00" * 32, prev, fields) != stored


def test_deleted_entry_is_detected(db: sqlite_utils.Database) -> None:
    drop_guards(db)
    db.execute("DELETE FROM audit_log WHERE seq = 3")
    # The broken link after the gap is the same fact; it is not reported twice.
    assert audit_check.verify_chain(db) == ["entry 3 is missing (next is 4)"]


def test_deleted_first_entry_is_detected(db: sqlite_utils.Database) -> None:
    drop_guards(db)
    db.execute("DELETE FROM audit_log WHERE seq = 1")
    assert "entry 1 is missing (next is 2)" in audit_check.verify_chain(db)


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
    assert audit_check.verify_chain(db) == []


def test_entries_filter_by_entity(db: sqlite_utils.Database) -> None:
    patient_entries = audit.entries(db, entity="patient")
    assert patient_entries and all(e.entity == "patient" for e in patient_entries)
    one = patient_entries[0].entity_id
    assert {e.entity_id for e in audit.entries(db, entity="patient", entity_id=one)} == {one}


def test_deleted_entries_in_a_row_are_named_as_one_range(db: sqlite_utils.Database) -> None:
    drop_guards(db)
    db.execute("DELETE FROM audit_log WHERE seq IN (3, 4, 5)")
    assert audit_check.verify_chain(db) == ["entries 3 to 5 are missing (next is 6)"]


def swap(db: sqlite_utils.Database, first: int, second: int) -> None:
    """Exchange the places of two entries (everything but their numbers)."""
    db.execute("UPDATE audit_log SET seq = -1 WHERE seq = ?", [first])
    db.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", [first, second])
    db.execute("UPDATE audit_log SET seq = ? WHERE seq = -1", [second])


@pytest.mark.parametrize(("first", "second"), [(3, 6), (4, 5)])
def test_reordered_entries_are_detected(db: sqlite_utils.Database, first: int, second: int) -> None:
    drop_guards(db)
    swap(db, first, second)
    assert audit_check.verify_chain(db) == [
        f"entry {first} is out of order: it was written as entry {second}",
        f"entry {second} is out of order: it was written as entry {first}",
    ]


def test_a_truncated_tail_is_detected_through_the_recorded_head(
    db: sqlite_utils.Database,
) -> None:
    last, _ = audit_anchor.head(db)
    drop_guards(db)
    db.execute("DELETE FROM audit_log WHERE seq > ?", [last - 3])
    assert audit_check.verify_chain(db) == [
        f"the newest 3 entries are missing: the trail ends at entry {last - 3}, "
        f"but entry {last} was written"
    ]


def test_after_a_truncation_the_next_entry_leaves_the_gap_visible(
    db: sqlite_utils.Database,
) -> None:
    last, _ = audit_anchor.head(db)
    drop_guards(db)
    db.execute("DELETE FROM audit_log WHERE seq > ?", [last - 2])
    with write_transaction(db):
        audit.append(db, ACTOR, "login", "user", "user-1")
    assert audit_anchor.head(db)[0] == last + 1
    assert audit_check.verify_chain(db) == [
        f"entries {last - 1} to {last} are missing (next is {last + 1}): cut from the end of "
        f"the trail, where entry {last} had been anchored as the newest"
    ]


def test_an_emptied_trail_is_detected(db: sqlite_utils.Database) -> None:
    last, _ = audit_anchor.head(db)
    drop_guards(db)
    db.execute("DELETE FROM audit_log")
    assert audit_check.verify_chain(db) == [
        f"the newest {last} entries are missing: the trail is empty, but entry {last} was written"
    ]


def test_a_missing_head_record_is_reported(db: sqlite_utils.Database) -> None:
    last, _ = audit_anchor.head(db)
    db.execute("DELETE FROM local_state WHERE key = ?", [audit_anchor.AUDIT_HEAD])
    assert audit_check.verify_chain(db) == [
        "the record of the newest entry is missing, so entries cut from the end would go "
        f"unnoticed (the trail ends at entry {last})"
    ]


def test_a_replaced_newest_entry_is_reported(db: sqlite_utils.Database) -> None:
    last, _ = audit_anchor.head(db)
    drop_guards(db)
    fields, prev = _fields(db, last)
    fields["action"] = "nothing"
    forged = audit._entry_mac(audit_anchor.audit_key(db), prev, fields)
    db.execute("UPDATE audit_log SET action = 'nothing', hash = ? WHERE seq = ?", [forged, last])
    assert audit_check.verify_chain(db) == [
        f"entry {last} is not the entry recorded as the newest: it was replaced"
    ]


def test_a_missing_key_is_reported_not_replaced(db: sqlite_utils.Database) -> None:
    db.execute("DELETE FROM local_state WHERE key = ?", [audit_anchor.AUDIT_KEY])
    problems = audit_check.verify_chain(db)
    assert len(problems) == 1 and problems[0].startswith("the audit key is missing")
    assert audit_anchor.stored_audit_key(db) is None  # checking wrote nothing


def test_the_key_is_made_once_and_kept(clinic: Clinic) -> None:
    db = clinic.services.db
    key = audit_anchor.audit_key(db)
    assert len(key) == 32
    assert audit_anchor.audit_key(db) == key == audit_anchor.stored_audit_key(db)


def test_head_names_the_newest_entry(db: sqlite_utils.Database) -> None:
    seq, seal = audit_anchor.head(db)
    assert (seq, seal) == tuple(
        db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    )
    recorded = db.execute(
        "SELECT value FROM local_state WHERE key = ?", [audit_anchor.AUDIT_HEAD]
    ).fetchone()[0]
    assert recorded == f"{seq}:{seal}"


def test_an_empty_database_has_an_empty_head(tmp_path: Path) -> None:
    db = open_database(tmp_path / "empty.db")
    migrate(db, tmp_path / "backups")
    assert audit_anchor.head(db) == (0, audit_anchor.GENESIS)
    assert audit_check.verify_chain(db) == []
    db.close()


def test_entries_filter_by_patient_user_action_and_time(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    services = clinic.services
    db = services.db
    patient = services.patients.register(clinic.reception, patient_form)
    services.patients.add_classification(clinic.clinician, patient.id, "ludwig", "II", "2024-01-01")
    services.patients.get(clinic.clinician, patient.id)
    about = audit.entries(db, patient_ids=[patient.id])
    assert [(e.action, e.entity) for e in about] == [
        ("create", "patient"),
        ("create", "classification"),
        ("view", "patient"),
    ]
    assert audit.entries(db, patient_ids=[]) == []
    mine = audit.entries(db, patient_ids=[patient.id], user_id=clinic.clinician.id)
    assert [e.action for e in mine] == ["create", "view"]
    assert [e.entity for e in audit.entries(db, patient_ids=[patient.id], action="view")] == [
        "patient"
    ]
    newest = audit.entries(db, newest_first=True, limit=2)
    assert [e.seq for e in newest] == [about[-1].seq, about[-1].seq - 1]
    older = audit.entries(db, newest_first=True, before=newest[-1].position, limit=1)
    assert [e.seq for e in older] == [newest[-1].seq - 1]
    moment = about[1].at
    since = audit.entries(db, since=moment)
    assert about[1] in since and all(e.at >= moment for e in since)
    until = audit.entries(db, until=moment)  # exclusive
    assert about[1] not in until and all(e.at < moment for e in until)
    assert audit.count(db, patient_ids=[patient.id]) == 3
