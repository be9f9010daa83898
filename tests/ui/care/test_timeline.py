"""The Timeline tab and the consultation, treatment and adverse-event forms, driven as a
clinician (and an administrator, and reception) would use them."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QPlainTextEdit, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from clinicdesk.domain.clinical import (
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    MaterialRisk,
    TreatedZone,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.medical import MedicalHistory, RedFlag, RedFlagCode
from clinicdesk.domain.patient import Patient
from clinicdesk.services.clinical import TimelineKind
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import audit
from clinicdesk.ui.care.adverse_event_form import AdverseEventForm
from clinicdesk.ui.care.clinical_forms import ClinicalForm
from clinicdesk.ui.care.consultation_form import ConsultationForm
from clinicdesk.ui.care.follow_up_dialog import FollowUpDialog
from clinicdesk.ui.care.form_inputs import CheckList, CodeCombo
from clinicdesk.ui.care.timeline import TimelineTab
from clinicdesk.ui.care.treatment_form import OverrideDialog, TreatmentForm
from clinicdesk.ui.shell.main_window import MainWindow
from clinicdesk.ui.widgets.concurrent_edit import ConcurrentEditDialog
from tests.conftest import Clinic
from tests.services.clinical_setup import (
    CONSENT_DISCUSSED_ON,
    TREATED_ON,
    consultation_form,
    eligible_patient,
    signed_consent,
    treatment_form,
)
from tests.ui.conftest import WindowFactory, click_message_button, type_text, when_modal

# The consent discussion every consented eligible patient has (clinical_setup.signed_consent).
DISCUSSION_ROW = (
    format_uk(CONSENT_DISCUSSED_ON),
    "Consultation",
    "Consultation (Norwood-Hamilton III vertex)",
)
FOLLOW_UP_TITLES = [
    "Follow-up 12 months: not booked",
    "Follow-up 6 months (primary end point): not booked",
    "Follow-up 3 months: not booked",
    "Follow-up 1 month: not booked",
    "Follow-up Donor-site check (1 week): not booked",
]


def open_timeline(
    open_window: WindowFactory, user: CurrentUser, patient: Patient
) -> tuple[MainWindow, TimelineTab]:
    window = open_window(user)
    window.open_patient(patient.id)
    window.tabs.setCurrentWidget(window.timeline)
    return window, window.timeline


def rows(tab: TimelineTab) -> list[tuple[str, str, str]]:
    model = tab.model
    return [
        tuple(str(model.index(row, col).data()) for col in range(3))  # type: ignore[misc]
        for row in range(model.rowCount())
    ]


def retype(qtbot: QtBot, form: ClinicalForm, key: str, text: str) -> None:
    editor = form.editor(key)
    assert isinstance(editor, (QLineEdit, QPlainTextEdit))
    editor.clear()
    type_text(qtbot, editor, text)


def choose(form: ClinicalForm, key: str, code: str) -> None:
    combo = form.editor(key)
    assert isinstance(combo, CodeCombo)
    index = combo.findData(code)
    assert index >= 0, code
    combo.setCurrentIndex(index)


def tick(form: ClinicalForm, key: str, *codes: str) -> None:
    checklist = form.editor(key)
    assert isinstance(checklist, CheckList)
    for code in codes:
        checklist.boxes[code].click()


def fill_treatment(qtbot: QtBot, form: ClinicalForm, **changes: str) -> None:
    typed = {
        "treated_on": format_uk(TREATED_ON),
        "punches": "3",
        "punch_diameter_mm": "2.5",
        "donor_site": "Occipital scalp",
        "kit_name": "Rigenera HBW",
        "kit_lot": "KIT-2025-001",
        "anaesthetic_name": "Lidocaine 2% with adrenaline",
        "anaesthetic_dose": "4",
        "anaesthetic_lot": "LD7731",
        "suspension_volume_ml": "3.5",
        "injection_points": "60",
        "duration_minutes": "45",
        "haemostasis": "Pressure; no sutures",
    } | changes
    for key, text in typed.items():
        retype(qtbot, form, key, text)
    tick(form, "treated_zones", "frontal", "vertex")
    aftercare = form.editor("aftercare_sheet_given")
    aftercare.click()  # type: ignore[attr-defined]


def treatment_form_of(tab: TimelineTab) -> TreatmentForm:
    tab.record_treatment_button.click()
    form = tab.form
    assert isinstance(form, TreatmentForm) and form.isVisible()
    return form


# -- consultation -----------------------------------------------------------------------------


def test_a_consultation_typed_into_the_form_is_saved_and_shown_in_the_timeline(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = eligible_patient(clinic, consented=False)
    _window, tab = open_timeline(open_window, clinic.clinician, patient)
    assert tab.summary.text() == "Nothing recorded yet."
    tab.new_consultation_button.click()
    form = tab.form
    assert isinstance(form, ConsultationForm) and form.isVisible()
    today = format_uk(clinic.services.patients.today())
    assert form.raw()["consulted_on"] == today
    assert form.raw()["clinician_id"] == clinic.clinician.id
    assert form.raw()["site_id"] == clinic.services.clinic.this_site().id

    type_text(qtbot, form.editor("presenting_complaint"), "Thinning at the crown, 3 years")
    type_text(qtbot, form.editor("plan"), "One micrograft session")
    choose(form, "classification_scale", "norwood_hamilton")
    choose(form, "classification_grade", "III vertex")
    tick(form, "risks_discussed", "pain", "failure_of_aim", "infection")
    tick(form, "alternatives_discussed", "minoxidil")
    type_text(qtbot, form.editor("patient_questions"), "Will it hurt? Zoë asked too.")
    assert form.raw()["discussed_on"] == ""  # never assumed: it starts the cooling-off period
    type_text(qtbot, form.editor("discussed_on"), today)
    form.save_button.click()  # type: ignore[union-attr]

    assert not form.isVisible()
    [saved] = clinic.services.clinical.consultations(clinic.clinician, patient.id)
    details = saved.details
    assert details.presenting_complaint == "Thinning at the crown, 3 years"
    assert details.classification_label == "Norwood-Hamilton III vertex"
    assert details.risks_discussed == (
        MaterialRisk.PAIN,
        MaterialRisk.INFECTION,
        MaterialRisk.FAILURE_OF_AIM,
    )
    assert details.patient_questions == "Will it hurt? Zoë asked too."
    assert details.discussed_on == clinic.services.patients.today()
    assert details.clinician_id == clinic.clinician.id
    assert rows(tab) == [
        (today, "Consultation", "Consultation (Norwood-Hamilton III vertex)"),
    ]


def test_a_stale_consultation_edit_keeps_the_users_text_and_saves_knowingly(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = eligible_patient(clinic)
    service = clinic.services.clinical
    first = service.add_consultation(clinic.clinician, patient.id, consultation_form(clinic))
    _window, tab = open_timeline(open_window, clinic.clinician, patient)
    tab.open_row(0)
    form = tab.form
    assert isinstance(form, ConsultationForm)
    assert form.raw()["plan"] == first.details.plan
    # Someone else saves the same consultation meanwhile.
    service.update_consultation(
        clinic.clinician, first.id, 1, consultation_form(clinic, plan="Their plan")
    )
    retype(qtbot, form, "plan", "My plan")

    chosen: list[str] = []

    def keep_mine(modal: QWidget) -> None:
        assert isinstance(modal, ConcurrentEditDialog)
        chosen.append(modal.message.text())
        modal.keep_mine.click()

    when_modal(keep_mine)
    form.save_button.click()  # type: ignore[union-attr]

    assert chosen and "changed by someone else" in chosen[0]
    assert form.isVisible()
    assert form.raw()["plan"] == "My plan"
    assert "Save again" in form.message.text()
    assert service.consultation(clinic.clinician, first.id).details.plan == "Their plan"

    form.save_button.click()  # type: ignore[union-attr]
    assert not form.isVisible()
    assert service.consultation(clinic.clinician, first.id).details.plan == "My plan"


# -- treatment --------------------------------------------------------------------------------


def test_recording_a_treatment_shows_it_and_its_five_follow_ups_in_the_timeline(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = eligible_patient(clinic)
    _window, tab = open_timeline(open_window, clinic.clinician, patient)
    assert not tab.adverse_event_button.isEnabled()  # nothing to attach an event to yet
    form = treatment_form_of(tab)
    fill_treatment(qtbot, form)
    form.save_button.click()  # type: ignore[union-attr]

    assert not form.isVisible()
    [treatment] = clinic.services.clinical.treatments(clinic.clinician, patient.id)
    d = treatment.details
    assert (d.treated_on, d.punches, d.punch_diameter_mm, d.kit_lot, d.anaesthetic_lot) == (
        TREATED_ON,
        3,
        2.5,
        "KIT-2025-001",
        "LD7731",
    )
    assert d.treated_zones == (TreatedZone.FRONTAL, TreatedZone.VERTEX)
    assert d.aftercare_sheet_given and d.consent_taken_by_id == clinic.clinician.id
    shown = rows(tab)
    assert [title for _, _, title in shown] == [
        *FOLLOW_UP_TITLES,
        "Micrograft treatment: Frontal, Vertex",
        DISCUSSION_ROW[2],
    ]
    assert shown[-1] == DISCUSSION_ROW
    assert shown[-2][0] == format_uk(TREATED_ON)
    assert shown[-3][0] == "17/03/2025"  # donor-site check a week later
    assert {kind for _, kind, _ in shown[:5]} == {TimelineKind.FOLLOW_UP.label}
    assert tab.adverse_event_button.isEnabled()


def test_a_new_treatment_starts_with_the_clinics_device_kit_and_a_saved_one_keeps_its_own(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    clinic.services.clinic_details.update(clinic.admin, {"device": "Acme MicroKit 3 (CE)"})
    patient = eligible_patient(clinic)
    _window, tab = open_timeline(open_window, clinic.clinician, patient)
    form = treatment_form_of(tab)
    assert form.raw()["kit_name"] == "Acme MicroKit 3 (CE)"  # Admin > Clinic details
    fill_treatment(qtbot, form, kit_name="Rigenera HBW")  # another kit this time
    form.save_button.click()  # type: ignore[union-attr]
    assert not form.isVisible()

    # A saved treatment shows the kit it was recorded with, not the clinic's current one.
    row = next(
        r for r in range(tab.model.rowCount()) if tab.model.index(r, 1).data() == "Treatment"
    )
    tab.open_row(row)
    saved = tab.form
    assert isinstance(saved, TreatmentForm) and saved.record is not None
    assert saved.raw()["kit_name"] == "Rigenera HBW"
    saved.reject()


def test_a_bad_field_shows_its_message_at_the_field_and_saves_nothing(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = eligible_patient(clinic)
    _window, tab = open_timeline(open_window, clinic.clinician, patient)
    form = treatment_form_of(tab)
    fill_treatment(qtbot, form, punches="12", kit_lot="")
    form.save_button.click()  # type: ignore[union-attr]

    assert form.isVisible()
    assert form.errors() == {
        "punches": "must be between 1 and 10",
        "kit_lot": "is required (copy it from the label)",
    }
    assert form.fields["punches"].error_label.isVisible()
    assert form.message.text().startswith("Not saved")
    assert clinic.services.clinical.treatments(clinic.clinician, patient.id) == []
    assert rows(tab) == [DISCUSSION_ROW]
    # The typed text is still there; correcting it saves.
    retype(qtbot, form, "punches", "4")
    retype(qtbot, form, "kit_lot", "KIT-2025-002")
    form.save_button.click()  # type: ignore[union-attr]
    assert not form.isVisible()
    [treatment] = clinic.services.clinical.treatments(clinic.clinician, patient.id)
    assert treatment.details.punches == 4


def test_a_blocked_treatment_needs_a_written_override_which_is_audited(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    # Recent labs (within 6 months of the treatment date typed): the red flag alone blocks.
    patient = eligible_patient(clinic)
    clinic.services.patients.save_medical_history(
        clinic.clinician,
        patient.id,
        MedicalHistory(
            red_flags=(RedFlag(RedFlagCode.ANTICOAGULANT, "Apixaban 5 mg"),),
            labs=clinic.services.patients.medical_history(clinic.clinician, patient.id).labs,
            version=1,
        ),
    )
    _window, tab = open_timeline(open_window, clinic.clinician, patient)
    form = treatment_form_of(tab)
    fill_treatment(qtbot, form)

    # First time: the clinician reads the reasons and cancels. Nothing is saved.
    seen: list[str] = []

    def cancel(modal: QWidget) -> None:
        assert isinstance(modal, OverrideDialog)
        seen.append(modal.reasons.text())
        assert not modal.save_button.isEnabled()
        modal.reject()

    when_modal(cancel)
    form.save_button.click()  # type: ignore[union-attr]
    assert seen == ["•  Red flag: Anticoagulant / antiplatelet (Apixaban 5 mg)."]
    assert form.isVisible() and form.raw()["kit_lot"] == "KIT-2025-001"
    assert clinic.services.clinical.treatments(clinic.clinician, patient.id) == []

    # Second time: Save stays disabled until the reason has 10 characters.
    reason = "Apixaban paused 48 h on haematology advice"
    enabled: list[bool] = []

    def override(modal: QWidget) -> None:
        assert isinstance(modal, OverrideDialog)
        type_text(qtbot, modal.reason, "too short")
        enabled.append(modal.save_button.isEnabled())
        modal.reason.clear()
        type_text(qtbot, modal.reason, reason)
        enabled.append(modal.save_button.isEnabled())
        modal.save_button.click()

    when_modal(override)
    form.save_button.click()  # type: ignore[union-attr]

    assert enabled == [False, True]
    assert not form.isVisible()
    [treatment] = clinic.services.clinical.treatments(clinic.clinician, patient.id)
    assert [o.reason for o in treatment.overrides] == [reason]
    overrides = [e for e in audit.entries(clinic.services.db) if e.action == "override"]
    assert len(overrides) == 1
    assert overrides[0].entity_id == treatment.id
    assert overrides[0].detail["reason"] == reason
    assert overrides[0].detail["blocking_reasons"] == [
        "Red flag: Anticoagulant / antiplatelet (Apixaban 5 mg)."
    ]
    assert len(rows(tab)) == 7  # the treatment, its five follow-ups, the consent discussion


# -- adverse event ----------------------------------------------------------------------------


def test_an_adverse_event_is_recorded_against_the_treatment(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = eligible_patient(clinic)
    saved = clinic.services.clinical.record_treatment(
        clinic.clinician, patient.id, treatment_form(clinic)
    )
    _window, tab = open_timeline(open_window, clinic.clinician, patient)
    tab.adverse_event_button.click()
    form = tab.form
    assert isinstance(form, AdverseEventForm)
    assert form.raw()["treatment_id"] == saved.treatment.id
    retype(qtbot, form, "onset_on", "14/03/2025")
    form.save_button.click()  # type: ignore[union-attr]
    assert form.errors() == {"event_type": "is required", "severity": "is required"}

    choose(form, "event_type", "headache")
    choose(form, "severity", "mild")
    type_text(qtbot, form.editor("action_taken"), "Paracetamol")
    form.save_button.click()  # type: ignore[union-attr]

    assert not form.isVisible()
    [event] = clinic.services.clinical.adverse_events(clinic.clinician, patient.id)
    assert event.details.action_taken == "Paracetamol"
    assert ("14/03/2025", "Adverse event", "Adverse event: Headache (mild, ongoing)") in rows(tab)


# -- roles ------------------------------------------------------------------------------------


def test_reception_has_no_timeline_tab(clinic: Clinic, open_window: WindowFactory) -> None:
    patient = eligible_patient(clinic)
    window = open_window(clinic.reception)
    window.open_patient(patient.id)
    assert window.tabs.indexOf(window.timeline) < 0
    assert window.timeline.model.rowCount() == 0


def test_an_admin_sees_the_timeline_read_only(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, qtmodeltester: ModelTester
) -> None:
    patient = eligible_patient(clinic, consented=False)
    service = clinic.services.clinical
    consult = service.add_consultation(clinic.clinician, patient.id, consultation_form(clinic))
    signed_consent(  # this consultation is the consent discussion
        clinic,
        patient.id,
        consultation_id=consult.id,
        discussed_on=date(2025, 2, 1),
        signed_on=date(2025, 2, 20),
    )
    service.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    window, tab = open_timeline(open_window, clinic.admin, patient)

    assert window.tabs.indexOf(tab) >= 0
    assert len(rows(tab)) == 7
    qtmodeltester.check(tab.model)
    for button in (
        tab.new_consultation_button,
        tab.record_treatment_button,
        tab.adverse_event_button,
    ):
        assert not button.isVisible()
    # Enter on the consultation (the oldest entry) opens it, view only.
    tab.table.setFocus()
    tab.table.selectRow(6)
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    form = tab.form
    assert isinstance(form, ConsultationForm) and form.isVisible()
    assert form.save_button is None
    assert "view only" in form.windowTitle()
    plan = form.editor("plan")
    assert isinstance(plan, QPlainTextEdit) and plan.isReadOnly()
    assert not form.editor("risks_discussed").findChildren(QWidget)[0].isEnabled()
    form.reject()


def test_the_timeline_follows_the_user_who_takes_the_window_over(
    clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = eligible_patient(clinic)
    clinic.services.clinical.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    window, tab = open_timeline(open_window, clinic.clinician, patient)
    assert tab.model.rowCount() == 7  # with the consent discussion
    window.switch_user(clinic.reception)
    assert window.tabs.indexOf(tab) < 0
    assert tab.model.rowCount() == 0
    window.switch_user(clinic.admin)
    assert window.tabs.indexOf(tab) >= 0
    assert not tab.record_treatment_button.isVisibleTo(tab)


def follow_up_row(tab: TimelineTab, what: str) -> int:
    for number, (_, kind, title) in enumerate(rows(tab)):
        if kind == TimelineKind.FOLLOW_UP.label and title.startswith(f"Follow-up {what}:"):
            return number
    raise AssertionError(f"no follow-up {what} in {rows(tab)}")


def test_double_clicking_a_follow_up_opens_it_to_book_and_mark_attended(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = eligible_patient(clinic)
    clinic.services.clinical.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    _window, tab = open_timeline(open_window, clinic.clinician, patient)
    donor = FollowUpKind.DONOR_CHECK.label
    row = follow_up_row(tab, donor)
    rect = tab.table.visualRect(tab.model.index(row, 2))
    # A real double-click starts with a press: the view opens only the row pressed on.
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = tab.follow_up_dialog
    assert isinstance(dialog, FollowUpDialog) and dialog.isVisible()
    assert dialog.title.text() == f"Siobhán O'Brien: {donor} follow-up"
    assert dialog.due_label.text().startswith("17/03/2025 (overdue, ")
    assert (dialog.status_label.text(), dialog.booked_label.text()) == ("Not booked", "Not booked")
    assert dialog.book_button.text() == "&Book…"
    assert not dialog.did_not_attend_button.isEnabled()  # nothing booked to miss yet

    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    booking = dialog.booking_dialog
    assert booking is not None and booking.isVisible()
    assert booking.windowTitle() == "Book follow-up — Siobhán O'Brien · born 03/07/1985"
    type_text(qtbot, booking.when_edit, "31/02/2027 10:30")
    qtbot.keyClick(booking.when_edit, Qt.Key.Key_Return)
    assert booking.isVisible()  # nothing saved: the message is at the field
    assert booking.when.error == "The date and time is not a real date (check the day and month)"
    assert rows(tab)[row][2] == f"Follow-up {donor}: not booked"

    booking.when_edit.clear()
    type_text(qtbot, booking.when_edit, "14/01/2027 10:30")
    with qtbot.waitSignal(tab.changed) as saved:
        qtbot.mouseClick(booking.book_button, Qt.MouseButton.LeftButton)
    assert not booking.isVisible()
    assert isinstance(saved.args[0], FollowUp)
    assert dialog.isVisible()  # still open, showing the booking
    assert (dialog.status_label.text(), dialog.booked_label.text()) == (
        "Booked",
        "14/01/2027 10:30",
    )
    assert dialog.book_button.text() == "Re&book…"
    assert dialog.did_not_attend_button.isEnabled()
    assert dialog.done_label.text() == "Booked Siobhán O'Brien for 14/01/2027 10:30."
    assert rows(tab)[0] == (
        "14/01/2027",
        TimelineKind.FOLLOW_UP.label,
        f"Follow-up {donor}: booked",
    )

    qtbot.mouseClick(dialog.attended_button, Qt.MouseButton.LeftButton)
    assert dialog.status_label.text() == "Attended"
    assert not dialog.attended_button.isEnabled()
    assert rows(tab)[0][2] == f"Follow-up {donor}: attended"
    [stored] = [
        f
        for f in clinic.services.clinical.follow_ups(clinic.clinician, patient.id)
        if f.kind is FollowUpKind.DONOR_CHECK
    ]
    assert stored.status is FollowUpStatus.ATTENDED
    assert f"{stored.booked_at:%d/%m/%Y %H:%M}" == "14/01/2027 10:30"
    dialog.reject()


def test_an_admin_cancels_a_follow_up_from_the_timeline_after_confirming(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = eligible_patient(clinic)
    clinic.services.clinical.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    _window, tab = open_timeline(open_window, clinic.admin, patient)
    month_3 = FollowUpKind.MONTH_3.label
    tab.table.setFocus()
    tab.table.selectRow(follow_up_row(tab, month_3))
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    dialog = tab.follow_up_dialog
    assert isinstance(dialog, FollowUpDialog) and dialog.isVisible()
    assert dialog.cancel_button.isVisible()  # follow-ups are for every role

    seen = when_modal(click_message_button(QMessageBox.StandardButton.No))
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert seen[0].startswith(f"Cancel the {month_3} follow-up of Siobhán O'Brien?")
    assert dialog.status_label.text() == "Not booked"  # not confirmed: nothing changed
    when_modal(click_message_button(QMessageBox.StandardButton.Yes))
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.status_label.text() == "Cancelled"
    assert rows(tab)[follow_up_row(tab, month_3)][2] == f"Follow-up {month_3}: cancelled"
    dialog.reject()
