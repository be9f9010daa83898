"""The clinic number in the main window: a column of the patient list, found by typing it in
the search box, and in the header of the open record (beside date of birth and NHS number)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from clinicdesk.ui.patients.patient_list import COLUMNS
from tests.conftest import VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory, type_text


def test_typing_the_clinic_number_finds_the_patient_and_the_header_shows_it(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, tmp_path: Path
) -> None:
    services = clinic.services.patients
    services.register(clinic.reception, dict(VALID_PATIENT))
    services.register(
        clinic.reception,
        VALID_PATIENT | {"first_name": "Nora", "last_name": "Without", "nhs_number": ""},
    )
    window = open_window(clinic.reception)
    model = window.model
    number_column = COLUMNS.index("Clinic no.")
    listed = {
        model.index(row, 0).data(): model.index(row, number_column).data()
        for row in range(model.rowCount())
    }
    assert listed == {"O'BRIEN, Siobhán": "M-00001", "WITHOUT, Nora": "M-00002"}

    type_text(qtbot, window.search_box, "m-00002")
    qtbot.waitUntil(lambda: model.query == "m-00002")
    assert [model.index(row, 0).data() for row in range(model.rowCount())] == ["WITHOUT, Nora"]
    qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.header.name.text() == "Ms Nora Without")
    # No NHS number: the clinic number is the second identifier beside the date of birth.
    facts = window.header.facts.text()
    assert facts.startswith("Clinic no. M-00002   ·   Born 03/07/1985")
    assert "NHS" not in facts
    window.header.grab().save(str(tmp_path / "header.png"))
