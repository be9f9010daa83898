"""What a role may only read looks read-only (issue 11, item 10): an administrator sees the
medical history, classifications and clinical records (DESIGN.md: "view") with greyed,
read-only fields, no placeholder inviting typing, no calendar button and no edit buttons; a
clinician gets the same screens editable."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.ui.care.treatment_form import TreatmentForm
from clinicdesk.ui.shell.main_window import MainWindow
from clinicdesk.ui.widgets.dates import DateEdit
from clinicdesk.ui.widgets.styles import READ_ONLY_STYLE
from tests.conftest import Clinic
from tests.services.clinical_setup import eligible_patient, treatment_form
from tests.ui.conftest import WindowFactory


def opened(open_window: WindowFactory, clinic: Clinic, user: object) -> MainWindow:
    patient = eligible_patient(clinic)
    clinic.services.clinical.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    window = open_window(user)  # type: ignore[arg-type]
    window.open_patient(patient.id)
    return window


def medical_inputs(window: MainWindow) -> list[QLineEdit | QPlainTextEdit]:
    medical = window.medical
    return [
        *medical.flag_notes.values(),
        medical.age_at_onset.editor,  # type: ignore[list-item]
        *(f.editor for f in medical.texts.values()),  # type: ignore[misc]
    ]


def test_an_admin_sees_the_medical_history_and_classification_read_only(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = opened(open_window, clinic, clinic.admin)
    window.tabs.setCurrentWidget(window.medical)
    for editor in medical_inputs(window):
        assert editor.isReadOnly(), editor.objectName()
        assert editor.placeholderText() == "", editor.objectName()  # nothing invites typing
        assert editor.styleSheet() == READ_ONLY_STYLE, editor.objectName()
    medical = window.medical
    assert not any(box.isEnabled() for box in medical.flag_boxes.values())
    for table in (medical.treatments, medical.allergies, medical.medications, medical.labs):
        assert not table.add_button.isVisible() and not table.remove_button.isVisible()
    window.tabs.setCurrentWidget(window.classification)
    assert not window.classification.add_box.isVisible()
    assert not window.classification.add_button.isVisible()


def test_a_clinician_gets_the_same_medical_history_editable(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = opened(open_window, clinic, clinic.clinician)
    window.tabs.setCurrentWidget(window.medical)
    for editor in medical_inputs(window):
        assert not editor.isReadOnly(), editor.objectName()
        assert editor.styleSheet() != READ_ONLY_STYLE
    assert all(note.placeholderText() for note in window.medical.flag_notes.values())
    assert window.medical.treatments.add_button.isVisible()
    window.tabs.setCurrentWidget(window.classification)
    assert window.classification.add_box.isVisible()


def test_an_admin_reads_a_treatment_with_no_editable_looking_field(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = opened(open_window, clinic, clinic.admin)
    tab = window.timeline
    window.tabs.setCurrentWidget(tab)
    row = next(
        r for r in range(tab.model.rowCount()) if tab.model.index(r, 1).data() == "Treatment"
    )
    tab.open_row(row)
    form = tab.form
    assert isinstance(form, TreatmentForm) and form.read_only
    qtbot.waitExposed(form)
    texts = [
        w
        for w in form.findChildren(QWidget)
        if isinstance(w, (QLineEdit, QPlainTextEdit)) and w.isVisible() and w.objectName()
    ]
    assert texts
    for editor in texts:
        assert editor.isReadOnly(), editor.objectName()
        assert editor.placeholderText() == "", editor.objectName()
        assert editor.styleSheet() == READ_ONLY_STYLE, editor.objectName()
        if isinstance(editor, DateEdit):
            assert not editor.calendar_action.isVisible()
    assert form.save_button is None
    form.reject()
