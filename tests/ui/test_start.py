"""First run, sign-in, the bug dialog and the patient list model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from clinicdesk.paths import Paths
from clinicdesk.services.context import open_clinic
from clinicdesk.storage import audit
from clinicdesk.ui import application
from clinicdesk.ui.errors import BugDialog, install_excepthook
from clinicdesk.ui.first_run import FirstRunDialog
from clinicdesk.ui.login import LoginDialog
from clinicdesk.ui.patient_list import PAGE_SIZE, PatientListModel
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic
from tests.ui.conftest import type_text, when_modal


def fill(qtbot: QtBot, dialog: FirstRunDialog, **values: str) -> None:
    for key, text in values.items():
        editor = dialog.fields[key].editor
        assert isinstance(editor, QLineEdit)
        editor.clear()
        type_text(qtbot, editor, text)


def test_first_run_creates_the_clinic_and_signs_the_admin_in(qtbot: QtBot, tmp_path: Path) -> None:
    services = open_clinic(Paths(tmp_path / "new"))
    try:
        dialog = FirstRunDialog(services)
        qtbot.addWidget(dialog)
        fill(
            qtbot,
            dialog,
            clinic_name="Harley Hair Clinic",
            main_site="London",
            satellite_site="Guildford",
            admin_username="pmanager",
            admin_display_name="Pat Manager",
            admin_password="long enough",
            confirm_password="long enough",
        )
        dialog.create_button.click()
        assert dialog.result() == FirstRunDialog.DialogCode.Accepted
        assert dialog.user is not None and dialog.user.username == "pmanager"
        assert services.clinic.clinic_name() == "Harley Hair Clinic"
        assert [s.name for s in services.clinic.sites()] == ["London", "Guildford"]
        assert services.clinic.login("pmanager", "long enough").role.value == "admin"
    finally:
        services.close()


def test_first_run_shows_each_problem_at_its_field(qtbot: QtBot, tmp_path: Path) -> None:
    services = open_clinic(Paths(tmp_path / "new"))
    try:
        dialog = FirstRunDialog(services)
        qtbot.addWidget(dialog)
        fill(qtbot, dialog, admin_password="short", confirm_password="different")
        dialog.create_button.click()
        assert dialog.fields["confirm_password"].error == "does not match the password"
        fill(qtbot, dialog, confirm_password="short", admin_username="bad name!")
        dialog.create_button.click()
        errors = {k: f.error for k, f in dialog.fields.items() if f.error}
        assert set(errors) == {"clinic_name", "main_site", "admin_username", "admin_password"}
        assert "at least 8" in errors["admin_password"]
        assert not services.clinic.is_initialised()
    finally:
        services.close()


def test_open_demo_clinic_then_sign_in_as_reception(qtbot: QtBot, tmp_path: Path) -> None:
    services = open_clinic(Paths(tmp_path / "demo"))
    try:
        dialog = FirstRunDialog(services)
        qtbot.addWidget(dialog)
        dialog.demo_button.click()
        assert not dialog.demo_button.isEnabled()  # the work runs in the background
        qtbot.waitUntil(lambda: dialog.demo_created, timeout=30_000)
        assert dialog.result() == FirstRunDialog.DialogCode.Accepted
        assert services.patients.count(services.clinic.user("admin")) == 40
        login = LoginDialog(services.clinic, "Demo clinic ready.")
        qtbot.addWidget(login)
        type_text(qtbot, login.username, "reception")
        type_text(qtbot, login.password, "demo")
        login.try_sign_in()
        assert login.user is not None and login.user.role.value == "reception"
    finally:
        services.close()


def test_wrong_password_is_refused_with_a_message_and_audited(qtbot: QtBot, clinic: Clinic) -> None:
    login = LoginDialog(clinic.services.clinic)
    qtbot.addWidget(login)
    type_text(qtbot, login.username, "clinician")
    type_text(qtbot, login.password, "wrong password")
    login.try_sign_in()
    assert login.user is None
    assert login.error.text() == "The user name or password is wrong. Try again."
    assert login.password.text() == ""
    actions = [e.action for e in audit.entries(clinic.services.db, entity="user")]
    assert actions[-1] == "login_failed"
    login.password.setText(PASSWORD)
    login.try_sign_in()
    assert login.user is not None and login.user.display_name == "Dr Cara Clinician"


def test_start_on_an_empty_folder_goes_through_first_run(qtbot: QtBot, tmp_path: Path) -> None:
    services = open_clinic(Paths(tmp_path / "empty"))
    try:

        def create(modal: object) -> None:
            assert isinstance(modal, FirstRunDialog)
            fill(
                qtbot,
                modal,
                clinic_name="C",
                main_site="Main",
                admin_username="boss",
                admin_password="password1",
                confirm_password="password1",
            )
            modal.create_button.click()

        when_modal(create)  # type: ignore[arg-type]
        user = application.sign_in(services)
        assert user is not None and user.username == "boss"
    finally:
        services.close()


def test_a_bug_shows_the_dialog_with_details_that_can_be_copied(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook()
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, BugDialog)]
    assert dialogs, "no bug dialog was shown"
    dialog = dialogs[-1]
    qtbot.addWidget(dialog)
    assert "RuntimeError" in dialog.message_label.text()
    assert not dialog.details.isVisible()
    dialog.details_button.click()
    assert dialog.details.isVisible()
    assert "boom in a slot" in dialog.details.toPlainText()
    dialog.copy_button.click()
    assert "boom in a slot" in QApplication.clipboard().text()


def test_patient_list_model_is_a_valid_model_and_fetches_lazily(
    qtbot: QtBot,
    qtmodeltester,
    clinic: Clinic,  # type: ignore[no-untyped-def]
) -> None:
    from datetime import date

    from clinicdesk.domain.patient import validate_patient
    from clinicdesk.storage.database import write_transaction
    from clinicdesk.storage.patients import PatientRepository

    repo = PatientRepository(clinic.services.db)
    with write_transaction(clinic.services.db):
        for i in range(PAGE_SIZE * 2 + 5):
            details = validate_patient(
                {**VALID_PATIENT, "last_name": f"Surname{i:04d}", "nhs_number": ""},
                today=date.today(),
            )
            repo.insert(details, clinic.admin.actor)
    model = PatientListModel(clinic.services.patients, clinic.reception)
    assert model.rowCount() == PAGE_SIZE
    assert model.canFetchMore()
    model.fetchMore()
    model.fetchMore()
    assert model.rowCount() == PAGE_SIZE * 2 + 5
    assert not model.canFetchMore()
    names = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    assert names == sorted(names)
    qtmodeltester.check(model, force_py=True)
    model.set_query("surname0007")
    assert model.rowCount() == 1


def test_a_database_from_a_newer_clinicdesk_is_refused_with_a_message(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.ui.conftest import click_message_button

    paths = Paths(tmp_path / "newer")
    services = open_clinic(paths)
    services.db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('clinicdesk', '9999_from_the_future', '2030-01-01')"
    )
    services.db.conn.commit()
    services.close()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Ok))
    assert application.run_gui(paths) == 2
    assert "newer version of ClinicDesk" in seen[0]


def test_a_damaged_database_during_work_shows_a_message_not_the_bug_dialog(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from PySide6.QtWidgets import QMessageBox

    from tests.ui.conftest import click_message_button

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook()
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Ok))
    try:
        raise sqlite3.DatabaseError("database disk image is malformed")
    except sqlite3.DatabaseError:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    assert "damaged" in seen[0] and "backup" in seen[0]
    assert not [
        w for w in QApplication.topLevelWidgets() if isinstance(w, BugDialog) and w.isVisible()
    ]
