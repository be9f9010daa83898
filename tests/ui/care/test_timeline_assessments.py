"""The Timeline and Measurements tabs kept in step: assessments listed in the timeline and
opened from it (view only for an administrator), a save in either tab shown in the other, and
only the saves that matter to the Measurements tab reading its assessments again."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit
from pytestqt.qtbot import QtBot

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.patient import Patient
from clinicdesk.services.clinical import TimelineKind
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import audit
from clinicdesk.ui.care.timeline import TimelineTab
from clinicdesk.ui.care.treatment_form import TreatmentForm
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import Clinic
from tests.domain.test_assessments import region_row
from tests.services.clinical_setup import (
    TREATED_ON,
    consultation_form,
    eligible_patient,
    treatment_form,
)
from tests.ui.care.test_timeline import fill_treatment, rows
from tests.ui.conftest import WindowFactory
from tests.ui.measurements.test_assessments_view import fill_region, press_save, visit_headers

BASELINE_TITLE = "Trichoscopy assessment: frontal, vertex, occipital"


def with_baseline(clinic: Clinic, treated: bool = True) -> Patient:
    patient = eligible_patient(clinic)
    if treated:
        clinic.services.clinical.record_treatment(
            clinic.clinician, patient.id, treatment_form(clinic)
        )
    clinic.services.assessments.add(
        clinic.clinician,
        patient.id,
        {"visit_date": "01/03/2025"},
        [region_row("frontal"), region_row("vertex"), region_row("occipital")],
    )
    return patient


def open_on_timeline(
    open_window: WindowFactory, user: CurrentUser, patient: Patient
) -> tuple[MainWindow, TimelineTab]:
    window = open_window(user)
    window.open_patient(patient.id)
    window.tabs.setCurrentWidget(window.timeline)
    return window, window.timeline


def double_click_row(qtbot: QtBot, tab: TimelineTab, row: int) -> None:
    rect = tab.table.visualRect(tab.model.index(row, 2))
    # A view acts on a double click only at the index the first click pressed (Qt 6).
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def assessment_rows(tab: TimelineTab) -> list[int]:
    return [
        row
        for row in range(tab.model.rowCount())
        if (item := tab.model.item_at(row)) is not None and item.kind is TimelineKind.ASSESSMENT
    ]


def views_of_assessments(clinic: Clinic) -> int:
    return sum(
        1
        for e in audit.entries(clinic.services.db)
        if e.action == "view" and e.entity == "assessments"
    )


def test_an_assessment_is_listed_and_opens_for_correction_from_the_timeline(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = with_baseline(clinic)
    window, tab = open_on_timeline(open_window, clinic.clinician, patient)
    [row] = assessment_rows(tab)
    assert rows(tab)[row] == ("01/03/2025", "Assessment", BASELINE_TITLE)
    assert rows(tab)[row - 1][1] == "Treatment"  # the baseline comes before the treatment

    double_click_row(qtbot, tab, row)
    dialog = window.measurements.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == "Assessment of 01/03/2025 — Siobhán O'Brien · born 03/07/1985"
    assert dialog.cell(Region.VERTEX, "total_density").text() == "120"
    dialog.satisfaction_box.setCurrentIndex(dialog.satisfaction_box.findData("6"))
    dialog.set_cell(Region.VERTEX, "total_density", "125")
    press_save(dialog)

    assert not dialog.isVisible()
    [row] = assessment_rows(tab)
    assert rows(tab)[row][2] == f"{BASELINE_TITLE} (satisfaction 6/10)"
    # The Measurements tab shows the correction without reading the assessments again.
    assert window.measurements.assessments[0].details.satisfaction == 6
    (stored,) = clinic.services.assessments.list_for_patient(clinic.clinician, patient.id)
    assert stored.version == 2


def test_an_admin_opens_a_timeline_assessment_view_only(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = with_baseline(clinic)
    window, tab = open_on_timeline(open_window, clinic.admin, patient)
    [row] = assessment_rows(tab)
    tab.table.setFocus()
    tab.table.selectRow(row)
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    dialog = window.measurements.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.read_only
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Save) is None
    dialog.reject()


def test_an_assessment_saved_in_the_measurements_tab_shows_in_the_timeline(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = with_baseline(clinic)
    window, tab = open_on_timeline(open_window, clinic.clinician, patient)
    assert len(assessment_rows(tab)) == 1
    window.tabs.setCurrentWidget(window.measurements)
    timeline_views = len(audit.entries(clinic.services.db))

    window.measurements.new_button.click()
    dialog = window.measurements.dialog
    assert dialog is not None
    date_edit = dialog.visit_date.editor
    assert isinstance(date_edit, QLineEdit)
    date_edit.setText("10/06/2025")
    fill_region(dialog, Region.FRONTAL, total_density="131")
    press_save(dialog)
    assert not dialog.isVisible()

    # The hidden timeline is not read (an audited view nobody saw) until it is shown.
    new = audit.entries(clinic.services.db)[timeline_views:]
    assert [e.entity for e in new if e.action == "view"] == []
    window.tabs.setCurrentWidget(tab)
    assert len(assessment_rows(tab)) == 2
    assert rows(tab)[assessment_rows(tab)[0]] == (
        "10/06/2025",
        "Assessment",
        "Trichoscopy assessment: frontal",
    )


def test_a_treatment_saved_in_the_timeline_moves_the_measurements_baseline(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = with_baseline(clinic, treated=False)
    clinic.services.assessments.add(
        clinic.clinician, patient.id, {"visit_date": "10/06/2025"}, [region_row("frontal")]
    )
    window, tab = open_on_timeline(open_window, clinic.clinician, patient)
    measurements = window.measurements
    assert measurements.treatment_date is None
    before = views_of_assessments(clinic)

    # A consultation (or adverse event) does not concern the Measurements tab.
    consultation = clinic.services.clinical.add_consultation(
        clinic.clinician, patient.id, consultation_form(clinic)
    )
    tab.changed.emit(consultation)
    assert views_of_assessments(clinic) == before

    tab.record_treatment()
    form = tab.form
    assert isinstance(form, TreatmentForm)
    fill_treatment(qtbot, form)
    form.save_button.click()  # type: ignore[union-attr]
    assert not form.isVisible()
    # Hidden: read when next shown, once (its list and its baseline report).
    assert views_of_assessments(clinic) == before
    window.tabs.setCurrentWidget(measurements)
    assert measurements.treatment_date == TREATED_ON
    assert visit_headers(measurements) == ["01/03/2025\nbaseline", "10/06/2025"]
    assert views_of_assessments(clinic) == before + 2
