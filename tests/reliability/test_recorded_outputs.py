"""RELIABILITY row 37: a database error while recording a document or an export leaves no file
the log does not record, and the message shown says nothing was saved, truly.

The data disk filling up is simulated by making the recording raise the ``StorageError`` that
SQLite's "database or disk is full" becomes (``PRAGMA max_page_count`` cannot be aimed at the
one insert between writing the file and recording it); a commit that fails after the rename is
simulated on the connection itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clinicdesk.domain.consent import DocumentAction
from clinicdesk.errors import UserError
from clinicdesk.services.audit import AuditFilter, AuditService
from clinicdesk.storage import audit
from clinicdesk.storage.database import StorageError, describe_sqlite_error
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.recorded_files import save_recorded
from tests.conftest import Clinic
from tests.services import report_setup

DISK_FULL = describe_sqlite_error(sqlite3.OperationalError("database or disk is full"))


def full(*_args: object, **_kwargs: object) -> None:
    raise StorageError(DISK_FULL)


def _actions(clinic: Clinic, patient_id: str) -> list[str]:
    log = clinic.services.consents.documents(clinic.clinician, patient_id)
    return sorted(record.action.value for record in log)


@pytest.mark.parametrize("which", ["pack", "report"])
def test_a_saved_pdf_that_cannot_be_recorded_is_not_left_behind(
    clinic: Clinic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    patient = report_setup.treated_patient(clinic)
    documents = clinic.services.documents
    document = (
        documents.consent_pack(clinic.reception, patient.id)
        if which == "pack"
        else documents.progress_report(clinic.clinician, patient.id, flavour="clinical")
    )
    recorded = _actions(clinic, patient.id)
    assert DocumentAction.SAVED.value not in recorded
    out = tmp_path / "out"
    out.mkdir()
    target = out / document.file_name
    monkeypatch.setattr(clinic.services.consents, "record_document", full)
    with pytest.raises(UserError) as caught:
        documents.save(clinic.clinician, document, target)
    assert caught.value.message.startswith(f"{target.name} was not saved")
    assert "disk is full" in caught.value.message
    assert list(out.iterdir()) == []  # neither the PDF nor a temporary file
    monkeypatch.undo()
    assert _actions(clinic, patient.id) == recorded

    # Space freed: the same save goes through, and the log has it.
    documents.save(clinic.clinician, document, target)
    assert target.read_bytes() == document.pdf
    saved = _actions(clinic, patient.id)
    assert saved.count(DocumentAction.SAVED.value) == max(len(document.templates), 1)


def test_a_pdf_that_cannot_be_put_in_place_is_not_recorded(
    clinic: Clinic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = report_setup.treated_patient(clinic)
    document = clinic.services.documents.consent_pack(clinic.reception, patient.id)
    recorded = _actions(clinic, patient.id)

    def refuse(*_args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("os.replace", refuse)
    out = tmp_path / "out"
    out.mkdir()
    target = out / document.file_name
    with pytest.raises(UserError, match="Nothing was saved"):
        clinic.services.documents.save(clinic.reception, document, target)
    monkeypatch.undo()
    assert list(out.iterdir()) == []
    assert _actions(clinic, patient.id) == recorded


class _CommitFails:
    """The connection, except that COMMIT reports a full disk (after the rename)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.strip().upper() == "COMMIT":
            self._conn.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.fixture
def failing_commit(clinic: Clinic) -> Iterator[None]:
    db = clinic.services.db
    conn = db.conn
    db.conn = _CommitFails(conn)  # type: ignore[assignment]
    try:
        yield
    finally:
        db.conn = conn


def test_a_commit_that_fails_after_the_rename_takes_the_file_away_again(
    clinic: Clinic, tmp_path: Path, failing_commit: None
) -> None:
    db = clinic.services.db
    out = tmp_path / "out"
    out.mkdir()
    target = out / "out.pdf"
    before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]

    def record() -> None:
        audit.append(db, clinic.admin.actor, "export", "test", "", {})
        assert not target.exists()  # renamed after the record, inside the transaction

    with pytest.raises(StorageError, match="disk is full"):
        save_recorded(db, target, b"%PDF-1.4 test", record)
    assert list(out.iterdir()) == []
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


def test_an_audit_export_that_cannot_be_audited_is_not_left_behind(
    clinic: Clinic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(audit, "append", full)
    with pytest.raises(StorageError, match="nothing was saved"):
        AuditService(clinic.services.db).export_csv(clinic.admin, AuditFilter(), out / "audit.csv")
    assert list(out.iterdir()) == []
