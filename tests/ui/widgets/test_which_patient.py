"""Every form about one patient names them (issue 11, item 8): the name, date of birth and NHS
number (where known) in its window title and on a line at its top, built by one helper
(``patient_identity.PatientIdentity``), and it opens below the main window's patient header so the
record's identity stays in view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from clinicdesk.domain.consent import ConsentKind
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.photos import View
from clinicdesk.services.clinical import TimelineKind
from clinicdesk.ui.shell.main_window import MainWindow
from clinicdesk.ui.widgets import patient_identity
from clinicdesk.ui.widgets.patient_identity import IDENTITY_PROPERTY, PatientIdentity
from tests.conftest import Clinic
from tests.services.clinical_setup import (
    PROCEDURE_TEMPLATE,
    eligible_patient,
    treatment_form,
)
from tests.ui.conftest import WindowFactory
from tests.ui.gallery_setup import import_plan, write

# A name with "<" (shown as typed, never read as markup), a leap-day birth and an NHS number.
DISTINCT = {
    "first_name": "Zoë <Ann>",
    "last_name": "Ó Briain",
    "date_of_birth": "29/02/1964",
    "nhs_number": "401 023 2137",
}
NAMED = "Zoë <Ann> Ó Briain · born 29/02/1964 · NHS 401 023 2137"
NO_NHS = "Zoë <Ann> Ó Briain · born 29/02/1964"

Opener = Callable[[Clinic, MainWindow, Patient], QWidget]


def the_patient(clinic: Clinic, nhs: bool = True) -> Patient:
    """An eligible, consented, treated patient with a photo and a prepared consent."""
    changes = dict(DISTINCT) if nhs else DISTINCT | {"nhs_number": ""}
    patient = eligible_patient(clinic, **changes)
    clinic.services.clinical.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    folder = clinic.paths.data_dir.parent / "photos-in"
    import_plan(
        clinic,
        patient.id,
        folder,
        {date(2025, 3, 10): [View.VERTEX], clinic.services.patients.today(): [View.VERTEX]},
    )
    clinic.services.consents.prepare(
        clinic.reception,
        patient.id,
        *PROCEDURE_TEMPLATE,
        ConsentKind.PROCEDURE,
        None,
        prepared_on=clinic.services.patients.today(),
    )
    return patient


def on_tab(window: MainWindow, tab: QWidget) -> None:
    window.tabs.setCurrentWidget(tab)


def consultation(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    on_tab(window, window.timeline)
    window.timeline.new_consultation()
    assert window.timeline.form is not None
    return window.timeline.form


def treatment(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    on_tab(window, window.timeline)
    window.timeline.record_treatment()
    assert window.timeline.form is not None
    return window.timeline.form


def saved_treatment(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    on_tab(window, window.timeline)
    tab = window.timeline
    row = next(
        r for r in range(tab.model.rowCount()) if tab.model.index(r, 1).data() == "Treatment"
    )
    tab.open_row(row)
    assert tab.form is not None
    return tab.form


def adverse_event(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    on_tab(window, window.timeline)
    window.timeline.new_adverse_event()
    assert window.timeline.form is not None
    return window.timeline.form


def follow_up(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    on_tab(window, window.timeline)
    tab = window.timeline
    row = next(
        r
        for r in range(tab.model.rowCount())
        if tab.model.index(r, 1).data() == TimelineKind.FOLLOW_UP.label
    )
    tab.open_row(row)
    assert tab.follow_up_dialog is not None
    return tab.follow_up_dialog


def book_follow_up(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    dialog = follow_up(clinic, window, patient)
    dialog.book_button.click()  # type: ignore[attr-defined]
    booking = dialog.booking_dialog  # type: ignore[attr-defined]
    assert booking is not None
    return booking  # type: ignore[no-any-return]


def book_from_the_due_list(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    window.open_follow_ups()
    due = window.follow_ups_dialog
    due.within.setValue(365)
    due.table.selectRow(0)
    booking = due.open_booking()
    assert booking is not None
    return booking


def assessment(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    on_tab(window, window.measurements)
    window.measurements.new_button.click()
    assert window.measurements.dialog is not None
    return window.measurements.dialog


def sign_consent(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    on_tab(window, window.documents)
    dialog = window.documents.open_sign_dialog()
    assert dialog is not None
    return dialog


def withdraw_consent(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    on_tab(window, window.documents)
    dialog = window.documents.open_withdraw_dialog()
    assert dialog is not None
    return dialog


def progress_report(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    on_tab(window, window.documents)
    window.documents.ask_progress_report()
    assert window.documents.report_dialog is not None
    return window.documents.report_dialog


def photo_import(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    on_tab(window, window.photos)
    path = write(clinic.paths.data_dir.parent / "more", "IMG_9.JPG", b"not read yet")
    window.photos.ask_to_import([path])
    assert window.photos.options_dialog is not None
    return window.photos.options_dialog


def _a_photo(window: MainWindow):  # type: ignore[no-untyped-def]
    on_tab(window, window.photos)
    return window.photos.photos[0]


def photo_details(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    window.photos.open_details(_a_photo(window))
    assert window.photos.details_dialog is not None
    return window.photos.details_dialog


def viewer(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    window.photos.open_viewer(_a_photo(window))
    assert window.photos.viewer_dialog is not None
    return window.photos.viewer_dialog


def compare(clinic: Clinic, window: MainWindow, patient: Patient) -> QWidget:
    window.photos.open_compare(_a_photo(window))
    assert window.photos.compare_dialog is not None
    return window.photos.compare_dialog


FORMS: dict[str, Opener] = {
    "consultation": consultation,
    "treatment": treatment,
    "saved treatment": saved_treatment,
    "adverse event": adverse_event,
    "follow-up": follow_up,
    "book follow-up": book_follow_up,
    "book from the due list": book_from_the_due_list,
    "assessment": assessment,
    "sign consent": sign_consent,
    "withdraw consent": withdraw_consent,
    "progress report": progress_report,
    "photo import": photo_import,
    "photo details": photo_details,
    "photo viewer": viewer,
    "compare": compare,
}


def identity_line(dialog: QWidget) -> QLabel:
    line = dialog.findChild(QLabel, IDENTITY_PROPERTY)
    assert line is not None, "no line naming the patient"
    return line


def at_the_top(dialog: QWidget, line: QLabel) -> bool:
    """Nothing of the form (but its title bar) is above the line."""
    others = [
        w
        for w in dialog.findChildren(QWidget)
        if w.isVisible()
        and w.window() is dialog
        and w is not line
        and not line.isAncestorOf(w)
        and not w.isAncestorOf(line)
    ]
    top = line.mapTo(dialog, line.rect().topLeft()).y()
    return all(w.mapTo(dialog, w.rect().topLeft()).y() >= top for w in others)


@pytest.mark.parametrize("nhs", [True, False], ids=["with NHS number", "without"])
@pytest.mark.parametrize("open_form", list(FORMS.values()), ids=list(FORMS))
def test_every_form_names_the_patient_in_its_title_and_top_line(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, open_form: Opener, nhs: bool
) -> None:
    patient = the_patient(clinic, nhs)
    window = open_window(clinic.clinician)
    window.open_patient(patient.id)
    dialog = open_form(clinic, window, patient)
    qtbot.waitExposed(dialog)
    expected = NAMED if nhs else NO_NHS
    assert dialog.windowTitle().endswith(f" — {expected}")
    line = identity_line(dialog)
    assert line.text() == expected
    assert line.isVisible() and line.textFormat() is patient_identity.Qt.TextFormat.PlainText
    assert at_the_top(dialog, line)
    if not nhs:
        assert "NHS" not in dialog.windowTitle() and "NHS" not in line.text()
    dialog.close() if not hasattr(dialog, "reject") else dialog.reject()  # type: ignore[attr-defined]


def test_the_identity_text_is_built_in_one_place() -> None:
    who = PatientIdentity.named("Siobhán", "O'Brien", "Shiv", date(1985, 7, 3), "9434765919")
    assert who.text() == 'Siobhán O\'Brien ("Shiv") · born 03/07/1985 · NHS 943 476 5919'
    assert PatientIdentity("A <b>B</b>").text() == "A <b>B</b>"
    assert patient_identity.identity_title("Consultation", None) == "Consultation"


@pytest.mark.parametrize(
    "screen", [QRect(0, 0, 1440, 900), QRect(0, 0, 1366, 768)], ids=["1440x900", "1366x768"]
)
@pytest.mark.parametrize(
    "open_form",
    [consultation, treatment, assessment, sign_consent, photo_details, compare, book_follow_up],
    ids=[
        "consultation",
        "treatment",
        "assessment",
        "sign consent",
        "photo details",
        "compare",
        "book follow-up",
    ],
)
def test_a_form_opens_below_the_patient_header_so_the_identity_stays_visible(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
    screen: QRect,
    open_form: Opener,
) -> None:
    monkeypatch.setattr(patient_identity, "available_area", lambda _widget: screen)
    patient = the_patient(clinic)
    window = open_window(clinic.clinician)
    window.setGeometry(screen)  # as maximised on a laptop screen
    window.open_patient(patient.id)
    dialog = open_form(clinic, window, patient)
    qtbot.waitExposed(dialog)
    header = window.header
    header_rect = QRect(header.mapToGlobal(header.rect().topLeft()), header.size())
    dialog_rect = dialog.frameGeometry()
    assert not dialog_rect.intersects(header_rect), (dialog_rect, header_rect)
    assert dialog_rect.top() > header_rect.bottom()
    assert screen.contains(dialog_rect), (dialog_rect, screen)  # whole, on the screen
    assert identity_line(dialog).isVisible()
    QApplication.processEvents()
    dialog.reject()  # type: ignore[attr-defined]
