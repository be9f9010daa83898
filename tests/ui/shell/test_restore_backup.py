"""First run on a new PC: "Restore from a backup…" (issue 13 item 3 and its first "Done when").

The demo clinic is backed up, its data folder deleted, and the backup restored through the
first-run screen into the folder a new PC's first start leaves (``backups``, ``logs`` with the
open log file): every row and file is as it was, the main window opens on it showing its
patients, and ``clinicdesk verify`` exits 0. Refusals (a damaged file, a wrong recovery key)
show in the dialog, which stays open, and leave the folder as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.paths import Paths
from clinicdesk.services.context import SignedIn
from clinicdesk.storage.database import open_database
from clinicdesk.ui.shell import application
from clinicdesk.ui.shell.first_run import FirstRunDialog
from clinicdesk.ui.shell.restore_backup import CANCELLED, RestoreBackupDialog
from clinicdesk.ui.shell.sign_in import RecoveryDialog
from tests.services.backup_setup import (
    TODAY,
    DemoCopy,
    DemoSource,
    all_rows,
    clinicdesk_verify,
    demo_source,
    file_hashes,
    folder_listing,
    fresh_start,
)
from tests.services.test_backup import backup
from tests.ui.conftest import type_text

__all__ = ["demo_source"]

NEW_PASSWORD = "a new long password"
Handler = tuple[type[QWidget], Callable[[Any], None]]


def answer_in_turn(handlers: list[Handler], timeout_ms: int = 60_000) -> list[BaseException]:
    """Handle the modal windows that open, in this order (each by its class), as a person
    would; returns a list that receives any failure (the window is then closed, so the test
    goes on to report it instead of waiting)."""
    failures: list[BaseException] = []
    waited = [0]

    def poll() -> None:
        if not handlers:
            return
        kind, handle = handlers[0]
        modal = QApplication.activeModalWidget()
        if isinstance(modal, kind) and modal.isVisible():
            handlers.pop(0)
            try:
                handle(modal)
            except BaseException as exc:  # reported by the test
                failures.append(exc)
                if isinstance(modal, QDialog):
                    modal.done(0)
                return
        elif waited[0] >= timeout_ms:
            failures.append(TimeoutError(f"no {kind.__name__} came up"))
            if isinstance(modal, QDialog):
                modal.done(0)
            return
        waited[0] += 20
        QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
    return failures


def fill_restore(
    qtbot: QtBot, archive: Path, *, password: str = "", recovery_key: str = ""
) -> Callable[[RestoreBackupDialog], None]:
    def handle(dialog: RestoreBackupDialog) -> None:
        dialog.choose_archive(archive)
        assert dialog.restore_button.isEnabled()
        type_text(qtbot, dialog.username, "admin")
        if recovery_key:
            dialog.use_recovery_key.click()
            assert dialog.recovery_key.isVisible() and not dialog.password.isVisible()
            type_text(qtbot, dialog.recovery_key, recovery_key)
        else:
            type_text(qtbot, dialog.password, password)
        dialog.restore_button.click()

    return handle


def read_message(seen: list[str]) -> Callable[[QMessageBox], None]:
    def handle(box: QMessageBox) -> None:
        seen.append(box.text())
        box.button(QMessageBox.StandardButton.Ok).click()

    return handle


def choose_new_password(qtbot: QtBot) -> Callable[[RecoveryDialog], None]:
    def handle(dialog: RecoveryDialog) -> None:
        for key in ("password", "repeat_password"):
            editor = dialog.fields[key].editor
            assert isinstance(editor, QLineEdit)
            type_text(qtbot, editor, NEW_PASSWORD)
        dialog.try_recover()

    return handle


def patient_names(paths: Paths, key: bytes) -> list[str]:
    db = open_database(paths.database, key)
    try:
        return sorted(r[0] for r in db.execute("SELECT last_name FROM patients"))
    finally:
        db.close()


def shown_patients(qtbot: QtBot, signed: SignedIn) -> list[str]:
    """The main window as the app opens it for ``signed``: the patient list's rows."""
    window = application.open_main_window(signed)
    qtbot.addWidget(window)
    window.show()
    try:
        model = window.model
        return [
            " ".join(
                str(model.data(model.index(row, col)) or "") for col in range(model.columnCount())
            )
            for row in range(model.rowCount())
        ]
    finally:
        window.close()


