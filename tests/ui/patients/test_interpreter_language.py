"""Demographics: "Interpreter (language)" is typed, saved and shown again (issue 15 item 3).
Reception may record it: it is demographics, not clinical."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import Clinic
from tests.ui.conftest import WindowFactory
from tests.ui.shell.test_main_window import register, type_into


def language_editor(window: MainWindow) -> QLineEdit:
    editor = window.demographics.editor("interpreter_language")
    assert isinstance(editor, QLineEdit)
    return editor


def test_reception_types_the_interpreter_language_saves_and_sees_it_on_reopening(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient_id = register(clinic)
    window = open_window(clinic.reception)
    window.open_patient(patient_id)
    editor = language_editor(window)
    assert editor.text() == "" and editor.placeholderText() == "none needed"
    assert not editor.isReadOnly()

    type_into(qtbot, window, "interpreter_language", "  British Sign Language ")
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.demographics.errors_shown() == {}
    stored = clinic.services.patients.get(clinic.clinician, patient_id)
    assert stored.details.interpreter_language == "British Sign Language"

    # Another record, then back: the field is filled from what was saved.
    other = register(clinic, first_name="Tomasz", nhs_number="")
    window.open_patient(other)
    assert language_editor(window).text() == ""
    window.open_patient(patient_id)
    assert language_editor(window).text() == "British Sign Language"


def test_a_too_long_language_is_named_at_its_field_and_nothing_is_saved(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient_id = register(clinic)
    window = open_window(clinic.reception)
    window.open_patient(patient_id)
    type_into(qtbot, window, "interpreter_language", "Polish " * 12)
    type_into(qtbot, window, "phone", "07700 900456")
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    errors = window.demographics.errors_shown()
    assert list(errors) == ["interpreter_language"]
    assert "too long" in errors["interpreter_language"]
    stored = clinic.services.patients.get(clinic.clinician, patient_id)
    assert stored.details.interpreter_language == ""
    # Whatever else was typed is still on screen to save once the language is shortened.
    assert window.demographics.raw()["phone"] == "07700 900456"
