"""Clinic > Conflicts on clinical records, driven with qtbot: a treatment's conflicting field
settled by picking the other site's value (saved as the clinician's audited edit, the conflict
gone), a merged value the treatment refuses (named, the conflict kept), and a record no service
changes field by field (the tab to change it in named).

The parked rows are written as the sync engine writes them (``sync_conflicts``), without a hub:
tests/sync/test_sync_conflict_resolution.py makes them with two replicas syncing."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from clinicdesk.domain.clinical import Treatment
from clinicdesk.services.conflicts import ConflictService
from clinicdesk.ui.sync.conflicts import ConflictsDialog
from tests.conftest import Clinic
from tests.services.clinical_setup import eligible_patient, treatment_form
from tests.services.parked_conflicts import park


def treated(clinic: Clinic) -> tuple[str, Treatment]:
    patient = eligible_patient(clinic)
    saved = clinic.services.clinical.record_treatment(
        clinic.clinician, patient.id, treatment_form(clinic, punches="4")
    )
    return patient.display_name, saved.treatment


def rows_of(dialog: ConflictsDialog) -> list[list[str]]:
    table = dialog.table
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]  # type: ignore[union-attr]
        for r in range(table.rowCount())
    ]


def test_a_treatment_conflict_is_settled_by_picking_the_other_sites_value(
    qtbot: QtBot, clinic: Clinic
) -> None:
    name, treatment = treated(clinic)
    park(
        clinic,
        "treatments",
        treatment.id,
        {"punches": 4, "treated_zones": '["frontal", "vertex"]'},
        {"punches": 5, "treated_zones": '["vertex"]'},
        patient_id=None,  # a whole row parked from a change that carried no patient_id
    )
    dialog = ConflictsDialog(clinic.services, clinic.clinician)
    qtbot.addWidget(dialog)
    dialog.show()

    rows = rows_of(dialog)
    assert [r[:3] for r in rows] == [
        [name, "Treatment", "Number of punches"],
        [name, "Treatment", "Treated zones"],
    ]
    assert rows[0][3].startswith("4   (Dr Cara Clinician, 11/03/2025 09:15)")
    assert rows[0][4].startswith("5   (Ada Admin, 11/03/2025 10:40)")
    # Coded values by the labels the Timeline tab's form shows, not the stored codes.
    assert rows[1][3].startswith("Frontal, Vertex   (") and rows[1][4].startswith("Vertex   (")
    dialog.table.selectRow(0)
    assert dialog.save_button.isVisible() and not dialog.resolved_button.isVisible()
    punches = dialog.choices["punches"]
    assert [punches.itemText(i) for i in range(punches.count())] == ["4", "5"]
    punches.setCurrentIndex(1)  # the other site's value
    dialog.choices["treated_zones"].setEditText("frontal, Mid-scalp")  # a merged one, typed
    dialog.grab().save("/tmp/conflicts2.png")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.table.rowCount() == 0
    assert "No conflicts" in dialog.summary.text()
    saved = clinic.services.clinical.treatment(clinic.clinician, treatment.id)
    assert saved.details.punches == 5
    assert [z.value for z in saved.details.treated_zones] == ["frontal", "mid_scalp"]
    assert saved.version == treatment.version + 1
    entries = clinic.services.db.execute(
        "SELECT action, entity, entity_id, detail FROM audit_log WHERE user_id = ? "
        "AND action IN ('update', 'resolve') ORDER BY seq",
        [clinic.clinician.id],
    ).fetchall()
    assert [(e[0], e[1], e[2]) for e in entries][-2:] == [
        ("update", "treatment", treatment.id),
        ("resolve", "sync_conflict", entries[-1][2]),
    ]
    assert sorted(json.loads(entries[-2][3])["fields"]) == ["punches", "treated_zones"]


def test_a_merged_value_the_treatment_refuses_is_named_and_the_conflict_stays(
    qtbot: QtBot, clinic: Clinic
) -> None:
    _name, treatment = treated(clinic)
    park(clinic, "treatments", treatment.id, {"punches": 4}, {"punches": 5}, patient_id=None)
    dialog = ConflictsDialog(clinic.services, clinic.clinician)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.table.selectRow(0)
    dialog.choices["punches"].setEditText("four or five")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.error.isVisible()
    assert "Number of punches: must be a whole number" in dialog.error.text()
    assert dialog.choices["punches"].currentText() == "four or five"  # kept to correct
    assert "border" in dialog.choices["punches"].styleSheet()  # marked
    assert dialog.table.rowCount() == 1
    assert [c.status for c in ConflictService(clinic.services.db).conflicts(clinic.admin)] == [
        "open"
    ]
    stored = clinic.services.clinical.treatment(clinic.clinician, treatment.id)
    assert stored.details.punches == 4 and stored.version == treatment.version
    # Corrected, it goes through.
    dialog.choices["punches"].setEditText("6")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.table.rowCount() == 0
    stored = clinic.services.clinical.treatment(clinic.clinician, treatment.id)
    assert stored.details.punches == 6


def test_a_record_no_screen_here_changes_names_its_tab_and_its_patient(
    qtbot: QtBot, clinic: Clinic, tmp_path: Path
) -> None:
    name, treatment = treated(clinic)
    park(
        clinic,
        "photos",
        "photo-1",
        {"view": "top"},
        {"view": "front"},
        patient_id=treatment.patient_id,
    )
    dialog = ConflictsDialog(clinic.services, clinic.clinician)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.table.selectRow(0)
    assert rows_of(dialog)[0][:3] == [name, "Photo", "View"]
    assert not dialog.save_button.isVisible() and dialog.resolved_button.isVisible()
    hint = dialog.findChild(type(dialog.summary), "conflict_hint")
    assert hint is not None
    assert hint.text() == "Change it in the record's Photos tab, then Mark resolved."
    qtbot.mouseClick(dialog.resolved_button, Qt.MouseButton.LeftButton)
    assert dialog.table.rowCount() == 0
