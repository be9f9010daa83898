"""The GUI never loses or silently changes what a clinician typed (issue 11, items 3-6).

- Escape, Cancel and the window's close button ask before a form's typed work is thrown away
  (Keep editing is the default); an unchanged form closes at once.
- The mouse wheel over a combo box, spin box or date field without the focus changes nothing
  (it scrolls the form); with the focus it still works.
- A typed date is kept exactly as typed or refused with a message at the field; two-digit
  years are refused; every date field has a calendar pop-up.
- An empty consultation, treatment, adverse event or assessment is refused with messages at
  the required fields; no discussion date is assumed, so nothing starts a cooling-off period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from PySide6.QtCore import QDate, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from clinicdesk.domain.photos import View
from clinicdesk.ui.admin.clinic_details import ClinicDetailsDialog
from clinicdesk.ui.admin.users_dialog import NewUserDialog
from clinicdesk.ui.care.adverse_event_form import AdverseEventForm
from clinicdesk.ui.care.clinical_forms import ClinicalForm
from clinicdesk.ui.care.consultation_form import ConsultationForm
from clinicdesk.ui.care.treatment_form import TreatmentForm
from clinicdesk.ui.documents.sign_consent import SignConsentDialog
from clinicdesk.ui.documents.withdraw_consent import WithdrawConsentDialog
from clinicdesk.ui.measurements.assessments import AssessmentDialog
from clinicdesk.ui.photos.details import PhotoDetailsDialog
from clinicdesk.ui.photos.importing import ImportOptionsDialog
from clinicdesk.ui.shell.main_window import MainWindow
from clinicdesk.ui.widgets.dates import DateEdit
from clinicdesk.ui.widgets.guarded_dialog import DISCARD_TEXT, GuardedDialog
from tests.conftest import VALID_PATIENT, Clinic
from tests.services.clinical_setup import eligible_patient, treatment_form
from tests.ui.conftest import WindowFactory, click_message_button, type_text, when_modal
from tests.ui.gallery_setup import import_plan

KEEP_EDITING = QMessageBox.StandardButton.Cancel  # the question's "Keep editing" button
DISCARD = QMessageBox.StandardButton.Discard

FormMaker = Callable[[Clinic, WindowFactory], QDialog]


# -- opening each form ----------------------------------------------------------------------------


def _timeline(clinic: Clinic, open_window: WindowFactory, treated: bool = False) -> MainWindow:
    patient = eligible_patient(clinic)
    if treated:
        clinic.services.clinical.record_treatment(
            clinic.clinician, patient.id, treatment_form(clinic)
        )
    window = open_window(clinic.clinician)
    window.open_patient(patient.id)
    window.tabs.setCurrentWidget(window.timeline)
    return window


def new_consultation(clinic: Clinic, open_window: WindowFactory) -> QDialog:
    window = _timeline(clinic, open_window)
    window.timeline.new_consultation()
    assert window.timeline.form is not None
    return window.timeline.form


def new_treatment(clinic: Clinic, open_window: WindowFactory) -> QDialog:
    window = _timeline(clinic, open_window)
    window.timeline.record_treatment()
    assert window.timeline.form is not None
    return window.timeline.form


def saved_treatment(clinic: Clinic, open_window: WindowFactory) -> QDialog:
    window = _timeline(clinic, open_window, treated=True)
    tab = window.timeline
    row = next(
        r
        for r in range(tab.model.rowCount())
        if tab.model.index(r, 1).data() == "Treatment"  # the micrograft session itself
    )
    tab.open_row(row)
    assert isinstance(tab.form, TreatmentForm)
    return tab.form


def new_adverse_event(clinic: Clinic, open_window: WindowFactory) -> QDialog:
    window = _timeline(clinic, open_window, treated=True)
    window.timeline.new_adverse_event()
    assert window.timeline.form is not None
    return window.timeline.form


def new_assessment(clinic: Clinic, open_window: WindowFactory) -> QDialog:
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    window = open_window(clinic.clinician)
    window.open_patient(patient.id)
    window.tabs.setCurrentWidget(window.measurements)
    window.measurements.new_button.click()
    assert window.measurements.dialog is not None
    return window.measurements.dialog


def photo_details(clinic: Clinic, open_window: WindowFactory) -> QDialog:
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    folder = clinic.paths.data_dir.parent / "photos-in"
    folder.mkdir(exist_ok=True)
    [photo] = import_plan(
        clinic, patient.id, folder, {clinic.services.patients.today(): [View.FRONTAL]}
    )
    window = open_window(clinic.clinician)
    dialog = PhotoDetailsDialog(clinic.services.photos, clinic.clinician, photo, window)
    dialog.open()
    return dialog


def clinic_details(clinic: Clinic, open_window: WindowFactory) -> QDialog:
    window = open_window(clinic.admin)
    dialog = ClinicDetailsDialog(
        clinic.services.clinic_details, clinic.services.clinic, clinic.admin, window
    )
    dialog.open()
    return dialog


def new_user(clinic: Clinic, open_window: WindowFactory) -> QDialog:
    window = open_window(clinic.admin)
    dialog = NewUserDialog(clinic.services.users, clinic.admin, window)
    dialog.open()
    return dialog


def import_options(clinic: Clinic, open_window: WindowFactory) -> QDialog:
    window = open_window(clinic.clinician)
    dialog = ImportOptionsDialog(3, clinic.services.patients.today(), window)
    dialog.open()
    return dialog


CLINICAL_FORMS: dict[str, FormMaker] = {
    "new consultation": new_consultation,
    "new treatment": new_treatment,
    "saved treatment": saved_treatment,
    "new adverse event": new_adverse_event,
    "new assessment": new_assessment,
}
OTHER_FORMS: dict[str, FormMaker] = {
    "photo details": photo_details,
    "clinic details": clinic_details,
    "new user": new_user,
    "import photos": import_options,
}
ALL_FORMS = CLINICAL_FORMS | OTHER_FORMS


def shown(qtbot: QtBot, dialog: QDialog) -> QDialog:
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def first_text_input(dialog: QDialog) -> QWidget:
    """The first free-text input of the form (a note where there is one)."""
    notes = [w for w in dialog.findChildren(QPlainTextEdit) if not w.isReadOnly()]
    if notes:
        return notes[0]
    lines = [
        w
        for w in dialog.findChildren(QLineEdit)
        if w.isVisible()
        and not w.isReadOnly()
        and not isinstance(w, DateEdit)
        and not isinstance(w.parentWidget(), (QComboBox, QAbstractSpinBox))
    ]
    return lines[0] if lines else dialog.findChildren(DateEdit)[0]


def typed_text(editor: QWidget) -> str:
    if isinstance(editor, QPlainTextEdit):
        return editor.toPlainText()
    assert isinstance(editor, QLineEdit)
    return editor.text()


# -- item 3: typed work is never thrown away without asking --------------------------------------


@pytest.mark.parametrize("make", list(ALL_FORMS.values()), ids=list(ALL_FORMS))
def test_escape_and_the_close_button_ask_before_typed_work_is_discarded(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, make: FormMaker
) -> None:
    dialog = shown(qtbot, make(clinic, open_window))
    editor = first_text_input(dialog)
    editor.setFocus()
    if isinstance(editor, DateEdit):
        editor.clear()
    type_text(qtbot, editor, "12/01/2024" if isinstance(editor, DateEdit) else "Typed note")
    before = typed_text(editor)

    # Escape: the question; Keep editing keeps the form and the text.
    asked = when_modal(click_message_button(KEEP_EDITING))
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert asked == [DISCARD_TEXT]
    assert dialog.isVisible() and typed_text(editor) == before

    # The window's close button: the same question.
    asked = when_modal(click_message_button(KEEP_EDITING))
    dialog.close()
    assert asked == [DISCARD_TEXT]
    assert dialog.isVisible() and typed_text(editor) == before

    # Discard closes it.
    asked = when_modal(click_message_button(DISCARD))
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert asked == [DISCARD_TEXT]
    assert not dialog.isVisible()


def test_the_discard_question_defaults_to_keep_editing(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    dialog = shown(qtbot, new_consultation(clinic, open_window))
    assert isinstance(dialog, ConsultationForm)
    type_text(qtbot, dialog.editor("presenting_complaint"), "Thinning for 2 years")
    seen: list[tuple[str, str]] = []

    def press_enter(modal: QWidget) -> None:
        assert isinstance(modal, QMessageBox)
        default = modal.defaultButton()
        seen.append((modal.windowTitle(), default.text()))
        qtbot.keyClick(modal, Qt.Key.Key_Return)

    when_modal(press_enter)
    dialog.cancel()  # the Cancel button
    assert seen == [("Unsaved changes", "&Keep editing")]
    assert dialog.isVisible()
    assert dialog.raw()["presenting_complaint"] == "Thinning for 2 years"


@pytest.mark.parametrize("make", list(ALL_FORMS.values()), ids=list(ALL_FORMS))
def test_an_unchanged_form_closes_at_once(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, make: FormMaker
) -> None:
    dialog = shown(qtbot, make(clinic, open_window))
    asked = when_modal(click_message_button(DISCARD), timeout_ms=200)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    qtbot.wait(250)
    assert asked == []


def test_every_form_dialog_that_holds_typed_work_is_guarded() -> None:
    for form in (
        ConsultationForm,
        TreatmentForm,
        AdverseEventForm,
        AssessmentDialog,
        SignConsentDialog,
        WithdrawConsentDialog,
        PhotoDetailsDialog,
        ClinicDetailsDialog,
        NewUserDialog,
        ImportOptionsDialog,
    ):
        assert issubclass(form, GuardedDialog), form


# -- item 4: the mouse wheel -----------------------------------------------------------------------


def wheel(widget: QWidget, steps: int = -1) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def value_of(widget: QWidget) -> str:
    if isinstance(widget, QComboBox):
        return f"{widget.currentIndex()}:{widget.currentText()}"
    assert isinstance(widget, QAbstractSpinBox)
    return widget.text()


def wheel_targets(root: QWidget) -> list[QWidget]:
    return [
        w
        for w in root.findChildren(QWidget)
        if isinstance(w, (QComboBox, QAbstractSpinBox)) and w.isVisible() and w.isEnabled()
    ]


WHEEL_FORMS = CLINICAL_FORMS | {
    "photo details": photo_details,
    "clinic details": clinic_details,
    "import photos": import_options,
}


@pytest.mark.parametrize("make", list(WHEEL_FORMS.values()), ids=list(WHEEL_FORMS))
def test_the_wheel_changes_no_field_without_focus_but_does_with_focus(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, make: FormMaker
) -> None:
    dialog = shown(qtbot, make(clinic, open_window))
    targets = wheel_targets(dialog)
    assert targets, "the form has combo boxes or spin boxes"
    anchor = first_text_input(dialog)
    anchor.setFocus()
    assert QApplication.focusWidget() is anchor
    for widget in targets:
        for steps in (-1, 1):
            before = value_of(widget)
            wheel(widget, steps)
            assert value_of(widget) == before, widget.objectName()
    # With the focus the wheel still works (for a field where it can move).
    movable = [w for w in targets if not isinstance(w, QComboBox) or w.count() > 1]
    assert movable
    widget = movable[0]
    widget.setFocus()
    assert QApplication.focusWidget() in (widget, *widget.findChildren(QWidget))
    before = value_of(widget)
    wheel(widget, -1)
    if value_of(widget) == before:
        wheel(widget, 1)
    assert value_of(widget) != before, widget.objectName()


# -- item 5: dates are taken as typed or refused -------------------------------------------------


def a_date_after_today() -> str:
    """13/08 of a year to come: the day (13) later than today's day in most months."""
    return f"13/08/{date.today().year + 1}"


