"""The editable tables of the medical history (ItemTable): what counts as an edit."""

from __future__ import annotations

from datetime import date

from pytestqt.qtbot import QtBot

from clinicdesk.domain.medical import Allergy, LabResult, LabTest, MedicalHistory
from clinicdesk.domain.patient import Sex
from clinicdesk.ui.patients.medical_history import MedicalHistoryTab


def test_marking_cells_and_working_out_lab_ranges_are_not_edits(qtbot: QtBot) -> None:
    tab = MedicalHistoryTab()
    qtbot.addWidget(tab)
    history = MedicalHistory(
        allergies=(Allergy("Penicillin", "rash"),),
        labs=(
            LabResult(LabTest.FERRITIN, 12.0, date(2026, 1, 5)),
            LabResult(LabTest.TSH, 2.1, date(2026, 1, 5)),
        ),
    )
    tab.load(history, date(2026, 3, 1), Sex.FEMALE)
    edits: list[str] = []
    tab.labs.changed.connect(lambda: edits.append("labs"))
    tab.changed.connect(lambda: edits.append("history"))

    tab.show_errors({"labs[0].value": "must be a number", "allergies[0].substance": "too long"})
    tab.show_errors({})
    tab.show_lab_ranges()
    assert edits == []  # nothing here is the user's edit: the record is not marked changed
    assert tab.labs.cell_text(0, "flag").startswith("Low")

    tab.labs.set_cell(1, "value", "9.5")  # a real edit still counts, and the flag follows
    assert "history" in edits
    assert tab.labs.cell_text(1, "flag").startswith("High")


def test_a_coded_cell_in_error_is_marked_until_the_error_is_gone(qtbot: QtBot) -> None:
    tab = MedicalHistoryTab()
    qtbot.addWidget(tab)
    history = MedicalHistory(labs=(LabResult(LabTest.FERRITIN, 12.0, date(2026, 1, 5)),))
    tab.load(history, date(2026, 3, 1), Sex.FEMALE)
    combo = tab.labs.table.cellWidget(0, 0)
    assert combo is not None and "background" not in combo.styleSheet()

    tab.show_errors({"labs[0].test": "choose a test"})
    assert "#f8d7da" in combo.styleSheet()
    assert "Row 1, Test: choose a test" in tab.labs.error_label.text()
    tab.show_errors({"labs[0].test": "choose a test"})  # shown again: still marked
    assert "#f8d7da" in combo.styleSheet()

    tab.show_errors({})
    assert combo.styleSheet() == ""
    assert not tab.labs.error_label.isVisibleTo(tab)
