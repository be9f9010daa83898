"""Admin > Audit trail and the patient's access log tab, driven as a user would."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from clinicdesk.services.audit import PAGE_SIZE, AuditService
from clinicdesk.ui.admin.audit_view import COLUMNS, AuditTrailDialog
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import VALID_PATIENT, Clinic
from tests.reliability.two_sites import carry_audit, second_site
from tests.ui.conftest import WindowFactory, type_text


def register(clinic: Clinic, **changes: str) -> str:
    return clinic.services.patients.register(clinic.reception, {**VALID_PATIENT, **changes}).id


def open_trail(window: MainWindow) -> AuditTrailDialog:
    assert window.audit_action.isVisible()
    window.audit_action.trigger()
    dialog = window.audit_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def shown(dialog: AuditTrailDialog) -> list[list[str]]:
    model = dialog.model
    return [
        [str(model.data(model.index(row, col))) for col in range(len(COLUMNS))]
        for row in range(model.rowCount())
    ]


def column(dialog: AuditTrailDialog, name: str) -> list[str]:
    return [row[COLUMNS.index(name)] for row in shown(dialog)]


def choose(combo: QComboBox, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)


def test_the_admin_filters_the_trail_by_patient_user_action_and_date(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, qtmodeltester: ModelTester
) -> None:
    siobhan = register(clinic)
    zed = register(clinic, first_name="Zed", last_name="Zygmunt", nhs_number="")
    clinic.services.patients.get(clinic.clinician, siobhan)
    clinic.services.patients.get(clinic.clinician, zed)
    window = open_window(clinic.admin)
    dialog = open_trail(window)
    qtmodeltester.check(dialog.model)
    everything = dialog.model.total
    assert dialog.count_label.text() == f"{everything} entries, newest first"
    assert shown(dialog)[0][COLUMNS.index("Action")] == "Viewed"  # newest first

    type_text(qtbot, dialog.patient_filter, "Zygmunt")
    qtbot.keyClick(dialog.patient_filter, Qt.Key.Key_Return)
    assert set(column(dialog, "Record")) == {"Zed Zygmunt"}
    assert column(dialog, "User") == ["Dr Cara Clinician", "Rex Reception"]
    assert column(dialog, "Action") == ["Viewed", "Created"]

    dialog.patient_filter.clear()
    choose(dialog.user_filter, "Dr Cara Clinician")  # a choice applies at once
    assert set(column(dialog, "User")) == {"Dr Cara Clinician"}
    choose(dialog.action_filter, "Viewed")
    assert column(dialog, "Record") == ["Zed Zygmunt", "Siobhán O'Brien"]

    type_text(qtbot, dialog.date_from, "31/02/2024")
    qtbot.mouseClick(dialog.show_button, Qt.MouseButton.LeftButton)
    assert dialog.filter_error.isVisible()
    assert "From date is not a real date" in dialog.filter_error.text()
    assert len(shown(dialog)) == 2  # the previous view stays

    dialog.date_from.clear()
    type_text(qtbot, dialog.date_from, "01/01/2000")
    type_text(qtbot, dialog.date_to, "31/12/2000")
    qtbot.mouseClick(dialog.show_button, Qt.MouseButton.LeftButton)
    assert not dialog.filter_error.isVisible()
    assert shown(dialog) == []
    assert dialog.count_label.text() == "No entry matches these filters."
    assert not dialog.export_button.isEnabled()

    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    # Each view of the trail was itself audited, so there is more to see now.
    assert dialog.model.total > everything
    assert dialog.export_button.isEnabled()


def test_the_export_writes_the_current_view_as_csv(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, tmp_path: Path
) -> None:
    patient_id = register(clinic)
    clinic.services.patients.get(clinic.clinician, patient_id)
    dialog = open_trail(open_window(clinic.admin))
    type_text(qtbot, dialog.patient_filter, "o'brien")
    qtbot.mouseClick(dialog.show_button, Qt.MouseButton.LeftButton)
    on_screen = shown(dialog)
    assert len(on_screen) == 2

    path = tmp_path / "trail.csv"
    assert dialog.export_csv(path) == 2
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [[row[name] for name in COLUMNS] for row in rows] == on_screen
    assert [row["Record"] for row in rows] == ["Siobhán O'Brien", "Siobhán O'Brien"]
    assert dialog.count_label.text() == "Exported 2 entries to trail.csv."
    last = clinic.services.db.execute(
        "SELECT action, entity, user_id FROM audit_log ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    assert tuple(last) == ("export", "audit_log", clinic.admin.id)


def test_verify_chain_shows_an_intact_trail_and_then_the_tampering(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    register(clinic)
    dialog = open_trail(open_window(clinic.admin))
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    assert dialog.verify_label.isVisible()
    assert dialog.verify_label.text().startswith("Audit trail intact: ")

    db = clinic.services.db
    db.execute("DROP TRIGGER audit_log_no_delete")
    db.execute("DELETE FROM audit_log WHERE seq = 2")
    db.conn.commit()
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    text = dialog.verify_label.text()
    assert text.startswith("The audit trail has been tampered with: 1 problem")
    assert "entry 2 is missing (next is 3)" in text


def test_the_trail_fetches_older_entries_as_the_admin_scrolls(
    clinic: Clinic, open_window: WindowFactory
) -> None:
    patient_id = register(clinic)
    for _ in range(PAGE_SIZE + 20):
        clinic.services.patients.get(clinic.clinician, patient_id)
    dialog = open_trail(open_window(clinic.admin))
    model = dialog.model
    assert model.rowCount() == PAGE_SIZE
    assert model.canFetchMore()
    dialog.table.scrollToBottom()
    model.fetchMore()
    assert model.rowCount() == model.total
    seqs = [int(row[0]) for row in shown(dialog)]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)


def test_only_admins_have_the_audit_trail_menu(clinic: Clinic, open_window: WindowFactory) -> None:
    for user in (clinic.clinician, clinic.reception):
        window = open_window(user)
        assert not window.audit_action.isVisible()
        assert not window.admin_menu.menuAction().isVisible()
    window = open_window(clinic.admin)
    assert window.admin_menu.menuAction().isVisible()
    assert window.audit_action in window.admin_menu.actions()


def test_the_trail_closes_when_the_window_locks(clinic: Clinic, open_window: WindowFactory) -> None:
    window = open_window(clinic.admin)
    dialog = open_trail(window)
    window.idle_lock.watcher.idle.emit()
    assert window.idle_lock.locked
    assert not dialog.isVisible()


def test_the_access_log_shows_who_opened_the_record(
    clinic: Clinic, open_window: WindowFactory, qtmodeltester: ModelTester
) -> None:
    patient_id = register(clinic)
    other = register(clinic, first_name="Zed", last_name="Zygmunt", nhs_number="")
    # The clinician's own patient: they graded her hair loss.
    clinic.services.patients.add_classification(
        clinic.clinician, patient_id, "ludwig", "II", "2025-03-01"
    )
    clinic.services.patients.get(clinic.admin, patient_id)
    window = open_window(clinic.clinician)
    window.open_patient(patient_id)
    tab = window.access_log
    assert window.tabs.tabText(window.tabs.indexOf(tab)) == "Acc&ess log"
    window.tabs.setCurrentWidget(tab)
    qtmodeltester.check(tab.model)
    assert tab.names() == ["Dr Cara Clinician", "Ada Admin"]
    assert tab.summary.text() == "This record was opened 2 times, newest first."
    row = [tab.model.data(tab.model.index(0, col)) for col in range(3)]
    assert row[1:] == ["Dr Cara Clinician", "Clinician"]
    assert len(str(row[0])) == len("03/07/2025 14:05")

    # Refreshed for each record opened; someone else's patient: who opened it stays private.
    window.open_patient(other)
    assert tab.names() == []
    assert tab.summary.text().startswith("The access log shows only for your own patients")
    window.open_patient(patient_id)
    assert tab.names() == ["Dr Cara Clinician", "Dr Cara Clinician", "Ada Admin"]
    window.new_patient()
    assert tab.names() == []
    assert not window.tabs.isTabEnabled(window.tabs.indexOf(tab))


def test_the_admin_sees_the_access_log_too(clinic: Clinic, open_window: WindowFactory) -> None:
    patient_id = register(clinic)
    clinic.services.patients.get(clinic.clinician, patient_id)
    window = open_window(clinic.admin)
    window.open_patient(patient_id)
    assert window.access_log.names() == ["Ada Admin", "Dr Cara Clinician"]


def test_reception_has_no_access_log_tab(clinic: Clinic, open_window: WindowFactory) -> None:
    patient_id = register(clinic)
    window = open_window(clinic.reception)
    window.open_patient(patient_id)
    assert window.tabs.indexOf(window.access_log) < 0
    assert window.access_log.names() == []
    # The view is logged, and the window asked for nothing reception may not have.
    opened = AuditService(clinic.services.db).patient_access(clinic.admin, patient_id)
    assert [e.user_name for e in opened] == ["Rex Reception"]
    denied = clinic.services.db.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'denied'"
    ).fetchone()[0]
    assert denied == 0


def test_opening_the_trail_again_replaces_the_previous_dialog(
    clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.admin)
    first = open_trail(window)
    first.reject()
    second = open_trail(window)
    assert second is not first
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert window.findChildren(AuditTrailDialog) == [second]


def test_verify_chain_reports_each_sites_chain_and_names_the_other_sites_tampered_entry(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, tmp_path: Path
) -> None:
    patient_id = register(clinic)
    satellite = second_site(clinic, tmp_path / "satellite")
    try:
        for _ in range(3):
            satellite.services.patients.get(satellite.clinician, patient_id)
        carry_audit(satellite.services.db, clinic.services.db)
    finally:
        satellite.services.close()
    dialog = open_trail(open_window(clinic.admin))
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    lines = dialog.verify_label.text().splitlines()
    assert lines[0].startswith("Audit trail intact: ")
    assert any(line.strip().startswith("Main clinic: ") for line in lines[1:])
    assert "  Satellite clinic: 6 entries intact" in lines  # three sign-ins, three views

    db = clinic.services.db
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute(
        "UPDATE audit_log SET action = 'print' WHERE seq = 2 AND site_id = "
        "(SELECT id FROM sites WHERE name = 'Satellite clinic')"
    )
    db.conn.commit()
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    text = dialog.verify_label.text()
    assert text.startswith("The audit trail has been tampered with: 1 problem")
    assert "  • Satellite clinic: entry 2 was altered" in text.splitlines()
    assert "  Satellite clinic: 6 entries, 1 problem" in text.splitlines()
