"""The Measurements tab and the assessment form, driven as a clinician would: bounds shown at
the offending cell with nothing saved, a corrected form saved and shown with its change against
the baseline, CSV imports (good, with a BOM and Windows line endings; bad, every problem listed
and nothing imported), the chart's points, and who sees the tab at all."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit
from pytestqt.qtbot import QtBot

from clinicdesk.domain.assessment_csv import CSV_HEADER
from clinicdesk.domain.assessments import Region
from clinicdesk.storage import audit
from clinicdesk.ui.measurements.assessments import AssessmentDialog
from clinicdesk.ui.measurements.tab import FIXED_COLUMNS, MeasurementsTab
from clinicdesk.ui.shell.main_window import MainWindow
from clinicdesk.ui.widgets.item_table import INVALID_BRUSH
from tests.conftest import VALID_PATIENT, Clinic
from tests.domain.test_assessments import region_row
from tests.ui.conftest import WindowFactory


def open_registered(
    clinic: Clinic, open_window: WindowFactory, user: str = "clinician"
) -> tuple[MainWindow, MeasurementsTab, str]:
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    window = open_window(getattr(clinic, user))
    window.open_patient(patient.id)
    window.tabs.setCurrentWidget(window.measurements)
    return window, window.measurements, patient.id


def fill_region(dialog: AssessmentDialog, region: Region, **overrides: str) -> None:
    for key, text in region_row(region.value, **overrides).items():
        if key != "region":
            dialog.set_cell(region, key, text)


def press_save(dialog: AssessmentDialog) -> None:
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert button is not None
    button.click()


def cell_text(tab: MeasurementsTab, row_label: str, region: str, visit: int) -> str:
    model = tab.model
    region_rows = [i for i, r in enumerate(model.table.rows) if r.region is not None]
    for i in region_rows:
        row = model.table.rows[i]
        assert row.region is not None
        if row.region.label == region and row.label == row_label:
            return str(model.index(i, len(FIXED_COLUMNS) + visit).data())
    raise AssertionError(f"no row {region} / {row_label}")


def visit_headers(tab: MeasurementsTab) -> list[str]:
    model = tab.model
    return [
        str(model.headerData(c, Qt.Orientation.Horizontal))
        for c in range(len(FIXED_COLUMNS), model.columnCount())
    ]


def test_an_out_of_range_density_is_refused_at_its_cell_then_saved_once_corrected(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window, tab, patient_id = open_registered(clinic, open_window)
    service = clinic.services.assessments
    service.add(clinic.clinician, patient_id, {"visit_date": "12/03/2024"}, [region_row()])
    window.open_patient(patient_id)
    assert visit_headers(tab) == ["12/03/2024\nbaseline"]

    tab.new_button.click()
    dialog = tab.dialog
    assert dialog is not None and dialog.isVisible()
    density_column = dialog.grid.horizontalHeaderItem(0)
    assert density_column is not None
    assert "must be between 0 and 600 hairs/cm²" in density_column.toolTip()
    date_edit = dialog.visit_date.editor
    assert isinstance(date_edit, QLineEdit)
    date_edit.setText("12/09/2024")
    dialog.satisfaction_box.setCurrentIndex(dialog.satisfaction_box.findData("7"))
    dialog.photo_score_box.setCurrentIndex(dialog.photo_score_box.findData(2))
    dialog.blinded.setChecked(True)
    fill_region(dialog, Region.FRONTAL, total_density="900")
    press_save(dialog)

    cell = dialog.cell(Region.FRONTAL, "total_density")
    assert cell.background() == INVALID_BRUSH
    assert cell.toolTip() == "must be between 0 and 600 hairs/cm²"
    assert dialog.error_label.isVisible()
    assert dialog.error_messages == ["Frontal, Total density: must be between 0 and 600 hairs/cm²"]
    assert dialog.isVisible()
    assert len(service.list_for_patient(clinic.clinician, patient_id)) == 1

    dialog.set_cell(Region.FRONTAL, "total_density", "127.1")
    press_save(dialog)

    assert not dialog.isVisible()
    stored = service.list_for_patient(clinic.clinician, patient_id)
    assert len(stored) == 2
    details = stored[1].details
    assert (details.satisfaction, details.global_photo_score, details.photo_score_blinded) == (
        7,
        2,
        True,
    )
    assert visit_headers(tab) == ["12/03/2024\nbaseline", "12/09/2024"]
    assert cell_text(tab, "Total density", "Frontal", 0) == "120.0"
    assert cell_text(tab, "Total density", "Frontal", 1) == "127.1   +7.1 (+5.9%)"
    assert "saved" in tab.status.text()


def test_double_clicking_a_visit_opens_it_for_correction(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    window, tab, patient_id = open_registered(clinic, open_window)
    clinic.services.assessments.add(
        clinic.clinician,
        patient_id,
        {"visit_date": "12/03/2024", "notes": "Baseline"},
        [region_row(), region_row("vertex")],
    )
    window.open_patient(patient_id)

    column = len(FIXED_COLUMNS)
    rect = tab.view.visualRect(tab.model.index(0, column))
    # A view acts on a double click only at the index the first click pressed (Qt 6).
    qtbot.mouseClick(tab.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tab.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = tab.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.notes.toPlainText() == "Baseline"
    assert dialog.cell(Region.VERTEX, "total_density").text() == "120"
    dialog.set_cell(Region.VERTEX, "mean_diameter_um", "64.5")
    press_save(dialog)

    assert not dialog.isVisible()
    (stored,) = clinic.services.assessments.list_for_patient(clinic.clinician, patient_id)
    vertex = stored.details.region(Region.VERTEX)
    assert stored.version == 2 and vertex is not None and vertex.mean_diameter_um == 64.5
    assert cell_text(tab, "Mean shaft diameter", "Vertex", 0) == "64.5"


GOOD_ROWS = [
    "12/03/2024,frontal,8 cm from glabella,120,80,40,60,25,60,2.0,,,,",
    "12/03/2024,occipital,occipital protuberance,200,180,20,75,10,90,2.2,,,,",
    "2024-06-12,frontal,8 cm from glabella,127.1,86,40,61.5,22,62,2.0,,,,",
    "12/09/2024,Frontal,8 cm from glabella,131,90,40,62,20,63,2.1,,,,",
]


def write_csv(path: Path, rows: list[str]) -> Path:
    # A UTF-8 byte-order mark and Windows line endings, as Excel writes them.
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([CSV_HEADER, *rows, ""]).encode("utf-8"))
    return path


def test_a_good_csv_with_bom_and_crlf_is_imported_and_charted(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, tmp_path: Path
) -> None:
    _window, tab, patient_id = open_registered(clinic, open_window)
    tab.import_csv(write_csv(tmp_path / "trichoscan.csv", GOOD_ROWS))
    # The file is read on a worker: the tab is back at once, and stores the visits after.
    assert tab.import_task is not None
    qtbot.waitUntil(lambda: tab.import_task is None)

    assert tab.problems_dialog is None
    assert visit_headers(tab) == ["12/03/2024\nbaseline", "12/06/2024", "12/09/2024"]
    assert len(clinic.services.assessments.list_for_patient(clinic.clinician, patient_id)) == 3
    assert tab.status.text() == "Imported 3 visits from trichoscan.csv."
    assert cell_text(tab, "Total density", "Frontal", 2) == "131.0   +11.0 (+9.2%)"
    assert cell_text(tab, "Total density", "Occipital (reference)", 1) == "—"
    ratio_row = tab.model.table.rows[-1]
    assert ratio_row.key == "frontal_occipital_diameter_ratio"
    assert tab.model.index(len(tab.model.table.rows) - 1, len(FIXED_COLUMNS)).data() == "0.80"

    # The chart: density and diameter of the chosen region, one point per visit.
    assert [tab.region_box.itemText(i) for i in range(tab.region_box.count())] == [
        "Frontal",
        "Occipital (reference)",
    ]
    series = tab.chart.series()
    assert [s.name() for s in series] == ["Total density (hairs/cm²)", "Mean shaft diameter (µm)"]
    density, diameter = tab.chart_view.density, tab.chart_view.diameter
    assert density.count() == 3 and diameter.count() == 3
    assert [density.at(i).y() for i in range(3)] == [120.0, 127.1, 131.0]
    assert [diameter.at(i).y() for i in range(3)] == [60.0, 61.5, 62.0]
    assert tab.chart.title() == "Frontal"
    tab.select_region(Region.OCCIPITAL)
    assert density.count() == 1 and diameter.count() == 1
    assert density.at(0).y() == 200.0
    assert tab.chart.title() == "Occipital (reference)"


def test_a_csv_read_while_another_patient_is_opened_goes_to_the_patient_it_was_for(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, tmp_path: Path
) -> None:
    window, tab, patient_id = open_registered(clinic, open_window)
    other = clinic.services.patients.register(
        clinic.clinician, {**VALID_PATIENT, "first_name": "Other", "nhs_number": ""}
    ).id
    tab.import_csv(write_csv(tmp_path / "trichoscan.csv", GOOD_ROWS))
    window.open_patient(other)
    qtbot.waitUntil(lambda: tab.import_task is None)
    assessments = clinic.services.assessments
    assert len(assessments.list_for_patient(clinic.clinician, patient_id)) == 3
    assert assessments.list_for_patient(clinic.clinician, other) == []
    assert tab.model.columnCount() == len(FIXED_COLUMNS)  # the other patient: nothing shown
    assert window.statusBar().currentMessage() == "Imported 3 visits from trichoscan.csv."


def test_a_bad_csv_lists_every_problem_and_imports_nothing(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, tmp_path: Path
) -> None:
    _window, tab, patient_id = open_registered(clinic, open_window)
    rows = [
        GOOD_ROWS[0],
        "12/03/2024,occipital,,900,180,20,75,10,90,2.2,,,,",
        "31/02/2024,frontal,,120,80,40,200,25,60,2.0,,,,",
        "12/04/2024,crown,,120,80,40,60,25,60,2.0,,,,",
    ]
    tab.import_csv(write_csv(tmp_path / "bad.csv", rows))
    qtbot.waitUntil(lambda: tab.import_task is None)

    dialog = tab.problems_dialog
    assert dialog is not None and dialog.isVisible()
    problems = dialog.problems()
    assert problems[0] == (
        "Row 3, total_density (Total density): must be between 0 and 600 hairs/cm²"
    )
    assert any(p.startswith("Row 4, visit_date:") for p in problems)
    assert "Row 4, mean_diameter_um (Mean shaft diameter): must be between 5 and 150 µm" in (
        problems
    )
    assert any(p.startswith("Row 5, region: must be one of") for p in problems)
    assert len(problems) == 4
    assert "4 problem(s)" in dialog.summary.text()
    assert clinic.services.assessments.list_for_patient(clinic.clinician, patient_id) == []
    assert tab.model.columnCount() == len(FIXED_COLUMNS)
    assert tab.status.text() == "Nothing was imported from bad.csv."


def test_reception_has_no_measurements_tab_and_admin_only_views(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    clinic.services.assessments.add(
        clinic.clinician, patient.id, {"visit_date": "12/03/2024"}, [region_row()]
    )
    reception = open_window(clinic.reception)
    reception.open_patient(patient.id)
    labels = [reception.tabs.tabText(i) for i in range(reception.tabs.count())]
    assert reception.tabs.indexOf(reception.measurements) < 0
    assert not any("surements" in label for label in labels)
    assert reception.measurements.model.rowCount() == 0

    admin = open_window(clinic.admin)
    admin.open_patient(patient.id)
    tab = admin.measurements
    assert admin.tabs.indexOf(tab) == admin.tabs.indexOf(admin.classification) + 1
    admin.tabs.setCurrentWidget(tab)
    assert not tab.new_button.isVisible() and not tab.import_button.isVisible()
    assert tab.model.columnCount() == len(FIXED_COLUMNS) + 1
    tab.open_visit(0)
    dialog = tab.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Save) is None
    assert dialog.cell(Region.FRONTAL, "total_density").text() == "120"


def test_opening_a_record_is_one_audited_view_and_measurements_are_read_when_shown(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    """Opening a record audits the one view of it; the assessments (another audited view,
    and the table and chart to fill) are read only when the Measurements tab is shown."""
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    clinic.services.assessments.add(
        clinic.clinician, patient.id, {"visit_date": "12/03/2024"}, [region_row()]
    )
    window = open_window(clinic.clinician)

    def views() -> list[tuple[str, str]]:
        entries = audit.entries(clinic.services.db, user_id=clinic.clinician.id, action="view")
        return [(e.entity, e.entity_id) for e in entries]

    before = len(views())
    window.open_patient(patient.id)
    assert views()[before:] == [("patient", patient.id)]
    tab = window.measurements
    assert tab.model.columnCount() == len(FIXED_COLUMNS)  # nothing read yet

    window.tabs.setCurrentWidget(tab)
    assert tab.model.columnCount() == len(FIXED_COLUMNS) + 1
    assert len(views()) > before + 1  # the assessments were read (and audited) now
