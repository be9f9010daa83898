"""The follow-ups due window: booking into the past asks first, a booked follow-up is no longer
overdue, Enter opens the chosen row, and "Open patient" brings the record to the front."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from clinicdesk.domain.clinical import FollowUpKind, FollowUpStatus
from tests.conftest import Clinic
from tests.ui.care.test_follow_ups import click, open_due_list, select, shown, treated_patient
from tests.ui.conftest import WindowFactory, click_message_button, type_text, when_modal


def month_1_status(clinic: Clinic, patient_id: str) -> FollowUpStatus:
    follow_ups = clinic.services.clinical.follow_ups(clinic.reception, patient_id)
    return next(f.status for f in follow_ups if f.kind is FollowUpKind.MONTH_1)


def test_booking_into_the_past_asks_first(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = treated_patient(clinic)
    dialog = open_due_list(open_window(clinic.reception))
    select(dialog, "Siobhán O'Brien", FollowUpKind.MONTH_1.label)
    click(qtbot, dialog.book_button)
    booking = dialog.booking_dialog
    assert booking is not None
    yesterday = date.today() - timedelta(days=1)
    type_text(qtbot, booking.when_edit, f"{yesterday:%d/%m/%Y} 10:30")
    seen = when_modal(click_message_button(QMessageBox.StandardButton.No))
    click(qtbot, booking.book_button)
    assert seen and "is in the past" in seen[0]
    assert booking.isVisible()  # not confirmed: nothing saved, the time can be corrected
    assert month_1_status(clinic, patient.id) is FollowUpStatus.NOT_BOOKED

    seen = when_modal(click_message_button(QMessageBox.StandardButton.Yes))
    click(qtbot, booking.book_button)
    assert seen
    assert not booking.isVisible()
    assert month_1_status(clinic, patient.id) is FollowUpStatus.BOOKED
    # Booked for a day already gone (and not marked attended): still overdue.
    assert shown(dialog)[1]["Overdue"].startswith("Overdue")

    # Rebooking into the past asks in its own words; a future time does not ask at all.
    click(qtbot, dialog.book_button)
    rebooking = dialog.booking_dialog
    assert rebooking is not None and rebooking is not booking
    type_text(qtbot, rebooking.when_edit, f"{yesterday:%d/%m/%Y} 11:00")
    titles: list[str] = []

    def answer_no(modal: object) -> None:
        assert isinstance(modal, QMessageBox)
        titles.append(modal.windowTitle())
        modal.button(QMessageBox.StandardButton.No).click()

    when_modal(answer_no)
    click(qtbot, rebooking.book_button)
    assert titles == ["Rebook into the past?"]
    rebooking.when_edit.clear()
    tomorrow = date.today() + timedelta(days=1)
    type_text(qtbot, rebooking.when_edit, f"{tomorrow:%d/%m/%Y} 09:00")
    click(qtbot, rebooking.book_button)  # no question: a message box would block here
    assert not rebooking.isVisible()
    row = shown(dialog)[1]
    assert row["Booked for"] == f"{tomorrow:%d/%m/%Y} 09:00"
    assert row["Overdue"] == ""  # rebooked: in hand, no longer overdue


def test_enter_opens_the_chosen_row_and_does_not_refresh_the_list(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = treated_patient(clinic)
    window = open_window(clinic.reception)
    dialog = open_due_list(window)
    assert dialog.table.hasFocus() or dialog.focusWidget() is dialog.table
    reads: list[int] = []
    service = dialog.service
    real = service.due_and_overdue
    monkeypatch.setattr(
        service, "due_and_overdue", lambda *a, **k: reads.append(1) or real(*a, **k)
    )
    select(dialog, "Siobhán O'Brien", FollowUpKind.MONTH_3.label)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert window.patient is not None and window.patient.id == patient.id
    assert reads == []  # Enter did not also press Refresh (another audited view)
    assert dialog.isVisible()


def test_open_patient_brings_a_minimised_record_window_back(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = treated_patient(clinic)
    window = open_window(clinic.reception)
    dialog = open_due_list(window)
    window.showMinimized()
    assert window.isMinimized()
    select(dialog, "Siobhán O'Brien", FollowUpKind.MONTH_1.label)
    click(qtbot, dialog.open_button)
    assert window.patient is not None and window.patient.id == patient.id
    assert not window.isMinimized() and window.isVisible()
