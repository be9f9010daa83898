"""The patient list model: what each row shows, an archived record marked in words and grey,
and the short column titles explained in their tooltips."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from clinicdesk.ui.patients.patient_list import PatientListModel
from tests.conftest import VALID_PATIENT, Clinic


def test_rows_show_the_patient_and_an_archived_record_is_marked(
    qtbot: QtBot, clinic: Clinic
) -> None:
    patients = clinic.services.patients
    live = patients.register(clinic.admin, dict(VALID_PATIENT))
    gone = patients.register(
        clinic.admin, dict(VALID_PATIENT, first_name="Ava", last_name="Byrne", nhs_number="")
    )
    patients.set_archived(clinic.admin, gone.id, gone.version, True)
    model = PatientListModel(patients, clinic.admin)
    model.set_include_archived(True)
    by_id = {model.data(model.index(row, 0), Qt.ItemDataRole.UserRole): row for row in range(2)}
    live_row, gone_row = by_id[live.id], by_id[gone.id]

    name = model.index(live_row, 0)
    assert model.data(name) == "O'BRIEN, Siobhán"
    assert model.data(model.index(live_row, 1)) == "03/07/1985"
    assert model.data(name, Qt.ItemDataRole.ToolTipRole) is None
    assert model.data(name, Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(name, Qt.ItemDataRole.FontRole) is None

    archived = model.index(gone_row, 0)
    assert model.data(archived) == "[archived] BYRNE, Ava"
    assert model.data(archived, Qt.ItemDataRole.ToolTipRole) == "Archived record"
    assert model.data(archived, Qt.ItemDataRole.ForegroundRole) == QColor("gray")
    assert model.data(model.index(5, 0)) is None  # no such row

    horizontal = Qt.Orientation.Horizontal
    assert model.headerData(3, horizontal) == "NHS no."
    assert model.headerData(3, horizontal, Qt.ItemDataRole.ToolTipRole) == "NHS number"
    assert model.headerData(0, horizontal, Qt.ItemDataRole.ToolTipRole) is None
