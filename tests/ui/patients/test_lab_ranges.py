"""Medical history > Blood tests: each result shows its unit and usual range, and a result
outside the range says "Low" or "High" in words; none of it is saved or marks the record."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.medical import LabResult, LabTest, MedicalHistory
from clinicdesk.domain.patient import Sex
from tests.conftest import VALID_PATIENT, Clinic
from tests.ui.conftest import WindowFactory


def lab_row(window, row: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    labs = window.medical.labs
    return {c.key: labs.cell_text(row, c.key) for c in labs.columns}


def test_units_ranges_and_flags_beside_each_result(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))  # woman
    today = clinic.services.patients.today()
    clinic.services.patients.save_medical_history(
        clinic.clinician,
        patient.id,
        MedicalHistory(
            labs=(LabResult(LabTest.FERRITIN, 12, today), LabResult(LabTest.TSH, 2.1, today))
        ),
    )
    window = open_window(clinic.clinician)
    window.open_patient(patient.id)
    assert lab_row(window, 0) == {
        "test": "ferritin",
        "value": "12",
        "unit": "µg/L",
        "taken_on": format_uk(today),
        "range": "women 15–150 µg/L",
        "flag": "Low (below 15)",
    }
    assert lab_row(window, 1)["unit"] == "mU/L"
    assert lab_row(window, 1)["flag"] == ""
    assert not window.has_unsaved_changes  # showing ranges is not an edit

    labs = window.medical.labs
    labs.set_cell(1, "value", "6.3")  # the flag follows the typing
    assert lab_row(window, 1)["flag"] == "High (above 4.2)"
    labs.set_cell(1, "test", "vitamin_d")  # and the chosen test
    assert (lab_row(window, 1)["unit"], lab_row(window, 1)["flag"]) == (
        "nmol/L",
        "Low (below 50)",
    )
    labs.add_button.click()
    assert lab_row(window, 2)["unit"] == "µg/L"  # a new row starts as ferritin
    labs.set_cell(2, "value", "plenty")
    assert lab_row(window, 2)["flag"] == ""  # not a number: the save will say so
    assert window.has_unsaved_changes
    assert set(labs.rows()[0]) == {"test", "value", "taken_on", "id"}  # shown, never saved


def test_a_mans_ferritin_is_read_against_the_mens_range(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    details = dict(VALID_PATIENT, sex="M", nhs_number="")
    patient = clinic.services.patients.register(clinic.clinician, details)
    assert patient.details.sex is Sex.MALE
    today = clinic.services.patients.today()
    clinic.services.patients.save_medical_history(
        clinic.clinician,
        patient.id,
        MedicalHistory(labs=(LabResult(LabTest.FERRITIN, 20, today),)),
    )
    window = open_window(clinic.clinician)
    window.open_patient(patient.id)
    assert lab_row(window, 0)["range"] == "men 30–400 µg/L"
    assert lab_row(window, 0)["flag"] == "Low (below 30)"
