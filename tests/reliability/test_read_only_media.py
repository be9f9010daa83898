"""RELIABILITY row 27: the data folder on read-only storage (a USB snapshot, a CD, a locked
share). The clinic opens for reading: search works, every write is refused with the reason in
one line, the GUI shows a banner; nothing crashes because the log file cannot be opened.

As root, ``chmod`` does not stop writes, so a real read-only mount is used: a tmpfs remounted
read-only. Without permission to mount (not root, a container without CAP_SYS_ADMIN) these
tests are skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from clinicdesk.app import main
from clinicdesk.paths import Paths
from clinicdesk.ui.shell.application import open_main_window
from clinicdesk.ui.shell.sign_in import LoginDialog
from tests.conftest import PASSWORD, VALID_PATIENT, make_clinic
from tests.reliability.mounts import mount, tmpfs
from tests.ui.conftest import type_text

READ_ONLY = "is read-only, so nothing can be saved"


@pytest.fixture
def read_only_clinic(tmp_path: Path) -> Iterator[Paths]:
    """A clinic with one patient, made on a tmpfs that is then remounted read-only."""
    with tmpfs(tmp_path / f"media-{uuid.uuid4().hex[:8]}", "64m") as mount_point:
        clinic = make_clinic(mount_point / "clinic")
        clinic.services.patients.register(clinic.admin, dict(VALID_PATIENT))
        clinic.services.close()
        remounted = mount("-o", "remount,ro", str(mount_point))
        if remounted.returncode != 0:
            pytest.skip(f"remounting read-only is not permitted: {remounted.stderr.strip()}")
        yield clinic.paths


def run(paths: Paths, *argv: str) -> int:
    return main(["--data-dir", str(paths.data_dir), "--user", "admin", *argv])


def test_search_works_on_read_only_storage(
    read_only_clinic: Paths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    assert run(read_only_clinic, "patients", "search", "O'Brien") == 0
    captured = capsys.readouterr()
    assert "O'BRIEN, Siobhán" in captured.out
    assert captured.err == ""


def test_adding_a_patient_on_read_only_storage_is_refused_in_one_line(
    read_only_clinic: Paths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    add = ["patients", "add", "--first", "Ann", "--last", "Lee", "--dob", "1980-01-02"]
    assert run(read_only_clinic, *add) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("clinicdesk: The data folder ")
    assert str(read_only_clinic.data_dir) in lines[0] and READ_ONLY in lines[0]
    assert captured.out == ""


def test_a_wal_left_on_read_only_storage_is_named_with_what_to_do(
    read_only_clinic: Paths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot taken while ClinicDesk was writing holds a -wal without its -shm: SQLite
    cannot open that read-only, so the message says to copy the folder to writable storage."""
    paths = read_only_clinic
    media = paths.data_dir.parent
    mount("-o", "remount,rw", str(media))
    Path(f"{paths.database}-wal").write_bytes(b"\0" * 4096)
    mount("-o", "remount,ro", str(media))
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    assert run(paths, "patients", "search", "a") == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert "cannot be opened on read-only storage" in lines[0] and "clinicdesk.db-wal" in lines[0]


def test_the_gui_opens_a_read_only_clinic_with_a_banner(
    qtbot: QtBot, read_only_clinic: Paths
) -> None:
    login = LoginDialog(read_only_clinic)
    qtbot.addWidget(login)
    type_text(qtbot, login.username, "admin")
    login.password.setText(PASSWORD)
    login.try_sign_in()
    assert login.signed is not None, login.error.text()
    try:
        window = open_main_window(login.signed)
        qtbot.addWidget(window)
        window.show()
        banner = window.findChild(QLabel, "read_only_banner")
        assert banner is not None and banner.isVisible()
        assert READ_ONLY in banner.text() and str(read_only_clinic.data_dir) in banner.text()
        window.search_box.setText("O'Brien")
        window.run_search()
        assert window.model.rowCount() == 1
    finally:
        login.signed.services.close()