# The calendar is a popup: on the offscreen platform these two are what it cannot do.
@pytest.mark.qt_log_ignore(
    r"This plugin does not support raise\(\)",
    "This plugin does not support grabbing the keyboard",
)
@pytest.mark.parametrize("make", list(ALL_FORMS.values()), ids=list(ALL_FORMS))
def test_every_date_field_keeps_what_was_typed_and_has_a_calendar(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, make: FormMaker
) -> None:
    dialog = shown(qtbot, make(clinic, open_window))
    assert dialog.findChildren(QDateTimeEdit) == []  # no sectioned date edit that fixes up
    fields = [w for w in dialog.findChildren(DateEdit) if not w.isReadOnly()]
    if make in (new_user, clinic_details):  # no dates on these forms
        assert fields == []
        return
    assert fields
    for field in fields:
        typed = a_date_after_today() + (" 10:30" if field.with_time else "")
        field.clear()
        type_text(qtbot, field, typed)
        field.clearFocus()
        assert field.text() == typed
        # The calendar pop-up: opens on the typed date; picking a day writes it in.
        field.calendar_action.trigger()
        calendar = field.calendar
        assert calendar is not None and calendar.isVisible()
        assert calendar.selectedDate() == QDate(date.today().year + 1, 8, 13)
        calendar.clicked.emit(QDate(2024, 2, 29))
        assert field.text() == "29/02/2024" + (" 10:30" if field.with_time else "")
        assert not calendar.isVisible()


