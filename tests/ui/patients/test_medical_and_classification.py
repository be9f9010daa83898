"""Medical history and classification tabs, driven as a clinician would."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from clinicdesk.domain.classification import HairLossScale
from clinicdesk.domain.medical import RedFlagCode
from clinicdesk.ui.widgets.dates import DateEdit
from tests.conftest import VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory, click_message_button, type_text, when_modal


def open_registered(clinic: Clinic, open_window: WindowFactory):  # type: ignore[no-untyped-def]
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    window = open_window(clinic.clinician)
    window.open_patient(patient.id)
    return window, patient.id


def test_medical_history_entered_in_the_tab_is_saved_and_shown_in_the_banner(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window, patient_id = open_registered(clinic, open_window)
    tab = window.medical
    window.tabs.setCurrentWidget(tab)
    tab.flag_boxes[RedFlagCode.ANTICOAGULANT].click()
    type_text(qtbot, tab.flag_notes[RedFlagCode.ANTICOAGULANT], "Apixaban 5 mg")
    tab.treatments.add_button.click()
    tab.treatments.set_cell(0, "drug", "finasteride")
    tab.treatments.set_cell(0, "dose", "1 mg daily")
    tab.treatments.set_cell(0, "started_on", "01/03/2022")
    tab.treatments.set_cell(0, "response", "partial")
    tab.allergies.add_button.click()
    tab.allergies.set_cell(0, "substance", "Chlorhexidine")
    tab.labs.add_button.click()
    tab.labs.set_cell(0, "test", "ferritin")
    tab.labs.set_cell(0, "value", "42")
    tab.labs.set_cell(0, "taken_on", "10/10/2026")
    assert window.has_unsaved_changes
    window.save_action.trigger()

    assert not window.has_unsaved_changes
    history = clinic.services.patients.medical_history(clinic.clinician, patient_id)
    assert [
        (t.drug.value, t.dose, t.started_on.isoformat() if t.started_on else None)
        for t in history.treatments
    ] == [("finasteride", "1 mg daily", "2022-03-01")]
    assert [a.substance for a in history.allergies] == ["Chlorhexidine"]
    assert [(lab.test.value, lab.value) for lab in history.labs] == [("ferritin", 42.0)]
    banner = window.header.banner_text()
    assert "Allergy: Chlorhexidine" in banner
    assert "Anticoagulant / antiplatelet: Apixaban 5 mg" in banner


def test_a_bad_lab_value_is_marked_in_its_cell_and_nothing_is_saved(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window, patient_id = open_registered(clinic, open_window)
    tab = window.medical
    tab.labs.add_button.click()
    tab.labs.set_cell(0, "test", "tsh")
    tab.labs.set_cell(0, "value", "lots")
    tab.labs.set_cell(0, "taken_on", "31/02/2026")
    tab.allergies.add_button.click()
    tab.allergies.set_cell(0, "substance", "Latex")
    window.save_action.trigger()

    assert window.tabs.currentWidget() is tab
    assert tab.labs.error_label.isVisible()
    message = tab.labs.error_label.text()
    assert "Row 1, Result: must be a number" in message
    assert "Row 1, Date taken: is not a real date" in message
    value_item = tab.labs.table.item(0, 1)
    assert value_item is not None and value_item.toolTip() == "must be a number"
    history = clinic.services.patients.medical_history(clinic.clinician, patient_id)
    assert history.labs == () and history.allergies == ()
    assert window.has_unsaved_changes


def test_removing_a_treatment_row_archives_it(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window, patient_id = open_registered(clinic, open_window)
    tab = window.medical
    for drug in ("prp", "transplant"):
        row = tab.treatments.add_row()
        tab.treatments.set_cell(row, "drug", drug)
    window.save_action.trigger()
    assert (
        len(clinic.services.patients.medical_history(clinic.clinician, patient_id).treatments) == 2
    )

    tab.treatments.table.selectRow(0)
    tab.treatments.remove_button.click()
    window.save_action.trigger()
    remaining = clinic.services.patients.medical_history(clinic.clinician, patient_id).treatments
    assert [t.drug.value for t in remaining] == ["transplant"]
    archived = clinic.services.db.execute(
        "SELECT count(*) FROM hair_treatments WHERE deleted_at IS NOT NULL"
    ).fetchone()[0]
    assert archived == 1


def test_classification_grades_follow_the_scale_and_an_entry_is_added(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window, patient_id = open_registered(clinic, open_window)
    tab = window.classification
    window.tabs.setCurrentWidget(tab)
    # A woman's record suggests the Ludwig scale first.
    assert tab.scale.currentData() == HairLossScale.LUDWIG.value
    assert [tab.grade.itemText(i) for i in range(tab.grade.count())] == ["I", "II", "III"]
    tab.scale.setCurrentIndex(tab.scale.findData(HairLossScale.SINCLAIR.value))
    assert tab.grade.count() == 5
    tab.grade.setCurrentText("3")
    date_edit = tab.assessed_on.editor
    assert isinstance(date_edit, QLineEdit)
    date_edit.setText("01/11/2026")
    tab.add_button.click()

    entries = clinic.services.patients.classifications(clinic.clinician, patient_id)
    assert [(e.scale, e.grade, e.assessed_on.isoformat()) for e in entries] == [
        (HairLossScale.SINCLAIR, "3", "2026-11-01")
    ]
    assert tab.table.rowCount() == 1
    assert [tab.table.item(0, c).text() for c in range(3)] == ["01/11/2026", "Sinclair", "3"]


def test_a_future_assessment_date_is_refused_at_the_date_field(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window, patient_id = open_registered(clinic, open_window)
    tab = window.classification
    date_edit = tab.assessed_on.editor
    assert isinstance(date_edit, QLineEdit)
    date_edit.setText("01/01/2099")
    tab.add_button.click()
    assert tab.assessed_on.error == "is in the future"
    assert clinic.services.patients.classifications(clinic.clinician, patient_id) == []


def test_removing_a_classification_asks_first(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window, patient_id = open_registered(clinic, open_window)
    clinic.services.patients.add_classification(
        clinic.clinician, patient_id, "ludwig", "II", "2026-01-05"
    )
    window.open_patient(patient_id)
    tab = window.classification
    tab.table.selectRow(0)
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Yes))
    tab.remove_button.click()
    assert "Ludwig II" in seen[0]
    assert clinic.services.patients.classifications(clinic.clinician, patient_id) == []
    assert tab.table.rowCount() == 0


def test_new_patient_has_the_clinical_tabs_disabled_until_saved(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.clinician)
    window.new_action.trigger()
    medical = window.tabs.indexOf(window.medical)
    assert not window.tabs.isTabEnabled(medical)
    assert window.tabs.tabToolTip(medical) == "Save the new patient first"


# The calendar is a popup: on the offscreen platform these two are what it cannot do.
@pytest.mark.qt_log_ignore(
    r"This plugin does not support raise\(\)",
    "This plugin does not support grabbing the keyboard",
)
def test_a_date_typed_in_a_history_cell_is_kept_as_typed_and_has_a_calendar(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window, patient_id = open_registered(clinic, open_window)
    tab = window.medical
    window.tabs.setCurrentWidget(tab)
    tab.treatments.add_button.click()
    tab.treatments.set_cell(0, "drug", "finasteride")
    column = [c.key for c in tab.treatments.columns].index("started_on")
    table = tab.treatments.table

    def edit_cell() -> DateEdit:
        item = table.item(0, column)
        assert item is not None
        table.setCurrentItem(item)
        table.editItem(item)
        [editor] = [e for e in table.findChildren(DateEdit, "cell_date") if e.isVisible()]
        return editor

    def commit(editor: DateEdit) -> None:
        qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next turn
        qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState)

    editor = edit_cell()  # the forms' date input, with its calendar button
    assert editor.calendar_action.isVisible()
    type_text(qtbot, editor, "31/02/2022")
    commit(editor)
    assert tab.treatments.cell_text(0, "started_on") == "31/02/2022"  # not corrected
    window.save_action.trigger()
    assert "Row 1, Started: is not a real date" in tab.treatments.error_label.text()

    editor = edit_cell()
    editor.calendar_action.trigger()
    calendar = editor.calendar
    assert calendar is not None and calendar.isVisible()
    assert table.state() == QAbstractItemView.State.EditingState  # still editing
    calendar.clicked.emit(QDate(2022, 2, 28))
    assert editor.text() == "28/02/2022"
    commit(editor)
    assert tab.treatments.cell_text(0, "started_on") == "28/02/2022"
    window.save_action.trigger()
    history = clinic.services.patients.medical_history(clinic.clinician, patient_id)
    assert [t.started_on for t in history.treatments] == [date(2022, 2, 28)]
