"""Admin > Erasure request for this patient and Admin > Records due for destruction, driven
as an administrator would drive them; other roles never see them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from clinicdesk.ui.admin.retention import ErasureRequestDialog, RetentionDialog
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import Clinic
from tests.services.retention_setup import frozen, treated_patient
from tests.ui.conftest import WindowFactory, click_message_button, type_text, when_modal


def listed_ids(window: MainWindow) -> set[str]:
    model = window.model
    return {
        summary.id
        for row in range(model.rowCount())
        if (summary := model.summary_at(row)) is not None
    }


def test_other_roles_see_neither_action(open_window: WindowFactory, clinic: Clinic) -> None:
    for user in (clinic.reception, clinic.clinician):
        window = open_window(user)
        assert not window.erasure_action.isVisible()
        assert not window.retention_action.isVisible()


def test_an_erasure_request_closes_the_record_and_it_leaves_the_list(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, tmp_path: Path
) -> None:
    patient = treated_patient(clinic, tmp_path)
    other = treated_patient(clinic, tmp_path, first_name="Bea")
    window = open_window(clinic.admin)
    window.run_search()
    assert listed_ids(window) == {patient.id, other.id}
    window.open_patient(patient.id)
    assert window.erasure_action.isEnabled()
    window.erasure_action.trigger()
    dialog = window.erasure_dialog
    assert isinstance(dialog, ErasureRequestDialog)
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert "reason" in dialog.message.text() and dialog.isVisible()
    type_text(qtbot, dialog.reason, "Letter from the patient, 03/02/2026")
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert window.patient is None
    assert listed_ids(window) == {other.id}
    assert "restricted" in window.statusBar().currentMessage()


def test_the_schedule_opens_a_restricted_record_with_a_reason_and_destroys_when_due(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, tmp_path: Path
) -> None:
    patient = treated_patient(clinic, tmp_path)
    clinic.services.retention.request_erasure(clinic.admin, patient.id, "Letter of 03/02/2026")
    # The clock after the retention date (8 years after the 2025 treatment).
    clinic.services.__dict__["retention"] = frozen(clinic, date(2034, 1, 2))
    window = open_window(clinic.admin)
    window.retention_action.trigger()
    dialog = window.retention_dialog
    assert isinstance(dialog, RetentionDialog)
    qtbot.waitExposed(dialog)
    table = dialog.table
    assert table.rowCount() == 1
    assert table.item(0, 3).text() == "10/03/2033"
    assert "Restricted" in table.item(0, 4).text()
    table.selectRow(0)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert "reason" in dialog.message.text()
    assert window.patient is None
    type_text(qtbot, dialog.reason, "Solicitor's letter of 12/01/2026")
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert window.patient is not None and window.patient.id == patient.id
    opened = clinic.services.db.execute(
        "SELECT entity_id FROM audit_log WHERE action = 'open_restricted'"
    ).fetchall()
    assert opened == [(patient.id,)]
    window.show_placeholder()
    # Destroying asks first; Cancel keeps the record.
    dialog.activateWindow()
    table.selectRow(0)
    when_modal(click_message_button(QMessageBox.StandardButton.Cancel))
    qtbot.mouseClick(dialog.destroy_button, Qt.MouseButton.LeftButton)
    assert clinic.services.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 1
    seen = when_modal(click_message_button(QMessageBox.StandardButton.Yes))
    qtbot.mouseClick(dialog.destroy_button, Qt.MouseButton.LeftButton)
    assert "Destroy the record of" in seen[0]
    assert clinic.services.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 0
    assert table.rowCount() == 0
    assert dialog.message.text().startswith("The record was destroyed.")


def test_the_retention_period_is_set_in_the_schedule_and_moves_the_dates(
    qtbot: QtBot, open_window: WindowFactory, clinic: Clinic, tmp_path: Path
) -> None:
    patient = treated_patient(clinic, tmp_path)
    clinic.services.retention.request_erasure(clinic.admin, patient.id, "Letter of 03/02/2026")
    window = open_window(clinic.admin)
    window.retention_action.trigger()
    dialog = window.retention_dialog
    qtbot.waitExposed(dialog)
    assert dialog.years.value() == 8 and dialog.years.minimum() == 8
    assert dialog.table.item(0, 3).text() == "10/03/2033"
    dialog.years.setValue(10)
    qtbot.mouseClick(dialog.save_years_button, Qt.MouseButton.LeftButton)
    assert dialog.table.item(0, 3).text() == "10/03/2035"
    assert "kept 10 years" in dialog.note.text()
    assert clinic.services.retention.retention_years() == 10
    changed = clinic.services.db.execute(
        "SELECT entity_id FROM audit_log WHERE action = 'update' AND entity = 'setting'"
    ).fetchall()
    assert ("retention_years",) in changed
