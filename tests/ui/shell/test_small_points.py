"""Smaller points a user would notice: counts in words, a grade chosen rather than defaulted,
phone numbers in the lot look-up, overrides marked in the Timeline, and one demo size."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from clinicdesk.domain.classification import HairLossScale
from clinicdesk.paths import Paths
from clinicdesk.ui.care.lots import COLUMNS
from clinicdesk.ui.shell.first_run import FirstRunDialog
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import VALID_PATIENT, Clinic
from tests.services.clinical_setup import eligible_patient, treatment_form
from tests.ui.conftest import WindowFactory, type_text

README = Path(__file__).resolve().parents[3] / "README.md"


def test_one_minute_is_singular(clinic: Clinic, open_window: WindowFactory) -> None:
    window = open_window(clinic.admin)
    window.set_idle_lock_time(1)
    assert "locks after 1 minute idle" in window.statusBar().currentMessage()


def test_a_grade_starts_empty_and_adding_without_one_stores_nothing(
    clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = clinic.services.patients.register(clinic.clinician, dict(VALID_PATIENT))
    window = open_window(clinic.clinician)
    window.open_patient(patient.id)
    tab = window.classification
    window.tabs.setCurrentWidget(tab)
    assert tab.grade.currentIndex() == -1 and tab.grade.currentText() == ""
    tab.add_button.click()
    assert clinic.services.patients.classifications(clinic.clinician, patient.id) == []
    assert tab.grade_field.error == "Choose a grade from the list"
    tab.scale.setCurrentIndex(tab.scale.findData(HairLossScale.NORWOOD_HAMILTON.value))
    assert tab.grade.currentText() == ""  # another scale: still nothing chosen
    tab.grade.setCurrentText("III")
    tab.add_button.click()
    entries = clinic.services.patients.classifications(clinic.clinician, patient.id)
    assert [e.grade for e in entries] == ["III"]
    assert tab.grade.currentText() == "" and tab.grade_field.error == ""


def test_the_lot_look_up_shows_the_phone_number_to_ring(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    patient = eligible_patient(clinic, phone="07700 900456")
    clinic.services.clinical.record_treatment(
        clinic.clinician, patient.id, treatment_form(clinic, kit_lot="KIT-7")
    )
    window = open_window(clinic.clinician)
    window.open_lot_finder()
    dialog = window.lot_finder
    type_text(qtbot, dialog.lot_edit, "KIT-7")
    qtbot.keyClick(dialog.lot_edit, Qt.Key.Key_Return)
    model = dialog.model
    assert model.rowCount() == 1
    assert model.index(0, COLUMNS.index("Phone")).data() == "07700 900456"


def test_a_treatment_saved_with_an_override_is_marked_in_the_timeline(
    clinic: Clinic, open_window: WindowFactory
) -> None:
    blocked = eligible_patient(clinic, consented=False)  # no signed consent: blocked
    reason = "Consent signed on paper, scan to follow"
    saved = clinic.services.clinical.record_treatment(
        clinic.clinician, blocked.id, treatment_form(clinic), override_reason=reason
    )
    assert saved.treatment.overrides  # the override was needed and stored
    eligible = eligible_patient(clinic, first_name="Tomasz", last_name="Nowak")
    clinic.services.clinical.record_treatment(clinic.clinician, eligible.id, treatment_form(clinic))
    window: MainWindow = open_window(clinic.clinician)

    def treatment_title(patient_id: str) -> str:
        window.open_patient(patient_id)
        window.tabs.setCurrentWidget(window.timeline)
        model = window.timeline.model
        titles = [str(model.index(r, 2).data()) for r in range(model.rowCount())]
        return next(t for t in titles if t.startswith("Micrograft treatment"))

    assert treatment_title(blocked.id).endswith(f"(override: {reason})")
    assert "override" not in treatment_title(eligible.id)


def test_the_first_run_screen_and_the_readme_give_the_same_demo_size(
    qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = FirstRunDialog(Paths(tmp_path / "new"))
    qtbot.addWidget(dialog)
    on_screen = re.search(r"(\d+) synthetic patients", dialog.demo_text.text())
    readme = README.read_text(encoding="utf-8")
    in_readme = re.search(r"Open demo clinic\*\*: a clinic of (\d+) synthetic patients", readme)
    cli_default = re.search(r"synthetic patients \(default (\d+)\)", readme)
    assert on_screen and in_readme and cli_default
    assert on_screen.group(1) == in_readme.group(1) == cli_default.group(1)
