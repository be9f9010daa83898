"""An NHS number another patient already has: the dialog says who, opens their record by
default, keeps the typed form on Cancel, and goes ahead only with a written reason (audited)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.storage import audit
from clinicdesk.ui.patients.duplicate_patient import DuplicatePatientDialog
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory, type_text, when_modal
from tests.ui.shell.test_main_window import type_into

SCREENSHOT = "/tmp/dup_nhs_dialog.png"


def fill_same_nhs_number(qtbot: QtBot, window: MainWindow) -> None:
    window.new_action.trigger()
    type_into(qtbot, window, "first_name", "Shiv")
    type_into(qtbot, window, "last_name", "OBrien")
    type_into(qtbot, window, "date_of_birth", "04/07/1985")
    type_into(qtbot, window, "sex", "Female")
    type_into(qtbot, window, "nhs_number", "943 476 5919")


def on_dialog(handle: Callable[[DuplicatePatientDialog], None]) -> list[str]:
    """Run ``handle`` on the duplicate dialog when it opens; returns what it said."""
    said: list[str] = []

    def check(modal: QWidget) -> None:
        assert isinstance(modal, DuplicatePatientDialog), f"expected the dialog, got {modal!r}"
        said.append(modal.summary.text())
        handle(modal)

    when_modal(check)
    return said


def typed(window: MainWindow, field: str) -> str:
    editor = window.demographics.editor(field)
    assert isinstance(editor, QLineEdit)
    return editor.text()


def test_the_dialog_names_who_has_the_number_and_cancel_keeps_the_form(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    window = open_window(clinic.reception)
    fill_same_nhs_number(qtbot, window)
    buttons: list[str] = []

    def cancel(dialog: DuplicatePatientDialog) -> None:
        buttons.extend(b.text() for b in dialog.findChildren(QPushButton) if b.isVisible())
        assert dialog.open_button is not None and dialog.open_button.isDefault()
        dialog.grab().save(SCREENSHOT)
        dialog.cancel_button.click()

    said = on_dialog(cancel)
    assert window.save() is False
    assert "943 476 5919" in said[0]
    assert "Siobhán O'Brien, born 03/07/1985" in said[0]
    assert buttons == ["Open the existing record", "Register anyway…", "Cancel"]
    # Back to the form as typed, still a new unsaved patient.
    assert window.creating and window.patient is None
    assert (typed(window, "first_name"), typed(window, "nhs_number")) == ("Shiv", "943 476 5919")
    assert clinic.services.patients.count(clinic.admin) == 1


def test_enter_opens_the_existing_record(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    existing = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    window = open_window(clinic.reception)
    fill_same_nhs_number(qtbot, window)
    on_dialog(lambda dialog: qtbot.keyClick(dialog, Qt.Key.Key_Return))
    assert window.save() is True
    assert window.patient is not None and window.patient.id == existing.id
    assert not window.creating and not window.has_unsaved_changes
    assert clinic.services.patients.count(clinic.admin) == 1


def test_register_anyway_needs_a_written_reason_which_is_audited(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    existing = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    window = open_window(clinic.reception)
    fill_same_nhs_number(qtbot, window)
    reason = "Twin; the GP letter shows the same number"
    seen: list[tuple[bool, str]] = []

    def go_ahead(dialog: DuplicatePatientDialog) -> None:
        dialog.go_ahead_button.click()  # asks for the reason
        assert dialog.reason.isVisible() and dialog.isVisible()
        dialog.go_ahead_button.click()  # no reason: refused at the field
        seen.append((dialog.isVisible(), dialog.reason_field.error))
        type_text(qtbot, dialog.reason, "  twin   ")  # 4 characters once trimmed
        dialog.go_ahead_button.click()
        seen.append((dialog.isVisible(), dialog.reason_field.error))
        dialog.grab().save(SCREENSHOT.replace(".png", "_reason.png"))
        dialog.reason.clear()
        type_text(qtbot, dialog.reason, reason)
        dialog.go_ahead_button.click()

    on_dialog(go_ahead)
    before = audit.count(clinic.services.db)
    assert window.save() is True
    assert seen == [
        (True, "Write at least 10 characters saying why (0 so far)."),
        (True, "Write at least 10 characters saying why (4 so far)."),
    ]
    assert window.patient is not None and window.patient.details.first_name == "Shiv"
    assert clinic.services.patients.count(clinic.admin) == 2
    created = [e for e in audit.entries(clinic.services.db)[before:] if e.action == "create"]
    assert [(e.entity_id, e.detail) for e in created] == [
        (
            window.patient.id,
            {"nhs_number_shared_with": [existing.id], "duplicate_reason": reason},
        )
    ]


def test_editing_the_nhs_number_to_another_patients_asks_the_same(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    other = clinic.services.patients.register(
        clinic.clinician, VALID_PATIENT | {"first_name": "Shiv", "nhs_number": ""}
    )
    window = open_window(clinic.reception)
    window.open_patient(other.id)
    type_into(qtbot, window, "nhs_number", "943 476 5919")
    buttons: list[str] = []

    def cancel(dialog: DuplicatePatientDialog) -> None:
        buttons.extend(b.text() for b in dialog.findChildren(QPushButton) if b.isVisible())
        assert dialog.cancel_button.isDefault()
        dialog.cancel_button.click()

    said = on_dialog(cancel)
    assert window.save() is False
    assert "Siobhán O'Brien, born 03/07/1985" in said[0]
    assert buttons == ["Save anyway…", "Cancel"]  # opening the other record would drop the edit
    assert window.has_unsaved_changes and typed(window, "nhs_number") == "943 476 5919"
    assert clinic.services.patients.get(clinic.admin, other.id).details.nhs_number == ""

    def save_anyway(dialog: DuplicatePatientDialog) -> None:
        dialog.go_ahead_button.click()
        type_text(qtbot, dialog.reason, "Shared on the referral; PDS query sent")
        dialog.go_ahead_button.click()

    on_dialog(save_anyway)
    assert window.save() is True
    saved = clinic.services.patients.get(clinic.admin, other.id)
    assert saved.details.nhs_number == "9434765919"
