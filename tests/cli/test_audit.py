"""``clinicdesk audit verify`` names each kind of tampering (RELIABILITY row 15).

Each test tampers with the database the way someone with a SQLite shell on the file could:
drop the triggers that refuse UPDATE and DELETE, then edit, delete, reorder or cut entries,
and commit. The command runs as an administrator through ``clinicdesk.app.main``.
"""

from __future__ import annotations

import re

import pytest
import sqlite_utils

from clinicdesk.app import main
from clinicdesk.storage import audit, audit_anchor, audit_check
from tests.conftest import PASSWORD, Clinic


@pytest.fixture
def trail(
    clinic: Clinic, patient_form: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> sqlite_utils.Database:
    """A clinic with a dozen genuine entries; the password for the CLI in the environment."""
    services = clinic.services
    patient = services.patients.register(clinic.reception, patient_form)
    for _ in range(5):
        services.patients.get(clinic.clinician, patient.id)
    services.patients.update(clinic.reception, patient.id, patient.version, patient_form)
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    assert audit.count(services.db) >= 10
    return services.db


def verify(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], user: str = "admin"
) -> tuple[int, str, str]:
    code = main(["--data-dir", str(clinic.paths.data_dir), "--user", user, "audit", "verify"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tamper(db: sqlite_utils.Database, *statements: str) -> None:
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("DROP TRIGGER audit_log_no_delete")
    for statement in statements:
        db.execute(statement)
    db.conn.commit()


def problems_of(err: str) -> list[str]:
    lines = err.splitlines()
    assert re.match(
        r"clinicdesk: The audit trail has been tampered with: \d+ problems? in \d+ entries:$",
        lines[0],
    ), err
    assert "Traceback" not in err
    return [line.strip() for line in lines[1:]]


def test_an_untouched_trail_verifies_clean(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    before = audit.count(trail)
    code, out, err = verify(clinic, capsys)
    assert (code, err) == (0, "")
    # The command's own sign-in is one more entry, checked with the rest.
    assert out == f"Audit trail intact: {before + 1} entries\n"
    # The check itself is audited, and the trail is still intact afterwards.
    assert audit.entries(trail)[-1].action == "verify"
    assert verify(clinic, capsys)[0] == 0


def test_an_edited_entry_is_named(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(trail, """UPDATE audit_log SET detail = '{"fields": []}' WHERE seq = 7""")
    code, out, err = verify(clinic, capsys)
    assert (code, out) == (2, "")
    assert problems_of(err) == ["entry 7 was altered"]


def test_a_deleted_entry_is_named(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(trail, "DELETE FROM audit_log WHERE seq = 5")
    code, out, err = verify(clinic, capsys)
    assert (code, out) == (2, "")
    assert problems_of(err) == ["entry 5 is missing (next is 6)"]


def test_reordered_entries_are_named(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(
        trail,
        "UPDATE audit_log SET seq = -1 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = 8",
        "UPDATE audit_log SET seq = 8 WHERE seq = -1",
    )
    code, out, err = verify(clinic, capsys)
    assert (code, out) == (2, "")
    assert problems_of(err) == [
        "entry 4 is out of order: it was written as entry 8",
        "entry 8 is out of order: it was written as entry 4",
    ]


def test_a_truncated_tail_is_named(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    last, _ = audit_anchor.head(trail)
    tamper(trail, f"DELETE FROM audit_log WHERE seq > {last - 3}")
    code, out, err = verify(clinic, capsys)
    assert (code, out) == (2, "")
    # The command's sign-in entry continues after the real newest entry (kept in a second
    # place), so the cut-off entries stay visible as a gap instead of being overwritten.
    problems = problems_of(err)
    assert problems[0] == (
        f"entries {last - 2} to {last} are missing (next is {last + 1}): cut from the end of "
        f"the trail, where entry {last} had been anchored as the newest"
    )
    # The patient's update was among the entries cut: its row no longer matches the last
    # entry about it that survives.
    assert len(problems) == 2
    assert re.fullmatch(
        r"patient \S+ was changed after entry \d+ without an audit entry, version 1 -> 2",
        problems[1],
    )


def test_a_truncated_tail_is_named_before_anything_else_is_written(
    trail: sqlite_utils.Database, clinic: Clinic
) -> None:
    last, _ = audit_anchor.head(trail)
    tamper(trail, f"DELETE FROM audit_log WHERE seq > {last - 3}")
    assert audit_check.verify_chain(trail) == [
        f"the newest 3 entries are missing: the trail ends at entry {last - 3}, "
        f"but entry {last} was written"
    ]


@pytest.mark.parametrize("user", ["reception", "clinician"])
def test_only_an_administrator_may_verify(
    trail: sqlite_utils.Database, clinic: Clinic, capsys: pytest.CaptureFixture[str], user: str
) -> None:
    code, out, err = verify(clinic, capsys, user)
    assert (code, out) == (3, "")
    assert len(err.splitlines()) == 1
    assert err.startswith("clinicdesk: Your role")
    refused = audit.entries(trail)[-1]
    assert (refused.action, refused.entity, refused.detail) == (
        "denied",
        "audit_log",
        {"needs": "audit_trail"},
    )
