"""RELIABILITY rows 15 and 35: cutting, emptying or re-sealing the audit trail, removing its key,
and editing clinical rows behind ClinicDesk's back are all reported by ``clinicdesk audit verify``.

Each test does what someone who can open the database file could do (drop the triggers, delete
or rewrite rows, commit), then signs in through the command line as a user would and runs the
check as an administrator. The newest entry is anchored outside the database
(``audit_anchor.json`` beside it), so deleting the head kept in ``local_state`` as well no
longer lets the next sign-in paper over the cut.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlite_utils

from clinicdesk.app import main
from clinicdesk.storage import audit, audit_anchor, audit_check
from tests.conftest import PASSWORD, Clinic
from tests.services.clinical_setup import eligible_patient, treatment_form


@pytest.fixture
def trail(
    clinic: Clinic, patient_form: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> sqlite_utils.Database:
    services = clinic.services
    patient = services.patients.register(clinic.reception, patient_form)
    for _ in range(3):
        services.patients.get(clinic.clinician, patient.id)
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    assert audit_check.verify_chain(services.db) == []
    return services.db


def cli(clinic: Clinic, capsys: pytest.CaptureFixture[str], user: str, *argv: str) -> Any:
    code = main(["--data-dir", str(clinic.paths.data_dir), "--user", user, *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def verify(clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code, out, err = cli(clinic, capsys, "admin", "audit", "verify")
    assert "Traceback" not in err
    if code == 0:
        assert out.startswith("Audit trail intact")
        return code, []
    assert out == ""
    lines = err.splitlines()
    # After the summary, one indented line per problem (a warning about the sign-in may come
    # before it and after them).
    start = next(i for i, line in enumerate(lines) if "tampered with" in line)
    assert lines[start].startswith("clinicdesk: The audit trail has been tampered with"), err
    return code, [line.strip() for line in lines[start + 1 :] if line.startswith("  ")]


def tamper(db: sqlite_utils.Database, *statements: str, params: list[Any] | None = None) -> None:
    db.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    db.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    for statement in statements:
        db.execute(statement)
    db.conn.commit()


def sign_in_and_search(clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> None:
    """A user signs in after the tampering (its login entry is appended)."""
    code, _, err = cli(clinic, capsys, "reception", "patients", "search", "O'Brien")
    assert code == 0, err


def test_cut_tail_and_deleted_head_are_reported_after_a_sign_in(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    last, _ = audit_anchor.head(trail)
    tamper(
        trail,
        f"DELETE FROM audit_log WHERE seq > {last - 3}",
        f"DELETE FROM local_state WHERE key = '{audit_anchor.AUDIT_HEAD}'",
    )
    sign_in_and_search(clinic, capsys)
    code, problems = verify(clinic, capsys)
    assert code == 2
    assert problems == [
        f"entries {last - 2} to {last} are missing (next is {last + 1}): cut from the end of "
        f"the trail, where entry {last} had been anchored as the newest"
    ]
    # More sign-ins do not heal it.
    sign_in_and_search(clinic, capsys)
    assert verify(clinic, capsys)[1] == problems


def test_an_emptied_trail_and_head_are_reported_after_a_sign_in(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    last, _ = audit_anchor.head(trail)
    tamper(
        trail,
        "DELETE FROM audit_log",
        f"DELETE FROM local_state WHERE key = '{audit_anchor.AUDIT_HEAD}'",
    )
    sign_in_and_search(clinic, capsys)
    code, problems = verify(clinic, capsys)
    assert code == 2
    assert problems[0] == (
        f"entries 1 to {last} are missing (next is {last + 1}): cut from the end of the "
        f"trail, where entry {last} had been anchored as the newest"
    )


def test_a_deleted_audit_key_is_reported_and_never_replaced(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(trail, f"DELETE FROM local_state WHERE key = '{audit_anchor.AUDIT_KEY}'")
    code, out, err = cli(clinic, capsys, "reception", "patients", "search", "O'Brien")
    assert code == 0 and "O'BRIEN" in out  # reading still works
    assert err.startswith(
        "clinicdesk: the audit key is missing, so this sign-in could not be written to the "
        "audit trail: only reading is possible"
    )
    code, problems = verify(clinic, capsys)
    assert code == 2
    assert len(problems) == 1 and problems[0].startswith("the audit key is missing")
    assert audit_anchor.stored_audit_key(trail) is None  # no new key was made
    # A change cannot be saved without its entry, so it is refused, plainly.
    code, _, err = cli(
        clinic, capsys, "reception", "patients", "add", "--first", "A", "--last", "B",
        "--dob", "1990-01-01",
    )  # fmt: skip
    assert code == 2 and "audit key is missing" in err
    assert audit_anchor.stored_audit_key(trail) is None


def reseal_from(db: sqlite_utils.Database, first: int) -> None:
    """Someone with a password recomputes every seal from entry ``first`` with the key in the
    database, and sets the head in ``local_state`` to match: the chain alone looks perfect."""
    key = audit_anchor.stored_audit_key(db)
    assert key is not None
    rows = db.execute(
        "SELECT id, seq, at, user_id, site_id, action, entity, entity_id, detail, prev_hash "
        "FROM audit_log WHERE seq >= ? ORDER BY seq",
        [first],
    ).fetchall()
    prev = db.execute("SELECT hash FROM audit_log WHERE seq = ?", [first - 1]).fetchone()[0]
    names = ("id", "seq", "at", "user_id", "site_id", "action", "entity", "entity_id", "detail")
    for row in rows:
        fields = dict(zip(names, row[:9], strict=True))
        seal = audit._entry_mac(key, prev, fields)
        db.execute(
            "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", [prev, seal, row[1]]
        )
        prev = seal
    last = rows[-1][1] if rows else first - 1
    db.execute(
        "UPDATE local_state SET value = ? WHERE key = ?",
        [f"{last}:{prev}", audit_anchor.AUDIT_HEAD],
    )
    db.conn.commit()


def test_a_cut_and_resealed_trail_is_reported_against_the_anchor(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    last, _ = audit_anchor.head(trail)
    tamper(
        trail,
        f"DELETE FROM audit_log WHERE seq > {last - 2}",
        "UPDATE audit_log SET user_id = 'someone-else' WHERE seq = 3",
    )
    reseal_from(trail, 3)
    assert audit_check.verify_chain(trail) == [  # the database alone looks intact but the anchor
        f"the newest 2 entries are missing: the trail ends at entry {last - 2}, but entry "
        f"{last} was written"
    ]
    sign_in_and_search(clinic, capsys)
    code, problems = verify(clinic, capsys)
    assert code == 2
    assert problems[0] == (
        f"entries {last - 1} to {last} are missing (next is {last + 1}): cut from the end of "
        f"the trail, where entry {last} had been anchored as the newest"
    )


def test_a_rewritten_trail_of_the_same_length_is_reported_against_the_anchor(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    last, _ = audit_anchor.head(trail)
    tamper(trail, "UPDATE audit_log SET user_id = 'someone-else' WHERE seq = 3")
    reseal_from(trail, 3)
    sign_in_and_search(clinic, capsys)
    code, problems = verify(clinic, capsys)
    assert code == 2
    assert problems == [
        f"entry {last} is not the entry the anchor file recorded: the trail was rewritten up "
        "to there"
    ]


def test_a_missing_anchor_is_reported_and_not_silently_remade(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = clinic.paths.data_dir / audit_anchor.ANCHOR_NAME
    anchor.unlink()
    sign_in_and_search(clinic, capsys)
    assert not anchor.exists()
    code, problems = verify(clinic, capsys)
    assert code == 2
    assert problems[0].startswith(
        f"the anchor file {audit_anchor.ANCHOR_NAME} beside the database is missing"
    )
    # The administrator's remedy, when no backup holds it: anchor the trail as it stands.
    code, out, _ = cli(clinic, capsys, "admin", "audit", "anchor")
    assert code == 0 and re.fullmatch(r"Audit trail anchored at entry \d+\.\n", out)
    assert verify(clinic, capsys) == (0, [])
    # A sound anchor is never replaced (that would hide a cut).
    code, _, err = cli(clinic, capsys, "admin", "audit", "anchor")
    assert code == 2 and "is sound, so it was kept" in err


def test_a_forged_anchor_is_reported(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    path = clinic.paths.data_dir / audit_anchor.ANCHOR_NAME
    data = json.loads(path.read_text())
    (site,) = data["sites"]  # one chain: this installation's own site
    # Someone without the key moves the anchor back before cutting the tail.
    data["sites"][site]["seq"] = 2
    path.write_text(json.dumps(data))
    code, problems = verify(clinic, capsys)
    assert code == 2
    assert problems[0].startswith(
        f"the anchor file {audit_anchor.ANCHOR_NAME} was altered or replaced"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE patients SET last_name = 'Changed' WHERE id = :id",
        "UPDATE patients SET last_name = 'Changed', version = version + 1 WHERE id = :id",
        "DELETE FROM patients WHERE id = :id",
    ],
)
def test_a_patient_row_changed_outside_clinicdesk_is_reported(
    trail: sqlite_utils.Database,
    clinic: Clinic,
    capsys: pytest.CaptureFixture[str],
    statement: str,
) -> None:
    patient_id = audit.entries(trail, entity="patient", action="create")[0].entity_id
    trail.execute("PRAGMA foreign_keys = OFF")
    tamper(trail, "DELETE FROM patient_search")  # the index, so the delete is not refused
    trail.execute(statement, {"id": patient_id})
    trail.conn.commit()
    code, problems = verify(clinic, capsys)
    assert code == 2
    assert len(problems) == 1
    what = "deleted" if statement.startswith("DELETE") else "changed"
    assert problems[0].startswith(f"patient {patient_id} was {what} ")
    assert "without an audit entry" in problems[0]


def test_treatment_rows_changed_added_or_deleted_outside_clinicdesk_are_reported(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    services = clinic.services
    patient = eligible_patient(clinic)
    saved = services.clinical.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    second = services.clinical.record_treatment(
        clinic.clinician, patient.id, treatment_form(clinic, treated_on="2025-03-11")
    )
    assert verify(clinic, capsys) == (0, [])
    db = services.db
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("UPDATE treatments SET kit_lot = 'OTHER' WHERE id = ?", [saved.treatment.id])
    db.execute("DELETE FROM follow_ups WHERE treatment_id = ?", [second.treatment.id])
    db.execute("DELETE FROM treatments WHERE id = ?", [second.treatment.id])
    columns = [r[1] for r in db.execute("PRAGMA table_info(treatments)")]
    values = ", ".join("'copy-1'" if c == "id" else c for c in columns)
    db.execute(
        f"INSERT INTO treatments ({', '.join(columns)}) SELECT {values} FROM treatments "
        "WHERE id = ?",
        [saved.treatment.id],
    )
    db.conn.commit()
    code, problems = verify(clinic, capsys)
    assert code == 2
    kinds = sorted(" ".join(p.split()[:4]) for p in problems)
    assert kinds == sorted(
        [
            f"treatment {saved.treatment.id} was changed",
            f"treatment {second.treatment.id} was deleted",
            "treatment copy-1 was added",
        ]
    )