@pytest.fixture
def copy(demo_source: DemoSource, tmp_path: Path) -> DemoCopy:
    return demo_source.copy(tmp_path / "clinic")


@pytest.mark.parametrize("secret", ["recovery key", "password"])
def test_a_new_pc_restores_the_clinic_from_the_first_run_screen_and_opens_on_it(
    qtbot: QtBot, copy: DemoCopy, tmp_path: Path, secret: str
) -> None:
    rows = all_rows(copy.paths, copy.data_key)
    files = file_hashes(copy.paths)
    names = patient_names(copy.paths, copy.data_key)
    archive = backup(copy, tmp_path / "usb").path
    shutil.rmtree(copy.paths.data_dir)  # the disk died

    with fresh_start(tmp_path / "new-pc" / "data") as paths:
        first_run = FirstRunDialog(paths, lambda: TODAY)
        qtbot.addWidget(first_run)
        first_run.show()
        by_key = secret == "recovery key"
        seen: list[str] = []
        steps: list[Handler] = [
            (
                RestoreBackupDialog,
                fill_restore(qtbot, archive, password="demo", recovery_key=copy.recovery_key)
                if by_key
                else fill_restore(qtbot, archive, password="demo"),
            ),
            (QMessageBox, read_message(seen)),
        ]
        if by_key:
            steps.append((RecoveryDialog, choose_new_password(qtbot)))
        failures = answer_in_turn(steps)
        first_run.restore_button.click()  # returns once the restore dialog has closed
        assert not failures, failures
        assert first_run.result() == QDialog.DialogCode.Accepted and first_run.restored
        signed = first_run.signed
        assert signed is not None and signed.user.username == "admin"

        outcome = seen[0]
        assert "Restored the backup made on " in outcome
        assert "Data check: All is well: 6 patients" in outcome
        listed = shown_patients(qtbot, signed)
        assert len(listed) == len(names)
        assert all(any(name.upper() in line for line in listed) for name in names), listed
        signed.services.close()

        after = all_rows(paths, copy.data_key)
        for table, before in rows.items():
            if table in ("audit_log", "local_state"):
                continue
            if table == "users" and by_key:  # the administrator's new password
                admin = [r for r in after[table] if "admin" in r]
                assert len(admin) == 1
                assert [r for r in after[table] if r not in admin] == [
                    r for r in before if "admin" not in r
                ]
                continue
            assert after[table] == before, table
        assert after["audit_log"][: len(rows["audit_log"])] == rows["audit_log"]
        restored_files = file_hashes(paths)
        if by_key:  # the key ring holds the administrator's new password
            assert restored_files.pop("keyring.json") != files.pop("keyring.json")
        assert restored_files == files
        assert clinicdesk_verify(paths, password=NEW_PASSWORD if by_key else "demo").startswith(
            "All is well"
        )


@pytest.fixture
def archive(copy: DemoCopy, tmp_path: Path) -> Path:
    return backup(copy, tmp_path / "usb").path


@pytest.fixture
def dialog(qtbot: QtBot, tmp_path: Path) -> RestoreBackupDialog:
    paths = Paths(tmp_path / "new-pc")
    paths.ensure()
    shown = RestoreBackupDialog(paths, lambda: TODAY)
    qtbot.addWidget(shown)
    shown.show()
    return shown


def try_restore(qtbot: QtBot, dialog: RestoreBackupDialog, archive: Path, **secret: str) -> None:
    fill_restore(qtbot, archive, **secret)(dialog)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=30_000)


