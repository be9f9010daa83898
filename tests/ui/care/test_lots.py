"""Clinic > Find lot: the patients treated with a kit or anaesthetic lot, and the CSV export."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from clinicdesk.domain.ids import PatientId
from clinicdesk.errors import UserError
from clinicdesk.services.clinical import LotMatch
from clinicdesk.ui.care.lots import COLUMNS, CSV_COLUMNS, LotFinderDialog, write_lot_csv
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import Clinic
from tests.services.clinical_setup import eligible_patient, treatment_form
from tests.ui.conftest import WindowFactory, type_text


def treat(clinic: Clinic, first: str, last: str, **lots: str) -> str:
    patient = eligible_patient(clinic, first_name=first, last_name=last)
    clinic.services.clinical.record_treatment(
        clinic.clinician, patient.id, treatment_form(clinic, **lots)
    )
    return patient.id


def open_finder(window: MainWindow) -> LotFinderDialog:
    assert window.find_lot_action.isVisible()
    window.find_lot_action.trigger()
    dialog = window.lot_finder
    assert isinstance(dialog, LotFinderDialog) and dialog.isVisible()
    return dialog


def shown(dialog: LotFinderDialog) -> list[dict[str, str]]:
    model = dialog.model
    return [
        {name: str(model.data(model.index(row, col))) for col, name in enumerate(COLUMNS)}
        for row in range(model.rowCount())
    ]


def test_the_lot_finder_finds_exactly_the_patients_treated_with_the_lot(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    qtmodeltester: ModelTester,
    tmp_path: Path,
) -> None:
    ada = treat(clinic, "Ada", "Archer", kit_lot="KIT-24-0012")
    bea = treat(clinic, "Bea", "Baker", kit_lot="LOT-9", anaesthetic_lot="kit-24-0012")
    treat(clinic, "Cal", "Carter", kit_lot="KIT-24-00123")  # a longer lot: not a match
    window = open_window(clinic.clinician)
    dialog = open_finder(window)
    qtmodeltester.check(dialog.model)
    assert not dialog.export_button.isEnabled()

    qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == "Type the lot number to look for."

    type_text(qtbot, dialog.lot_edit, " KIT-24-0012 ")
    qtbot.keyClick(dialog.lot_edit, Qt.Key.Key_Return)
    rows = shown(dialog)
    assert sorted((r["Patient"], r["Matched"]) for r in rows) == [
        ("ARCHER, Ada", "Kit lot"),
        ("BAKER, Bea", "Anaesthetic lot"),
    ]
    assert {r["Treated on"] for r in rows} == {"10/03/2025"}
    assert {r["Date of birth"] for r in rows} == {"03/07/1985"}
    assert dialog.count_label.text() == "2 patients (2 treatments) treated with lot KIT-24-0012."
    assert dialog.error_label.isHidden()

    # Open a patient in the main window.
    row = next(i for i, r in enumerate(rows) if r["Patient"] == "BAKER, Bea")
    dialog.table.selectRow(row)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert window.patient is not None and window.patient.id == bea

    # Export what is shown.
    path = tmp_path / "notice.csv"
    assert dialog.export_csv(path) == 2
    with path.open(encoding="utf-8-sig", newline="") as handle:
        exported = list(csv.reader(handle))
    assert exported[0] == list(CSV_COLUMNS)
    assert sorted((r[0], r[7], r[9], r[10]) for r in exported[1:]) == sorted(
        [(ada, "KIT-24-0012", "LD7731", "kit"), (bea, "LOT-9", "kit-24-0012", "anaesthetic")]
    )
    assert not list(tmp_path.glob(".*partial"))
    assert dialog.count_label.text() == "Exported 2 treatments to notice.csv."
    # The list names patients: its leaving the program is on the audit trail.
    action, entity_id, detail = clinic.services.db.execute(
        "SELECT action, entity_id, detail FROM audit_log ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    assert (action, entity_id) == ("export", "KIT-24-0012")
    assert json.loads(detail) == {"treatments": 2, "patients": 2, "format": "csv"}

    dialog.lot_edit.clear()
    type_text(qtbot, dialog.lot_edit, "KIT-24-001")  # part of a lot finds nothing
    qtbot.keyClick(dialog.lot_edit, Qt.Key.Key_Return)
    assert shown(dialog) == []
    assert dialog.count_label.text() == "No treatment used lot KIT-24-001."
    assert not dialog.export_button.isEnabled()


def test_reception_has_no_lot_finder(clinic: Clinic, open_window: WindowFactory) -> None:
    window = open_window(clinic.reception)
    assert not window.find_lot_action.isVisible()
    assert window.follow_ups_action.isVisible()
    assert window.clinic_menu.menuAction().isVisible()
    admin_window = open_window(clinic.admin)
    assert open_finder(admin_window).isVisible()  # administrators may view clinical records


def test_the_csv_cannot_smuggle_formulas_into_a_spreadsheet(tmp_path: Path) -> None:
    match = LotMatch(
        PatientId("p1"),
        '=HYPERLINK("http://x")',
        "@Evil",
        date(1985, 7, 3),
        "t1",
        date(2025, 3, 10),
        "+Kit",
        "-0012",
        "Lidocaine",
        "LD7731",
        ("kit",),
    )
    path = tmp_path / "lot.csv"
    path.write_text("an earlier export\n", encoding="utf-8")
    assert write_lot_csv(path, [match]) == 1
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1] == [
        "p1",
        "'@Evil",
        '\'=HYPERLINK("http://x")',
        "1985-07-03",
        "t1",
        "2025-03-10",
        "'+Kit",
        "'-0012",
        "Lidocaine",
        "LD7731",
        "kit",
    ]


def test_a_failed_export_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "lot.csv"
    with pytest.raises(UserError, match="could not be written"):
        write_lot_csv(target, [])
    assert not target.exists()


def test_export_asks_where_adds_csv_and_shows_a_refusal(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

    from clinicdesk.ui.widgets.table_model import export_csv_as
    from tests.ui.conftest import click_message_button, when_modal

    parent = QWidget()
    qtbot.addWidget(parent)
    written: list[Path] = []
    answer = str(tmp_path / "notice")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (answer, ""))
    export_csv_as(parent, "Export", tmp_path / "x.csv", written.append)
    assert written == [tmp_path / "notice.csv"]  # .csv added when left off

    def refuse(_path: Path) -> None:
        raise UserError("The folder is read-only; choose another.")

    seen = when_modal(click_message_button(QMessageBox.StandardButton.Ok))
    export_csv_as(parent, "Export", tmp_path / "x.csv", refuse)
    qtbot.waitUntil(lambda: bool(seen))
    assert "read-only" in seen[0]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    export_csv_as(parent, "Export", tmp_path / "x.csv", written.append)  # cancelled
    assert len(written) == 1
