"""A measurements CSV refused for its columns: the dialog lists the required columns and the
optional ones separately, marks which required ones are missing, and names the columns it did
not recognise (often the same ones misspelt)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.conftest import Clinic
from tests.ui.conftest import WindowFactory
from tests.ui.measurements.test_assessments_view import open_registered


def test_a_csv_missing_a_required_column_lists_required_and_optional_columns_apart(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, tmp_path: Path
) -> None:
    _window, tab, patient_id = open_registered(clinic, open_window)
    header = (
        "visit_date,region,total_density,terminal_density,vellus_density,"
        "mean_diameter_um,thin_hairs_pct,FU dens,hairs_per_fu,anagen_pct"
    )
    path = tmp_path / "export.csv"
    path.write_text(f"{header}\n12/03/2024,frontal,120,80,40,60,25,60,2.0,80\n")
    tab.import_csv(path)
    qtbot.waitUntil(lambda: tab.import_task is None)

    dialog = tab.problems_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.grab().save("/tmp/dup_csv_columns.png")
    assert dialog.summary.text() == (
        "Nothing was imported from export.csv: it is missing the required column(s) "
        "fu_density. Columns not recognised: FU dens."
    )
    lines = [line for line in dialog.columns_hint.text().splitlines() if line]
    assert lines[1:] == [
        "Required columns: visit_date, region, total_density, terminal_density, "
        "vellus_density, mean_diameter_um, thin_hairs_pct, fu_density (missing), hairs_per_fu.",
        "Optional columns (may be left out or blank): measurement_site, anagen_pct, "
        "telogen_pct, yellow_dots, hair_mass.",
    ]
    assert clinic.services.assessments.list_for_patient(clinic.clinician, patient_id) == []
