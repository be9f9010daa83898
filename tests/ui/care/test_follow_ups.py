"""Clinic > Follow-ups due: reception's list, booking, statuses and opening the patient."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from clinicdesk.domain.clinical import FollowUpKind, FollowUpStatus
from clinicdesk.domain.patient import Patient
from clinicdesk.ui.care.follow_ups import COLUMNS, FollowUpsDialog
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import Clinic
from tests.services.clinical_setup import eligible_patient, treatment_form
from tests.ui.conftest import WindowFactory, click_message_button, type_text, when_modal


def treated_patient(clinic: Clinic, **changes: str) -> Patient:
    """A patient with a treatment on 10/03/2025: all five follow-ups are long overdue."""
    patient = eligible_patient(clinic, **changes)
    clinic.services.clinical.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    return patient


def open_due_list(window: MainWindow) -> FollowUpsDialog:
    assert window.follow_ups_action.isVisible()
    assert window.follow_ups_action in window.clinic_menu.actions()
    window.follow_ups_action.trigger()
    dialog = window.follow_ups_dialog
    assert isinstance(dialog, FollowUpsDialog) and dialog.isVisible()
    return dialog


def shown(dialog: FollowUpsDialog) -> list[dict[str, str]]:
    model = dialog.model
    return [
        {name: str(model.data(model.index(row, col))) for col, name in enumerate(COLUMNS)}
        for row in range(model.rowCount())
    ]


def select(dialog: FollowUpsDialog, patient: str, what: str) -> None:
    for number, row in enumerate(shown(dialog)):
        if row["Patient"] == patient and row["Follow-up"] == what:
            dialog.table.selectRow(number)
            return
    raise AssertionError(f"no row {patient} / {what}")


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_reception_sees_overdue_follow_ups_with_the_phone_number(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, qtmodeltester: ModelTester
) -> None:
    treated_patient(clinic)
    window = open_window(clinic.reception)
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    dialog = window.follow_ups_dialog
    assert isinstance(dialog, FollowUpsDialog) and dialog.isVisible()
    qtmodeltester.check(dialog.model)
    rows = shown(dialog)
    assert [r["Follow-up"] for r in rows] == [kind.label for kind in FollowUpKind]
    donor = rows[0]
    assert donor["Due"] == "17/03/2025"
    assert donor["Patient"] == "Siobhán O'Brien"
    assert donor["Phone"] == "07700 900123"
    assert donor["Status"] == "Not booked"
    days = (date.today() - date(2025, 3, 17)).days
    assert donor["Overdue"] == f"Overdue ({days} days)"  # in words, not colour alone
    model = dialog.model
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert dialog.count_label.text() == "5 follow-ups, 5 overdue, earliest first"
    # Nothing can be done before a row is chosen.
    assert not dialog.book_button.isEnabled()
    assert not dialog.attended_button.isEnabled()


def test_the_days_ahead_choose_what_is_due_soon(clinic: Clinic, open_window: WindowFactory) -> None:
    patient = eligible_patient(clinic)
    treated_on = date.today() - timedelta(days=3)
    clinic.services.clinical.record_treatment(
        clinic.clinician,
        patient.id,
        treatment_form(clinic, treated_on=treated_on.isoformat()),
        override_reason="Labs repeated at the GP, results seen on paper",
    )
    dialog = open_due_list(open_window(clinic.reception))
    rows = shown(dialog)
    assert [(r["Follow-up"], r["Overdue"]) for r in rows] == [(FollowUpKind.DONOR_CHECK.label, "")]
    dialog.within.setValue(60)  # the 1 month review comes into view
    assert [r["Follow-up"] for r in shown(dialog)] == [
        FollowUpKind.DONOR_CHECK.label,
        FollowUpKind.MONTH_1.label,
    ]
    assert dialog.model.overdue_count == 0


def test_reception_books_a_follow_up_by_typing_a_date_and_time(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = treated_patient(clinic)
    dialog = open_due_list(open_window(clinic.reception))
    select(dialog, "Siobhán O'Brien", FollowUpKind.MONTH_1.label)
    assert dialog.book_button.text() == "&Book…"
    assert not dialog.did_not_attend_button.isEnabled()  # nothing booked to miss yet
    click(qtbot, dialog.book_button)
    booking = dialog.booking_dialog
    assert booking is not None and booking.isVisible()

    type_text(qtbot, booking.when_edit, "31/02/2027 10:30")
    click(qtbot, booking.book_button)
    assert booking.isVisible()  # nothing saved: the message is at the field
    assert booking.when.error == "The date and time is not a real date (check the day and month)"
    booking.when_edit.clear()
    type_text(qtbot, booking.when_edit, "10:30")
    qtbot.keyClick(booking.when_edit, Qt.Key.Key_Return)
    assert booking.when.error == "Needs a date and a time, for example 14/03/2026 10:30"
    stored = clinic.services.clinical.follow_ups(clinic.reception, patient.id)
    assert all(f.status is FollowUpStatus.NOT_BOOKED for f in stored)

    booking.when_edit.clear()
    type_text(qtbot, booking.when_edit, "14/01/2027 10:30")
    type_text(qtbot, booking.notes_edit, "Prefers mornings")
    click(qtbot, booking.book_button)
    assert not booking.isVisible()
    row = shown(dialog)[1]
    assert (row["Follow-up"], row["Status"], row["Booked for"]) == (
        FollowUpKind.MONTH_1.label,
        "Booked",
        "14/01/2027 10:30",
    )
    # Booked (for a day to come), it is in hand: no longer overdue, in words or in colour.
    assert row["Overdue"] == ""
    assert dialog.model.data(dialog.model.index(1, 0), Qt.ItemDataRole.BackgroundRole) is None
    assert dialog.count_label.text() == "5 follow-ups, 4 overdue, earliest first"
    assert dialog.book_button.text() == "Re&book…"
    assert dialog.did_not_attend_button.isEnabled()
    assert dialog.done_label.text() == "Booked Siobhán O'Brien for 14/01/2027 10:30."
    month_1 = next(
        f
        for f in clinic.services.clinical.follow_ups(clinic.reception, patient.id)
        if f.kind is FollowUpKind.MONTH_1
    )
    assert (month_1.status, month_1.notes) == (FollowUpStatus.BOOKED, "Prefers mornings")
    assert f"{month_1.booked_at:%d/%m/%Y %H:%M}" == "14/01/2027 10:30"

    # Rebooking shows the current booking and replaces it.
    click(qtbot, dialog.book_button)
    rebooking = dialog.booking_dialog
    assert rebooking is not None and rebooking is not booking
    assert rebooking.windowTitle() == "Rebook follow-up — Siobhán O'Brien · born 03/07/1985"
    type_text(qtbot, rebooking.when_edit, "21/01/2027 09:00")
    click(qtbot, rebooking.book_button)
    assert shown(dialog)[1]["Booked for"] == "21/01/2027 09:00"


def test_attended_and_cancelled_follow_ups_leave_the_list(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = treated_patient(clinic)
    dialog = open_due_list(open_window(clinic.reception))
    select(dialog, "Siobhán O'Brien", FollowUpKind.DONOR_CHECK.label)
    click(qtbot, dialog.attended_button)
    kinds = [r["Follow-up"] for r in shown(dialog)]
    assert FollowUpKind.DONOR_CHECK.label not in kinds and len(kinds) == 4
    assert dialog.count_label.text() == "4 follow-ups, 4 overdue, earliest first"

    select(dialog, "Siobhán O'Brien", FollowUpKind.MONTH_12.label)
    seen = when_modal(click_message_button(QMessageBox.StandardButton.No))
    click(qtbot, dialog.cancel_button)
    assert "Cancel the 12 months follow-up of Siobhán O'Brien" in seen[0]
    assert len(shown(dialog)) == 4  # not confirmed: nothing changed
    when_modal(click_message_button(QMessageBox.StandardButton.Yes))
    click(qtbot, dialog.cancel_button)
    assert [r["Follow-up"] for r in shown(dialog)] == [
        FollowUpKind.MONTH_1.label,
        FollowUpKind.MONTH_3.label,
        FollowUpKind.MONTH_6.label,
    ]
    statuses = {
        f.kind: f.status for f in clinic.services.clinical.follow_ups(clinic.reception, patient.id)
    }
    assert statuses[FollowUpKind.DONOR_CHECK] is FollowUpStatus.ATTENDED
    assert statuses[FollowUpKind.MONTH_12] is FollowUpStatus.CANCELLED

    # A missed appointment stays on the list, to be rebooked.
    select(dialog, "Siobhán O'Brien", FollowUpKind.MONTH_1.label)
    chosen = dialog.selected()
    assert chosen is not None
    clinic.services.clinical.book_follow_up(
        clinic.clinician, chosen.follow_up.id, chosen.follow_up.version, "01/05/2025 09:00"
    )
    # The list still holds the old version: someone else's change is not overwritten.
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Ok))
    click(qtbot, dialog.attended_button)
    assert "Someone else changed this follow-up" in seen[0]
    assert shown(dialog)[0]["Status"] == "Booked"  # reloaded
    assert dialog.did_not_attend_button.isEnabled()
    click(qtbot, dialog.did_not_attend_button)
    assert shown(dialog)[0]["Status"] == "Did not attend"
    assert shown(dialog)[0]["Booked for"] == "01/05/2025 09:00"
    assert dialog.book_button.text() == "Re&book…"


def test_open_patient_asks_about_unsaved_changes_first(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    first = treated_patient(clinic)
    second = treated_patient(clinic, first_name="Tomasz", last_name="Nowak", phone="07700 900456")
    window = open_window(clinic.reception)
    window.open_patient(first.id)
    type_text(qtbot, window.demographics.editor("email"), "x")
    assert window.has_unsaved_changes
    dialog = open_due_list(window)
    select(dialog, "Tomasz Nowak", FollowUpKind.MONTH_3.label)
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Cancel))
    click(qtbot, dialog.open_button)
    assert seen == ["This record has changes that are not saved. Save them now?"]
    assert window.patient is not None and window.patient.id == first.id
    when_modal(click_message_button(QMessageBox.StandardButton.Discard))
    click(qtbot, dialog.open_button)
    assert window.patient is not None and window.patient.id == second.id
    assert dialog.isVisible()  # the list stays open beside the record


def test_every_role_has_the_follow_up_list(clinic: Clinic, open_window: WindowFactory) -> None:
    treated_patient(clinic)
    for user in (clinic.admin, clinic.clinician):
        dialog = open_due_list(open_window(user))
        assert len(shown(dialog)) == 5


def test_the_idle_lock_closes_the_list(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    treated_patient(clinic)
    window = open_window(clinic.reception)
    dialog = open_due_list(window)
    select(dialog, "Siobhán O'Brien", FollowUpKind.MONTH_1.label)
    click(qtbot, dialog.book_button)
    assert dialog.booking_dialog is not None and dialog.booking_dialog.isVisible()
    window.idle_lock.lock()  # names and phone numbers must not stay on screen
    assert not dialog.isVisible()
    assert not dialog.booking_dialog.isVisible()


def test_a_change_in_the_due_list_refreshes_the_open_patients_timeline(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = treated_patient(clinic)
    window = open_window(clinic.clinician)
    window.open_patient(patient.id)
    window.tabs.setCurrentWidget(window.timeline)
    donor = f"Follow-up {FollowUpKind.DONOR_CHECK.label}"
    titles = [str(window.timeline.model.index(r, 2).data()) for r in range(6)]
    assert f"{donor}: not booked" in titles
    dialog = open_due_list(window)
    select(dialog, "Siobhán O'Brien", FollowUpKind.DONOR_CHECK.label)
    with qtbot.waitSignal(dialog.changed) as changed:
        click(qtbot, dialog.attended_button)
    assert changed.args == [patient.id]
    titles = [str(window.timeline.model.index(r, 2).data()) for r in range(6)]
    assert f"{donor}: attended" in titles

    # And the other way: settled from the Timeline, the row leaves the open list.
    timeline = window.timeline
    month_1 = next(
        r
        for r in range(6)
        if str(timeline.model.index(r, 2).data()).startswith("Follow-up 1 month")
    )
    timeline.open_row(month_1)
    follow_up = timeline.follow_up_dialog
    assert follow_up is not None and follow_up.isVisible()
    click(qtbot, follow_up.attended_button)
    assert FollowUpKind.MONTH_1.label not in [r["Follow-up"] for r in shown(dialog)]
    follow_up.reject()
