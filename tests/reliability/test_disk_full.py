"""RELIABILITY row 26: the disk fills up while saving.

``PRAGMA max_page_count`` makes SQLite report SQLITE_FULL exactly as a full disk does. The save
must fail with a plain message, the database stay intact with everything committed before, and
saving work again once space is freed.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from clinicdesk.app import main
from clinicdesk.domain.medical import MedicalHistory
from clinicdesk.errors import UserError
from clinicdesk.services.audit import AuditService
from clinicdesk.services.context import open_clinic
from clinicdesk.storage import audit, audit_check
from clinicdesk.storage.database import StorageError, integrity_ok, write_transaction
from tests.conftest import PASSWORD, Clinic, make_clinic
from tests.reliability.mounts import tmpfs
from tests.ui.conftest import (
    WindowFactory,
    click_message_button,
    open_window,
    type_text,
    when_modal,
)

__all__ = ["open_window"]  # the GUI tests' fixture, used by name


def form(n: int) -> dict[str, str]:
    return {
        "first_name": f"Full{n}",
        "last_name": "Disk" + "x" * 50,
        "date_of_birth": "03/07/1985",
        "sex": "F",
        "email": f"full{n}@example.com",
        "address_line1": f"{n} High Street" + " " * 100 + "end",
    }


def test_disk_full_gives_a_clear_error_and_loses_nothing(clinic: Clinic) -> None:
    db = clinic.services.db
    service = clinic.services.patients
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 12}")

    saved = []
    with pytest.raises(StorageError) as caught:
        for n in range(10_000):
            saved.append(service.register(clinic.reception, form(n)).id)
    assert isinstance(caught.value, UserError)
    assert "disk is full" in caught.value.message
    assert "nothing was saved" in caught.value.message
    assert len(saved) > 5
    assert not db.conn.in_transaction

    assert integrity_ok(db)
    stored = [r[0] for r in db.execute("SELECT id FROM patients ORDER BY id")]
    assert stored == sorted(saved)  # every save that returned is there, the failed one is not
    assert db.execute("SELECT count(*) FROM patient_search").fetchone()[0] == len(saved)
    assert audit_check.verify_chain(db) == []
    creates = [e for e in audit.entries(db, entity="patient") if e.action == "create"]
    assert len(creates) == len(saved)

    # Still full: reading works, and trying the same save again fails the same clean way.
    assert len(service.search(clinic.reception, "Disk")) == len(saved)
    with pytest.raises(StorageError, match="disk is full"):
        service.register(clinic.reception, form(len(saved)))
    assert integrity_ok(db)
    assert service.count(clinic.reception) == len(saved)

    # Space is freed: the same connection carries on.
    db.execute("PRAGMA max_page_count = 1073741823")
    patient = service.register(clinic.reception, form(99_999))
    service.save_medical_history(clinic.clinician, patient.id, MedicalHistory(notes="after"))
    assert service.medical_history(clinic.clinician, patient.id).notes == "after"
    assert service.count(clinic.reception) == len(saved) + 1
    assert integrity_ok(db)
    assert audit_check.verify_chain(db) == []


def fill(clinic: Clinic) -> list[str]:
    """Register patients until the database is full; the ids saved."""
    db = clinic.services.db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 4}")
    saved = []
    with pytest.raises(StorageError, match="disk is full"):
        for n in range(10_000):
            saved.append(clinic.services.patients.register(clinic.reception, form(n)).id)
    # Then small audit entries until not even one of those fits.
    with pytest.raises(StorageError, match="disk is full"):
        for _ in range(10_000):
            with write_transaction(db):
                audit.append(db, clinic.admin.actor, "view", "filler", "", {})
    return saved


def test_with_the_disk_full_signing_in_and_reading_go_on_and_the_entries_land_later(
    clinic: Clinic,
) -> None:
    """Row 26, the sign-in and reading part: the audit entries that cannot be written wait
    in memory and are written, in order, by the next write once space is freed."""
    services = clinic.services
    db = services.db
    saved = fill(clinic)
    before = audit.count(db)

    user = services.clinic.login("clinician", PASSWORD)  # its login entry cannot be written
    for patient_id in saved[:3]:
        assert services.patients.get(user, patient_id).id == patient_id
    assert services.patients.search(user, "Disk")
    check = AuditService(db).verify(clinic.admin)
    assert check.intact and check.entries == before
    assert audit.pending(db) == 5  # login, three views, the check
    assert audit.pending_reason(db) == "the disk is full"
    assert audit.count(db) == before
    # A change is still refused: it is never saved without its entry.
    with pytest.raises(StorageError, match="disk is full"):
        services.patients.register(user, form(99_000))

    db.execute("PRAGMA max_page_count = 1073741823")
    services.patients.register(user, form(99_001))
    assert audit.pending(db) == 0
    written = audit.entries(db)[before:]
    assert [(e.action, e.entity) for e in written] == [
        ("login", "user"),
        ("view", "patient"),
        ("view", "patient"),
        ("view", "patient"),
        ("verify", "audit_log"),
        ("create", "patient"),
    ]
    assert [e.entity_id for e in written[1:4]] == saved[:3]
    assert all(e.detail.get("recorded_late") for e in written[:5])
    assert audit_check.verify_chain(db) == []
    assert AuditService(db).verify(clinic.admin).intact


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs; skipped where mounting is not allowed."""
    with tmpfs(tmp_path / "tiny", "4m") as mount_point:
        yield mount_point


