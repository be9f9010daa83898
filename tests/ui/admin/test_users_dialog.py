"""Admin > Users and File > Change my password, driven as a person would drive them."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QMessageBox, QPushButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from clinicdesk.domain.roles import Role
from clinicdesk.errors import AuthenticationFailed
from clinicdesk.services.users import NewUser
from clinicdesk.ui.admin.account_form import FormDialog
from clinicdesk.ui.admin.users_dialog import HEADERS, UsersDialog
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import PASSWORD, Clinic
from tests.ui.conftest import WindowFactory, click_message_button, type_text, when_modal

NEW_PASSWORD = "plenty long enough"


def visible_menus(window: MainWindow) -> list[str]:
    return [a.text() for a in window.menuBar().actions() if a.isVisible()]


def open_users(qtbot: QtBot, window: MainWindow) -> UsersDialog:
    window.users_action.trigger()
    dialog = window.users_dialog
    qtbot.waitExposed(dialog)
    return dialog


def table_rows(dialog: UsersDialog) -> list[list[str]]:
    model = dialog.model
    return [
        [model.data(model.index(row, column)) for column in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


def click(qtbot: QtBot, button: QPushButton) -> None:
    assert button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def fill(qtbot: QtBot, form: FormDialog, **values: str) -> None:
    for key, text in values.items():
        editor = form.fields[key].editor
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findText(text))
            continue
        assert isinstance(editor, QLineEdit)
        editor.selectAll()
        type_text(qtbot, editor, text)


def current_form(qtbot: QtBot, dialog: UsersDialog) -> FormDialog:
    form = dialog.form
    assert form is not None
    qtbot.waitExposed(form)
    return form


def test_only_admins_see_the_admin_menu(clinic: Clinic, open_window: WindowFactory) -> None:
    assert visible_menus(open_window(clinic.admin)) == ["&File", "&Clinic", "&Admin", "&Help"]
    for user in (clinic.clinician, clinic.reception):
        window = open_window(user)
        assert visible_menus(window) == ["&File", "&Clinic", "&Help"]
        assert not window.users_action.isVisible()
        # Everyone may change their own password.
        assert window.change_password_action.isVisible()


def test_the_admin_menu_follows_the_user_who_takes_the_window_over(
    clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.admin)
    window.switch_user(clinic.reception)
    assert visible_menus(window) == ["&File", "&Clinic", "&Help"]
    window.switch_user(clinic.admin)
    assert visible_menus(window) == ["&File", "&Clinic", "&Admin", "&Help"]


def test_the_users_table_lists_every_account(
    qtbot: QtBot, qtmodeltester: ModelTester, clinic: Clinic, open_window: WindowFactory
) -> None:
    dialog = open_users(qtbot, open_window(clinic.admin))
    qtmodeltester.check(dialog.model)
    assert table_rows(dialog) == [
        ["admin", "Ada Admin (you)", "Admin", "", "Active", "Never"],
        ["clinician", "Dr Cara Clinician", "Clinician", "GMC 1234567", "Active", "Never"],
        ["reception", "Rex Reception", "Reception", "", "Active", "Never"],
    ]
    # Your own account: the buttons the service would refuse are off, and say why.
    dialog.select_user("admin")
    for button in (dialog.role_button, dialog.active_button, dialog.reset_button):
        assert not button.isEnabled()
        assert button.toolTip()
    dialog.select_user("reception")
    assert dialog.reset_button.isEnabled()
    dialog.reject()


def test_an_admin_creates_a_user_by_filling_in_the_form(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    dialog = open_users(qtbot, open_window(clinic.admin))
    click(qtbot, dialog.new_button)
    form = current_form(qtbot, dialog)
    fill(
        qtbot,
        form,
        username="n.nurse",
        display_name="Nia Nurse",
        role="Clinician",
        password=NEW_PASSWORD,
        repeat_password=NEW_PASSWORD + "x",
    )
    click(qtbot, form.accept_button)
    # Mistakes are shown at their fields; the form stays open.
    assert form.isVisible()
    assert form.fields["repeat_password"].error == "does not match the password above"
    fill(qtbot, form, repeat_password=NEW_PASSWORD)
    click(qtbot, form.accept_button)
    assert form.isVisible()
    assert "required for clinicians" in form.fields["registration_number"].error
    assert form.fields["repeat_password"].error == ""

    fill(qtbot, form, registration_number="NMC 12A3456B")
    click(qtbot, form.accept_button)
    assert dialog.form is None  # closed
    assert [
        "n.nurse",
        "Nia Nurse",
        "Clinician",
        "NMC 12A3456B",
        "Active, must choose a password",
        "Never",
    ] in table_rows(dialog)
    assert dialog.selected() is not None and dialog.selected().username == "n.nurse"
    assert clinic.services.clinic.login("n.nurse", NEW_PASSWORD).role is Role.CLINICIAN
    dialog.reject()


def test_the_users_table_shows_when_each_account_last_signed_in(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    clinic.services.clinic.login("reception", PASSWORD)
    stamp = clinic.services.users.account(clinic.admin, "reception").last_sign_in
    assert stamp is not None
    dialog = open_users(qtbot, open_window(clinic.admin))
    column = HEADERS.index("Last sign-in")
    rows = {row[0]: row[column] for row in table_rows(dialog)}
    when = datetime.fromisoformat(stamp).astimezone()
    assert rows == {
        "admin": "Never",
        "clinician": "Never",
        "reception": when.strftime("%d/%m/%Y %H:%M"),
    }
    dialog.reject()


def test_a_taken_user_name_is_shown_at_the_field(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    dialog = open_users(qtbot, open_window(clinic.admin))
    click(qtbot, dialog.new_button)
    form = current_form(qtbot, dialog)
    fill(qtbot, form, username="Reception", password="short", repeat_password="short")
    click(qtbot, form.accept_button)
    assert form.fields["username"].error.startswith("is already taken")
    assert form.fields["password"].error == "must be at least 8 characters"
    form.reject()
    assert len(table_rows(dialog)) == 3
    dialog.reject()


def test_an_admin_resets_a_forgotten_password(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    dialog = open_users(qtbot, open_window(clinic.admin))
    dialog.select_user("clinician")
    click(qtbot, dialog.reset_button)
    form = current_form(qtbot, dialog)
    assert "Dr Cara Clinician (clinician)" in form.findChild(QLabel, "form_intro").text()
    fill(qtbot, form, password=NEW_PASSWORD, repeat_password=NEW_PASSWORD)
    click(qtbot, form.accept_button)
    assert dialog.form is None  # closed
    try:
        clinic.services.clinic.login("clinician", PASSWORD)
        raise AssertionError("the old password still works")
    except AuthenticationFailed:
        pass
    assert clinic.services.clinic.login("clinician", NEW_PASSWORD).id == clinic.clinician.id
    dialog.reject()


def test_an_admin_disables_and_enables_a_user(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    dialog = open_users(qtbot, open_window(clinic.admin))
    dialog.select_user("reception")
    assert dialog.active_button.text() == "Disable"
    asked = when_modal(click_message_button(QMessageBox.StandardButton.Yes))
    click(qtbot, dialog.active_button)
    assert asked and "Disable Rex Reception (reception)?" in asked[0]
    assert table_rows(dialog)[2][:5] == ["reception", "Rex Reception", "Reception", "", "Disabled"]
    assert dialog.active_button.text() == "Enable"
    try:
        clinic.services.clinic.login("reception", PASSWORD)
        raise AssertionError("a disabled account signed in")
    except AuthenticationFailed:
        pass

    told = when_modal(click_message_button(QMessageBox.StandardButton.Ok))
    click(qtbot, dialog.active_button)
    assert told and "once you reset their password" in told[0]
    assert table_rows(dialog)[2][4] == "Active"
    assert clinic.services.clinic.login("reception", PASSWORD).id == clinic.reception.id
    dialog.reject()


def test_an_admin_changes_a_role(qtbot: QtBot, clinic: Clinic, open_window: WindowFactory) -> None:
    dialog = open_users(qtbot, open_window(clinic.admin))
    dialog.select_user("reception")
    click(qtbot, dialog.role_button)
    form = current_form(qtbot, dialog)
    fill(qtbot, form, role="Admin")
    assert "Administrator" in form.findChild(QLabel, "role_help").text()
    click(qtbot, form.accept_button)
    assert dialog.form is None  # closed
    assert table_rows(dialog)[2][2] == "Admin"
    dialog.reject()


def test_a_change_made_elsewhere_is_shown_not_overwritten(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    dialog = open_users(qtbot, open_window(clinic.admin))
    dialog.select_user("reception")
    click(qtbot, dialog.role_button)
    form = current_form(qtbot, dialog)
    # Meanwhile another administrator, at another desk, adds a user and changes this one.
    users = clinic.services.users
    users.create_user(clinic.admin, NewUser("zed", "Zed", Role.RECEPTION, PASSWORD))
    users.change_role(clinic.admin, users.account(clinic.admin, "reception"), Role.ADMIN)
    fill(qtbot, form, role="Clinician", registration_number="GMC 7654321")
    click(qtbot, form.accept_button)
    assert "changed by someone else" in form.problem.text()
    assert form.problem.isVisible()
    form.reject()
    assert [row[0] for row in table_rows(dialog)] == ["admin", "clinician", "reception", "zed"]
    assert table_rows(dialog)[2][2:5] == ["Admin", "", "Active"]
    assert dialog.selected() is not None and dialog.selected().username == "reception"
    dialog.reject()


def test_everyone_changes_their_own_password(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.reception)
    window.change_password_action.trigger()
    form = window.change_password_dialog
    qtbot.waitExposed(form)
    fill(
        qtbot,
        form,
        old_password="not it",
        new_password=NEW_PASSWORD,
        repeat_password=NEW_PASSWORD,
    )
    click(qtbot, form.accept_button)
    assert form.fields["old_password"].error == "is not your current password"
    assert form.isVisible()

    fill(qtbot, form, old_password=PASSWORD)
    click(qtbot, form.accept_button)
    assert not form.isVisible()
    assert window.statusBar().currentMessage() == "Your password was changed."
    assert clinic.services.clinic.login("reception", NEW_PASSWORD).id == clinic.reception.id


def test_guessing_the_current_password_meets_the_sign_in_wait(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.clinician)
    window.change_password_action.trigger()
    form = window.change_password_dialog
    fill(qtbot, form, new_password=NEW_PASSWORD, repeat_password=NEW_PASSWORD)
    for guess in ("guess 1", "guess 2", "guess 3", "guess 4", "guess 5", PASSWORD):
        fill(qtbot, form, old_password=guess)
        click(qtbot, form.accept_button)
    assert form.isVisible()
    assert form.problem.text().startswith("Too many failed sign-ins for clinician.")
    assert form.fields["old_password"].error == ""


def test_opening_users_again_shows_a_fresh_list(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.admin)
    first = open_users(qtbot, window)
    first.reject()
    clinic.services.users.create_user(
        clinic.admin, NewUser("later", "Lee Later", Role.RECEPTION, PASSWORD)
    )
    second = open_users(qtbot, window)
    assert second is not first
    assert "later" in [row[0] for row in table_rows(second)]
    second.reject()
