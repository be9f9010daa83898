"""First run (create an encrypted clinic, or the demo), the recovery key, and signing in."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.paths import Paths
from clinicdesk.ui.shell import application
from clinicdesk.ui.shell.first_run import FirstRunDialog
from clinicdesk.ui.shell.recovery_key import RecoveryKeyDialog
from clinicdesk.ui.shell.sign_in import LoginDialog, RecoveryDialog
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic
from tests.ui.conftest import type_text, when_modal


def fill(qtbot: QtBot, fields: dict, **values: str) -> None:  # type: ignore[type-arg]
    for key, text in values.items():
        editor = fields[key].editor
        assert isinstance(editor, QLineEdit)
        editor.clear()
        type_text(qtbot, editor, text)


def confirm_recovery_key(shown: list[str]) -> Callable[[QWidget], None]:
    """Handle the recovery-key dialog: note the key, tick 'kept', continue."""

    def handle(modal: QWidget) -> None:
        assert isinstance(modal, RecoveryKeyDialog)
        shown.append(modal.key_label.text())
        assert not modal.done_button.isEnabled()  # not before confirming it was kept
        modal.reject()  # closing without confirming is refused
        assert modal.isVisible()
        modal.kept.setChecked(True)
        modal.done_button.click()

    return handle


CLINIC = {
    "clinic_name": "Harley Hair Clinic",
    "main_site": "London",
    "satellite_site": "Guildford",
    "admin_username": "pmanager",
    "admin_display_name": "Pat Manager",
    "admin_password": "long enough",
    "confirm_password": "long enough",
}


def test_first_run_creates_an_encrypted_clinic_and_shows_the_recovery_key_once(
    qtbot: QtBot, tmp_path: Path
) -> None:
    paths = Paths(tmp_path / "new")
    dialog = FirstRunDialog(paths)
    qtbot.addWidget(dialog)
    fill(qtbot, dialog.fields, **CLINIC)
    shown: list[str] = []
    when_modal(confirm_recovery_key(shown))
    dialog.create_button.click()

    assert dialog.result() == FirstRunDialog.DialogCode.Accepted
    signed = dialog.signed
    assert signed is not None and signed.user.username == "pmanager"
    try:
        assert signed.services.clinic.clinic_name() == "Harley Hair Clinic"
        assert [s.name for s in signed.services.clinic.sites()] == ["London", "Guildford"]
    finally:
        signed.services.close()
    assert len(shown) == 1 and shown[0].count("-") >= 10
    assert b"Harley" not in paths.database.read_bytes()

    # The recovery key shown opens the clinic and sets a new administrator password.
    recovery = RecoveryDialog(paths, lambda: __import__("datetime").date.today())
    qtbot.addWidget(recovery)
    fill(
        qtbot,
        recovery.fields,
        recovery_key=shown[0].lower(),
        username="pmanager",
        password="brand new pw",
        repeat_password="brand new pw",
    )
    recovery.try_recover()
    assert recovery.signed is not None and recovery.signed.user.username == "pmanager"
    recovery.signed.services.close()


def test_first_run_shows_each_problem_at_its_field_and_creates_nothing(
    qtbot: QtBot, tmp_path: Path
) -> None:
    paths = Paths(tmp_path / "new")
    dialog = FirstRunDialog(paths)
    qtbot.addWidget(dialog)
    fill(qtbot, dialog.fields, admin_password="short", confirm_password="different")
    dialog.create_button.click()
    assert dialog.fields["confirm_password"].error == "does not match the password"
    fill(qtbot, dialog.fields, confirm_password="short", admin_username="bad name!")
    dialog.create_button.click()
    errors = {k: f.error for k, f in dialog.fields.items() if f.error}
    assert set(errors) == {"clinic_name", "main_site", "admin_username", "admin_password"}
    assert "at least 8" in errors["admin_password"]
    assert not paths.holds_clinic()


def test_open_demo_clinic_then_sign_in_as_reception(qtbot: QtBot, tmp_path: Path) -> None:
    paths = Paths(tmp_path / "demo")
    dialog = FirstRunDialog(paths)
    qtbot.addWidget(dialog)
    dialog.demo_button.click()
    assert not dialog.demo_button.isEnabled()  # the work runs in the background
    qtbot.waitUntil(lambda: dialog.demo_created, timeout=30_000)
    login = LoginDialog(paths, "Demo clinic ready.")
    qtbot.addWidget(login)
    type_text(qtbot, login.username, "reception")
    type_text(qtbot, login.password, "demo")
    login.try_sign_in()
    assert login.signed is not None and login.signed.user.role.value == "reception"
    try:
        assert login.signed.services.patients.count(login.signed.user) == 40
    finally:
        login.signed.services.close()


def test_wrong_password_is_refused_with_a_message_then_the_right_one_works(
    qtbot: QtBot, clinic: Clinic
) -> None:
    login = LoginDialog(clinic.paths)
    qtbot.addWidget(login)
    type_text(qtbot, login.username, "clinician")
    type_text(qtbot, login.password, "wrong password")
    login.try_sign_in()
    assert login.signed is None
    assert login.error.text() == "The user name or password is wrong. Try again."
    assert login.password.text() == ""
    login.password.setText(PASSWORD)
    login.try_sign_in()
    assert login.signed is not None and login.signed.user.display_name == "Dr Cara Clinician"
    login.signed.services.close()


def test_what_sign_in_says_is_shown_as_plain_text_not_markup(qtbot: QtBot, clinic: Clinic) -> None:
    # The message line takes its plain-text setting with its first message (not when the
    # dialog is built, to spare the start): a message quoting typed markup shows it as typed.
    login = LoginDialog(clinic.paths)
    qtbot.addWidget(login)
    login.error.setText("No user <b>admin</b> here.")
    assert login.error.textFormat() == Qt.TextFormat.PlainText
    assert login.error.text() == "No user <b>admin</b> here."


def test_a_library_missing_at_sign_in_is_said_in_the_dialog(
    qtbot: QtBot, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A broken installation: the clinic's modules, imported when a password is first tried,
    # cannot load. The dialog says so and stays open; nothing is opened.
    monkeypatch.setitem(sys.modules, "clinicdesk.services.context", None)
    login = LoginDialog(clinic.paths)
    qtbot.addWidget(login)
    type_text(qtbot, login.username, "clinician")
    login.password.setText(PASSWORD)
    login.try_sign_in()
    assert login.signed is None
    assert login.error.text().startswith("ClinicDesk cannot open the clinic: a library is missing")
    assert "Reinstall ClinicDesk" in login.error.text()


def test_start_on_an_empty_folder_goes_through_first_run(qtbot: QtBot, tmp_path: Path) -> None:
    paths = Paths(tmp_path / "empty")
    shown: list[str] = []

    def create(modal: QWidget) -> None:
        assert isinstance(modal, FirstRunDialog)
        fill(qtbot, modal.fields, **CLINIC)
        when_modal(confirm_recovery_key(shown))
        modal.create_button.click()

    when_modal(create)
    signed_in = application.sign_in(paths)
    assert signed_in is not None
    signed, prepared = signed_in
    assert signed.user.username == "pmanager"
    assert prepared is None  # no sign-in dialog: the clinic was just made
    assert shown
    signed.services.close()


def test_the_main_window_is_made_while_the_password_is_typed_then_given_the_clinic(
    qtbot: QtBot, clinic: Clinic
) -> None:
    """While the sign-in dialog waits for the password it makes the main window's widgets,
    menus and actions (hidden, with no clinic); signed in, that window is given the clinic and
    who signed in, and is the one shown: the same window as one made after sign-in."""
    clinic.services.patients.register(clinic.clinician, VALID_PATIENT)
    made: list[QWidget] = []

    def type_password(modal: QWidget) -> None:
        assert isinstance(modal, LoginDialog)
        qtbot.waitUntil(lambda: modal.prepared is not None, timeout=10_000)
        assert modal.prepared is not None and not modal.prepared.isVisible()
        made.append(modal.prepared)
        type_text(qtbot, modal.username, "reception")
        type_text(qtbot, modal.password, PASSWORD)
        qtbot.keyClick(modal.password, Qt.Key.Key_Return)

    when_modal(type_password, timeout_ms=10_000, kind=LoginDialog)
    signed_in = application.sign_in(clinic.paths)
    assert signed_in is not None
    signed, prepared = signed_in
    assert made and prepared is made[0]
    window, _layout = application.show_main_window(signed, clinic.paths, prepared=prepared)
    qtbot.addWidget(window)
    try:
        assert window is prepared and window.isVisible()
        assert clinic.services.clinic.clinic_name() in window.windowTitle()
        assert window.model.rowCount() == 1
        assert window.signed_in_label.text().startswith("Signed in as")
        # What the role may do, as in a window made after sign-in: reception has no admin menu.
        assert not window.users_action.isVisible()
        qtbot.waitUntil(lambda: window.result_label.text() == "1 patient")
    finally:
        window.close()
        signed.services.close()


def test_a_cancelled_sign_in_leaves_no_window(qtbot: QtBot, clinic: Clinic) -> None:
    made: list[QWidget] = []

    def wait_then_cancel(modal: QWidget) -> None:
        assert isinstance(modal, LoginDialog)
        qtbot.waitUntil(lambda: modal.prepared is not None, timeout=10_000)
        assert modal.prepared is not None
        made.append(modal.prepared)
        modal.reject()

    when_modal(wait_then_cancel, timeout_ms=10_000, kind=LoginDialog)
    assert application.sign_in(clinic.paths) is None
    assert made
    destroyed = []
    made[0].destroyed.connect(lambda: destroyed.append(True))
    qtbot.waitUntil(lambda: bool(destroyed))


def test_a_database_from_a_newer_clinicdesk_is_refused_at_sign_in(
    qtbot: QtBot, clinic: Clinic
) -> None:
    clinic.services.db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('clinicdesk', '9999_from_the_future', '2030-01-01')"
    )
    clinic.services.db.conn.commit()
    login = LoginDialog(clinic.paths)
    qtbot.addWidget(login)
    type_text(qtbot, login.username, "admin")
    login.password.setText(PASSWORD)
    login.try_sign_in()
    assert login.signed is None
    assert "newer version of ClinicDesk" in login.error.text()