def fill_disk(path: Path) -> None:
    handle = path.open("wb")
    with contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    with contextlib.suppress(OSError):
        handle.close()
    assert shutil.disk_usage(path.parent).free < 65536


def test_a_really_full_disk_still_lets_the_command_line_read(
    tiny_disk: Path,
    patient_form: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clinic = make_clinic(tiny_disk / "clinic")
    patient = clinic.services.patients.register(clinic.reception, patient_form)
    clinic.services.close()
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    filler = tiny_disk / "filler"
    fill_disk(filler)

    def run(user: str, *argv: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(clinic.paths.data_dir), "--user", user, *argv])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err and "Logging error" not in captured.err
        return code, captured.out, captured.err

    code, out, err = run("reception", "patients", "search", "O'Brien")
    assert code == 0 and patient.id in out
    lines = err.splitlines()
    assert lines[0] == (
        "clinicdesk: the disk is full, so this sign-in could not be written to the audit "
        "trail: only reading is possible until that is fixed."
    )
    assert len(lines) == 2 and "could not be written; the command went on" in lines[1]
    code, out, err = run("admin", "audit", "verify")
    assert code == 0 and out.startswith("Audit trail intact")
    assert "only reading is possible" in err

    # Space is freed: a session's queued entries land in the chain, and it verifies.
    services = open_clinic(clinic.paths, data_key=clinic.key, keyring=clinic.services.keyring)
    try:
        before = audit.count(services.db)
        fill_disk(tiny_disk / "filler-2")
        user = services.clinic.login("clinician", PASSWORD)
        services.patients.get(user, patient.id)
        assert audit.pending(services.db) == 2
        filler.unlink()
        (tiny_disk / "filler-2").unlink()
        services.patients.register(user, patient_form | {"nhs_number": ""})
        assert audit.pending(services.db) == 0
        assert [e.action for e in audit.entries(services.db)[before:]] == [
            "login",
            "view",
            "create",
        ]
    finally:
        services.close()
    code, out, err = run("admin", "audit", "verify")
    assert (code, err) == (0, "")
    assert out.startswith("Audit trail intact")


def test_saving_a_record_on_a_full_disk_says_so_keeps_the_typing_and_saves_later(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    """The same, as the receptionist sees it: a message naming the disk, the edit still in the
    form (nothing typed is lost), and Save working once space is freed."""
    patient_id = clinic.services.patients.register(clinic.reception, form(1)).id
    window = open_window(clinic.reception)
    window.open_patient(patient_id)
    email = window.demographics.editor("email")
    assert isinstance(email, QLineEdit)
    email.selectAll()
    type_text(qtbot, email, "typed.before.the.disk.filled@example.com")
    db = clinic.services.db
    fill(clinic)
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Ok))
    window.save_action.trigger()
    qtbot.waitUntil(lambda: bool(seen))
    assert "disk is full" in seen[0] and str(clinic.paths.data_dir) in seen[0]
    assert email.text() == "typed.before.the.disk.filled@example.com"
    assert window.has_unsaved_changes
    stored = clinic.services.patients.get(clinic.admin, patient_id)
    assert stored.details.email == "full1@example.com"
    db.execute("PRAGMA max_page_count = 1073741823")
    window.save_action.trigger()
    assert not window.has_unsaved_changes
    stored = clinic.services.patients.get(clinic.admin, patient_id)
    assert stored.details.email == "typed.before.the.disk.filled@example.com"
