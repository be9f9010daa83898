"""Signing in with a password an administrator set: the window does not open until the person
chooses their own, and cancelling signs them out."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.domain.roles import Role
from clinicdesk.errors import PasswordChangeRequired
from clinicdesk.services.users import NewUser
from clinicdesk.ui.admin.change_password import ChangePasswordDialog
from clinicdesk.ui.shell.sign_in import LoginDialog
from tests.conftest import PASSWORD, Clinic
from tests.ui.conftest import WindowFactory, type_text, when_modal
from tests.ui.shell.test_idle_lock import idle_window, is_locked, sign_in_as, wait_for_lock

__all__ = ["idle_window"]  # the fixture, used by name

OWN_PASSWORD = "nobody else knows this"


def sign_in(qtbot: QtBot, clinic: Clinic, username: str, password: str) -> LoginDialog:
    login = LoginDialog(clinic.paths)
    qtbot.addWidget(login)
    type_text(qtbot, login.username, username)
    type_text(qtbot, login.password, password)
    return login


def test_a_new_account_chooses_its_own_password_before_the_window_opens(
    qtbot: QtBot, clinic: Clinic
) -> None:
    clinic.services.users.create_user(
        clinic.admin, NewUser("n.nurse", "Nia Nurse", Role.RECEPTION, PASSWORD)
    )
    login = sign_in(qtbot, clinic, "n.nurse", PASSWORD)
    seen: list[ChangePasswordDialog] = []

    def choose(modal: QWidget) -> None:
        assert isinstance(modal, ChangePasswordDialog)
        seen.append(modal)
        assert modal.windowTitle() == "Choose your own password"
        assert "old_password" not in modal.fields  # just typed at sign-in
        for key in ("new_password", "repeat_password"):
            editor = modal.fields[key].editor
            assert isinstance(editor, QLineEdit)
            editor.setText(OWN_PASSWORD)
        modal.accept_button.click()

    when_modal(choose)
    login.try_sign_in()
    assert seen, "the password dialog was not shown"
    signed = login.signed
    assert signed is not None
    try:
        assert not signed.user.must_change_password
        assert signed.services.patients.count(signed.user) == 0  # the data is open now
    finally:
        signed.services.close()
    assert not clinic.services.clinic.login("n.nurse", OWN_PASSWORD).must_change_password


def test_cancelling_the_password_change_signs_out(qtbot: QtBot, clinic: Clinic) -> None:
    users = clinic.services.users
    users.reset_password(clinic.admin, users.account(clinic.admin, "reception"), "reset by admin")
    login = sign_in(qtbot, clinic, "reception", "reset by admin")

    def sign_out(modal: QWidget) -> None:
        assert isinstance(modal, ChangePasswordDialog)
        button = modal.findChild(QPushButton, "sign_out_button")
        assert button is not None and button.text() == "Sign out"
        button.click()

    when_modal(sign_out)
    login.try_sign_in()
    assert login.signed is None
    assert login.result() != LoginDialog.DialogCode.Accepted
    assert "signed out" in login.error.text()
    # Still due at the next sign-in.
    rex = clinic.services.clinic.login("reception", "reset by admin")
    try:
        clinic.services.patients.count(rex)
        raise AssertionError("the services let a password change be skipped")
    except PasswordChangeRequired:
        pass


def test_an_ordinary_sign_in_asks_nothing_more(qtbot: QtBot, clinic: Clinic) -> None:
    login = sign_in(qtbot, clinic, "clinician", PASSWORD)
    login.try_sign_in()  # no dialog: a modal here would block the test until its timeout
    assert login.signed is not None
    login.signed.services.close()


def test_taking_over_a_locked_window_asks_for_an_own_password_too(
    qtbot: QtBot, clinic: Clinic, idle_window: WindowFactory
) -> None:
    users = clinic.services.users
    users.reset_password(clinic.admin, users.account(clinic.admin, "reception"), "reset by admin")
    window = idle_window(clinic.clinician)
    wait_for_lock(qtbot, window)

    def sign_out(modal: QWidget) -> None:
        assert isinstance(modal, ChangePasswordDialog)
        modal.reject()

    when_modal(sign_out)
    sign_in_as(qtbot, window, "reception", "reset by admin")
    assert is_locked(window)
    assert window.user.username == "clinician"
    assert "Choose your own password" in window.idle_lock.screen.switch_error.text()

    def choose(modal: QWidget) -> None:
        assert isinstance(modal, ChangePasswordDialog)
        for key in ("new_password", "repeat_password"):
            editor = modal.fields[key].editor
            assert isinstance(editor, QLineEdit)
            editor.setText(OWN_PASSWORD)
        modal.accept_button.click()

    when_modal(choose)
    sign_in_as(qtbot, window, "reception", "reset by admin")
    assert not is_locked(window)
    assert window.user.username == "reception" and not window.user.must_change_password