def test_import_photos_refuses_a_future_date_and_takes_a_past_one_exactly(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    dialog = shown(qtbot, import_options(clinic, open_window))
    assert isinstance(dialog, ImportOptionsDialog)
    dialog.visit_edit.clear()
    type_text(qtbot, dialog.visit_edit, a_date_after_today())
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.visit_edit.text() == a_date_after_today()  # not changed
    assert dialog.visit_field.error.startswith("The visit date is in the future")

    past = date.today() - timedelta(days=400)
    typed = f"13/{past.month:02d}/{past.year}"
    dialog.visit_edit.clear()
    type_text(qtbot, dialog.visit_edit, typed)
    dialog.ok_button.click()
    assert not dialog.isVisible()
    assert dialog.visit_date == date(past.year, past.month, 13)

    dialog = shown(qtbot, import_options(clinic, open_window))
    assert isinstance(dialog, ImportOptionsDialog)
    dialog.visit_edit.clear()
    type_text(qtbot, dialog.visit_edit, "13/08/26")
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert "two-digit year" in dialog.visit_field.error
    dialog.reject()


def test_a_two_digit_year_of_birth_is_refused_with_a_message_at_the_field(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.reception)
    window.new_patient()
    form = window.demographics
    for name, text in (
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("date_of_birth", "26/10/63"),
    ):
        editor = form.editor(name)
        assert isinstance(editor, QLineEdit)
        type_text(qtbot, editor, text)
    assert isinstance(form.editor("date_of_birth"), DateEdit)
    window.save()
    assert "two-digit year" in form.errors_shown()["date_of_birth"]
    assert form.raw()["date_of_birth"] == "26/10/63"  # kept, to correct


def test_a_consultation_date_typed_after_today_is_refused_not_changed(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    form = shown(qtbot, new_consultation(clinic, open_window))
    assert isinstance(form, ConsultationForm)
    date_edit = form.editor("consulted_on")
    assert isinstance(date_edit, DateEdit)
    date_edit.clear()
    type_text(qtbot, date_edit, a_date_after_today())
    type_text(qtbot, form.editor("presenting_complaint"), "Thinning")
    assert form.save_button is not None
    form.save_button.click()
    assert form.isVisible()
    assert form.errors()["consulted_on"] == "is in the future"
    assert date_edit.text() == a_date_after_today()
    form.reject()


# -- item 6: empty records are refused -----------------------------------------------------------


def test_an_empty_consultation_is_refused_and_starts_no_cooling_off_period(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    form = shown(qtbot, new_consultation(clinic, open_window))
    assert isinstance(form, ConsultationForm)
    patient_id = form.context.patient_id
    before = clinic.services.clinical.consultations(clinic.clinician, patient_id)
    assert form.raw()["discussed_on"] == ""  # never assumed
    assert form.save_button is not None
    form.save_button.click()
    assert form.isVisible()
    assert form.errors() == {"presenting_complaint": "is required"}
    assert form.message.text().startswith("Not saved")
    assert clinic.services.clinical.consultations(clinic.clinician, patient_id) == before

    # Ticking what was discussed needs the date it was discussed.
    form.fields["risks_discussed"].editor.boxes["pain"].click()  # type: ignore[attr-defined]
    type_text(qtbot, form.editor("presenting_complaint"), "Thinning at the crown")
    form.save_button.click()
    assert form.isVisible()
    assert form.errors() == {
        "discussed_on": "is required when a consent discussion is recorded",
    }
    # Without a discussion it saves, and a treatment today is not blocked by a cooling-off
    # period (the consent discussion on record is months old).
    form.fields["risks_discussed"].editor.boxes["pain"].click()  # type: ignore[attr-defined]
    form.save_button.click()
    assert not form.isVisible()
    [added] = [
        c
        for c in clinic.services.clinical.consultations(clinic.clinician, patient_id)
        if c not in before
    ]
    assert added.details.discussed_on is None
    today = clinic.services.patients.today()
    blockers = clinic.services.clinical.eligibility(clinic.clinician, patient_id, today)
    assert not [b for b in blockers if "cooling-off" in b.lower()], blockers


@pytest.mark.parametrize(
    ("make", "required"),
    [
        (
            new_treatment,
            {
                "punches",
                "punch_diameter_mm",
                "donor_site",
                # the device kit starts as Admin > Clinic details' device (a test of its own)
                "kit_lot",
                "anaesthetic_name",
                "anaesthetic_dose",
                "anaesthetic_lot",
                "suspension_volume_ml",
                "treated_zones",
                "injection_points",
                "duration_minutes",
            },
        ),
        (new_adverse_event, {"event_type", "severity"}),
    ],
    ids=["treatment", "adverse event"],
)
def test_an_empty_treatment_or_adverse_event_is_refused_at_its_fields(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    make: FormMaker,
    required: set[str],
) -> None:
    form = shown(qtbot, make(clinic, open_window))
    assert isinstance(form, ClinicalForm)
    patient_id = form.context.patient_id
    timeline = clinic.services.clinical.timeline(clinic.clinician, patient_id)
    assert form.save_button is not None
    form.save_button.click()
    assert form.isVisible()
    assert set(form.errors()) == required
    assert clinic.services.clinical.timeline(clinic.clinician, patient_id) == timeline
    form.reject()


def test_an_empty_assessment_is_refused_with_a_message(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    dialog = shown(qtbot, new_assessment(clinic, open_window))
    assert isinstance(dialog, AssessmentDialog)
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    assert save is not None
    save.click()
    assert dialog.isVisible()
    assert dialog.error_messages == [
        "Measurements: nothing was measured: type at least one region's measurements, or a "
        "bedside test (pull test, satisfaction or photographic score)"
    ]
    assert dialog.saved is None
    dialog.reject()