@pytest.mark.parametrize("damage", ["flipped byte", "truncated"])
def test_a_damaged_backup_is_refused_in_the_dialog_and_the_folder_stays_as_it_was(
    qtbot: QtBot, dialog: RestoreBackupDialog, archive: Path, damage: str
) -> None:
    data = bytearray(archive.read_bytes())
    if damage == "flipped byte":
        data[len(data) // 2] ^= 0x80
    else:
        del data[len(data) // 2 :]
    archive.write_bytes(bytes(data))
    before = folder_listing(dialog.paths.data_dir)

    try_restore(qtbot, dialog, archive, password="demo")

    message = dialog.error.text()
    expected = "is damaged in photos/" if damage == "flipped byte" else "ends early"
    assert expected in message and "Nothing was restored" in message, message
    assert dialog.isVisible() and not dialog.restored
    assert dialog.restore_button.isEnabled()  # another try, with another file
    assert folder_listing(dialog.paths.data_dir) == before
    assert not dialog.paths.holds_clinic()


def test_a_damaged_header_is_named_when_the_file_is_chosen(
    dialog: RestoreBackupDialog, archive: Path
) -> None:
    data = bytearray(archive.read_bytes())
    data[20] ^= 0x01
    archive.write_bytes(bytes(data))
    dialog.choose_archive(archive)
    assert "damaged" in dialog.info.text() or "cannot be used" in dialog.info.text()
    assert not dialog.restore_button.isEnabled()


def test_a_wrong_recovery_key_is_refused_and_the_right_one_then_restores(
    qtbot: QtBot, dialog: RestoreBackupDialog, archive: Path, copy: DemoCopy
) -> None:
    dialog.choose_archive(archive)
    assert "Made on " in dialog.info.text()
    wrong = ("B" if copy.recovery_key[0] == "A" else "A") + copy.recovery_key[1:]
    before = folder_listing(dialog.paths.data_dir)
    try_restore(qtbot, dialog, archive, recovery_key=wrong)
    assert "recovery key does not open this clinic" in dialog.error.text()
    assert dialog.isVisible() and folder_listing(dialog.paths.data_dir) == before

    dialog.username.clear()
    dialog.recovery_key.clear()
    seen: list[str] = []
    failures = answer_in_turn(
        [(QMessageBox, read_message(seen)), (RecoveryDialog, choose_new_password(qtbot))]
    )
    fill_restore(qtbot, archive, recovery_key=copy.recovery_key)(dialog)
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=60_000)
    assert not failures, failures
    assert dialog.restored and dialog.signed is not None
    dialog.signed.services.close()
    assert "Restored the backup made on " in seen[0]


def test_cancel_stops_the_restore_and_leaves_the_folder_as_it_was(
    qtbot: QtBot, dialog: RestoreBackupDialog, archive: Path
) -> None:
    before = folder_listing(dialog.paths.data_dir)
    fill_restore(qtbot, archive, password="demo")(dialog)
    assert dialog.task is not None and dialog.busy()
    dialog.reject()  # Escape does not close it midway: the progress window's Cancel stops it
    assert dialog.isVisible()
    dialog.task.dialog.canceled.emit()
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=30_000)
    assert dialog.error.text() == CANCELLED
    assert dialog.isVisible() and not dialog.restored
    assert folder_listing(dialog.paths.data_dir) == before


def test_not_choosing_the_new_password_leaves_the_clinic_restored_for_the_sign_in_screen(
    qtbot: QtBot, copy: DemoCopy, archive: Path, tmp_path: Path
) -> None:
    with fresh_start(tmp_path / "pc") as paths:
        first_run = FirstRunDialog(paths, lambda: TODAY)
        qtbot.addWidget(first_run)
        first_run.show()
        failures = answer_in_turn(
            [
                (RestoreBackupDialog, fill_restore(qtbot, archive, recovery_key=copy.recovery_key)),
                (QMessageBox, read_message([])),
                (RecoveryDialog, lambda recovery: recovery.reject()),
            ]
        )
        first_run.restore_button.click()
        assert not failures, failures
        assert first_run.restored and first_run.signed is None
        assert first_run.result() == QDialog.DialogCode.Accepted
        assert paths.holds_clinic()  # application.sign_in shows the sign-in screen next
