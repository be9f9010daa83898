"""The bug dialog, database errors shown as messages, and the patient list model."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from clinicdesk.services.context import SignedIn
from clinicdesk.ui.patients.patient_list import PAGE_SIZE, PatientListModel
from clinicdesk.ui.shell.application import show_main_window
from clinicdesk.ui.shell.storage_banner import add_banner
from clinicdesk.ui.widgets.errors import BugDialog, install_excepthook
from tests.conftest import VALID_PATIENT, Clinic
from tests.ui.conftest import when_modal


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


def test_a_damaged_database_during_work_shows_a_message_not_the_bug_dialog(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from clinicdesk.storage.driver import sqlite3
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


def test_the_main_window_is_up_before_its_patient_count_and_backups_come(
    qtbot: QtBot, clinic: Clinic
) -> None:
    """What ``run_gui`` does after sign-in: the window up first; on the event loop's first turn
    the list's count ("1 patient") and the day's backups (which the window asks before it
    closes)."""
    clinic.services.patients.register(clinic.clinician, VALID_PATIENT)
    window, _layout = show_main_window(SignedIn(clinic.services, clinic.clinician), clinic.paths)
    qtbot.addWidget(window)
    assert window.isVisible()
    assert window.result_label.text() == "" and window.auto_backup is None
    qtbot.waitUntil(lambda: window.result_label.text() == "1 patient")
    qtbot.waitUntil(lambda: window.auto_backup is not None)
    assert window.auto_backup is not None and window.auto_backup.window is window


def test_a_tall_window_fills_its_patient_list_beyond_the_first_page(
    qtbot: QtBot, clinic: Clinic
) -> None:
    """The list reads a page at a time (``PAGE_SIZE``, a screenful on a usual screen): on a
    tall screen the view asks for more until it is full, without anyone scrolling."""
    from datetime import date

    from clinicdesk.domain.patient import validate_patient
    from clinicdesk.storage.database import write_transaction
    from clinicdesk.storage.patients import PatientRepository

    repo = PatientRepository(clinic.services.db)
    with write_transaction(clinic.services.db):
        for i in range(PAGE_SIZE * 3):
            details = validate_patient(
                {**VALID_PATIENT, "last_name": f"Surname{i:04d}", "nhs_number": ""},
                today=date.today(),
            )
            repo.insert(details, clinic.admin.actor)
    window, _layout = show_main_window(SignedIn(clinic.services, clinic.reception), clinic.paths)
    qtbot.addWidget(window)
    assert window.model.rowCount() == PAGE_SIZE
    # A screen taller than a page of rows (the test's screen is 800 pixels: the rows are made
    # thin instead, so that a page fills a third of the list).
    view = window.list_view
    rows = view.verticalHeader()
    rows.setMinimumSectionSize(1)
    rows.setDefaultSectionSize(max(1, view.viewport().height() // (PAGE_SIZE * 3)))
    qtbot.waitUntil(lambda: window.model.rowCount() > PAGE_SIZE)
    # Full: the list scrolls to the rest, or holds every patient.
    qtbot.waitUntil(
        lambda: view.verticalScrollBar().maximum() > 0 or not window.model.canFetchMore()
    )


def test_a_banner_that_comes_while_someone_types_leaves_the_focus_where_it_was(
    qtbot: QtBot, clinic: Clinic
) -> None:
    """The day's backups put their banner up a moment after the window: the search box keeps
    the keyboard, and what is typed next goes on into it."""
    window, _layout = show_main_window(SignedIn(clinic.services, clinic.admin), clinic.paths)
    qtbot.addWidget(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search_box)
    qtbot.keyClicks(window.search_box, "o'b")
    add_banner(window, "A banner", "test_banner", "")
    assert QApplication.focusWidget() is window.search_box
    qtbot.keyClicks(QApplication.focusWidget(), "rien")
    assert window.search_box.text() == "o'brien"
    qtbot.waitUntil(lambda: window.result_label.text() == "No patient matches.")


def test_work_the_window_put_off_is_dropped_once_the_clinic_is_closed(
    qtbot: QtBot, clinic: Clinic
) -> None:
    """A search typed, or the count line due, just before the clinic is closed under the
    window (signing out, quitting) is not run against a closed database."""
    window, _layout = show_main_window(SignedIn(clinic.services, clinic.admin), clinic.paths)
    qtbot.addWidget(window)
    qtbot.keyClicks(window.search_box, "o'b")
    clinic.services.close()
    try:
        window.run_search()  # the search timer's turn
        window._first_count()  # the count line's
        assert window.model.query == ""
    finally:
        clinic.services = clinic.reopen()
