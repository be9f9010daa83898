"""The Sync button (a child process against a hub in a temporary folder), background sync's
status line, Clinic > Conflicts and the duplicate merge, driven with qtbot."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from clinicdesk.storage.patient_merge import count_rows
from clinicdesk.ui.sync.conflicts import ConflictsDialog
from clinicdesk.ui.sync.duplicates import DuplicatesDialog
from tests.conftest import Clinic
from tests.services.test_patient_merge import two_records
from tests.sync.helpers import Site
from tests.ui.sync.helpers import CHILD_MS, add, opened


def test_the_sync_button_shows_progress_and_the_counts_and_lists_the_other_sites_patient(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    window_at: object,
) -> None:
    main, satellite, _hub = sites
    add(satellite, capsys, "Gwen", "Fromsatellite")
    satellite.sync(capsys)
    window = window_at(main, "clinician")  # type: ignore[operator]
    control = window.sync_control
    assert control.sync_action.isVisible()
    steps: list[str] = []
    control.runner.progressed.connect(lambda step, done, total: steps.append(step))

    control.sync_action.trigger()
    assert control.progress is not None and control.progress.isVisible()
    qtbot.waitUntil(
        lambda: control.summary is not None and control.summary.isVisible(), timeout=CHILD_MS
    )

    assert steps, "the child's progress lines were shown"
    assert "received 1" in control.summary.text().lower() or "received 1." in control.summary.text()
    assert control.last_result is not None and control.last_result["received"] >= 1
    window.search_box.setText("Fromsatellite")
    window.run_search()
    assert window.model.rowCount() == 1
    assert "Synced" in control.status.text()


def test_cancel_stops_the_sync_and_says_so(
    qtbot: QtBot, sites: tuple[Site, Site, Path], window_at: object
) -> None:
    main, _satellite, _hub = sites
    window = window_at(main, "admin")  # type: ignore[operator]
    control = window.sync_control
    control.sync_action.trigger()
    assert control.progress is not None
    cancel = control.progress.findChild(QPushButton)
    assert cancel is not None and cancel.text() == "Cancel"
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not control.runner.running, timeout=CHILD_MS)
    assert "cancelled" in control.status.text()
    assert control.summary is not None and "cancelled" in control.summary.text()


def test_an_unreachable_hub_is_named_in_the_status_bar(
    sites: tuple[Site, Site, Path], window_at: object, tmp_path: Path
) -> None:
    main, _satellite, _hub = sites
    window = window_at(main, "admin")  # type: ignore[operator]
    control = window.sync_control
    control.settings.set_hub_dir(window.user, tmp_path / "share-gone")
    control.reload_hub()  # as Admin > Sites and sync does once the folder is chosen
    control.background_sync()
    assert not control.runner.running
    text = control.status.text()
    assert text.startswith(f"Hub folder {tmp_path / 'share-gone'} not reachable: last synced")


def test_reception_does_not_see_sync_or_conflicts(
    sites: tuple[Site, Site, Path], window_at: object
) -> None:
    main, _satellite, _hub = sites
    window = window_at(main, "reception")  # type: ignore[operator]
    control = window.sync_control
    assert not control.sync_action.isVisible()
    assert not control.conflicts_action.isVisible()
    assert not control.sites_action.isVisible()


def test_conflicts_are_resolved_by_picking_a_value_or_typing_a_merged_one(
    qtbot: QtBot, sites: tuple[Site, Site, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    main, satellite, _hub = sites
    first = add(main, capsys, "Hal", "Picked")
    second = add(main, capsys, "Ida", "Typed")
    main.sync(capsys)
    satellite.sync(capsys)
    for patient, here, there in (
        (first, "07700 900001", "07700 900002"),
        (second, "07700 900003", "07700 900004"),
    ):
        main.ok(capsys, "patients", "edit", patient, "--phone", here)
        satellite.ok(capsys, "patients", "edit", patient, "--phone", there)
    main.sync(capsys)
    satellite.sync(capsys)
    services = opened(satellite)
    try:
        clinician = services.clinic.user("clinician")
        dialog = ConflictsDialog(services, clinician)
        qtbot.addWidget(dialog)
        assert dialog.table.rowCount() == 2
        assert "2 changes" in dialog.summary.text()
        by_patient = {v.conflict.row_id: i for i, v in enumerate(dialog.views)}
        # Pick the other site's value for the first.
        dialog.table.selectRow(by_patient[first])
        box = dialog.choices["phone"]
        assert box.itemText(0) == "07700 900001" and box.itemText(1) == "07700 900002"
        box.setCurrentIndex(1)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert dialog.table.rowCount() == 1
        # Type a merged value for the second.
        dialog.table.selectRow(0)
        box = dialog.choices["phone"]
        box.setEditText("07700 900099")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert dialog.table.rowCount() == 0
        assert "No conflicts" in dialog.summary.text()
        assert services.patients.repo.get(first).details.phone == "07700 900002"  # type: ignore[union-attr]
        assert services.patients.repo.get(second).details.phone == "07700 900099"  # type: ignore[union-attr]
        actions = services.db.execute(
            "SELECT action, entity FROM audit_log WHERE user_id = ? AND action IN "
            "('update', 'resolve') ORDER BY seq",
            [clinician.id],
        ).fetchall()
        assert [tuple(a) for a in actions] == [
            ("update", "patient"),
            ("resolve", "sync_conflict"),
        ] * 2
    finally:
        services.close()


def test_the_duplicate_merge_keeps_every_row_of_both(
    qtbot: QtBot, clinic: Clinic, tmp_path: Path
) -> None:
    main, second = two_records(clinic, tmp_path)
    db = clinic.services.db
    before = {
        t: count_rows(db, main).get(t, 0) + count_rows(db, second).get(t, 0)
        for t in set(count_rows(db, main)) | set(count_rows(db, second))
    }
    merged: list[str] = []
    dialog = DuplicatesDialog(clinic.services, clinic.clinician, merged.append)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1
    # Each record named with its own clinic number, as the papers printed for it show.
    shown = " | ".join(dialog.table.item(0, column).text() for column in (0, 1))
    assert "clinic no. M-00001" in shown and "clinic no. S-00001" in shown
    kept = main if dialog.pairs[0].first.id == main else second
    qtbot.mouseClick(dialog.keep_first, Qt.MouseButton.LeftButton)
    assert merged == [kept]
    assert dialog.table.rowCount() == 0
    after_kept = count_rows(db, kept)
    away = second if kept == main else main
    after_away = count_rows(db, away)
    for table, total in before.items():
        assert after_kept.get(table, 0) + after_away.get(table, 0) == total, table
    assert set(after_away) <= {"medical_histories"}
    assert clinic.services.patients.repo.get(away).archived  # type: ignore[union-attr]


def test_after_a_sync_the_duplicates_are_looked_for_off_the_gui_thread_and_offered(
    qtbot: QtBot,
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    window_at: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On a 100k clinic the look-up takes seconds (make bench sync): the window must not wait.
    from clinicdesk.services.patient_merge import PatientMergeService

    main, satellite, _hub = sites
    add(main, capsys, "Dana", "Twice")
    add(satellite, capsys, "Dana", "Twice")
    satellite.sync(capsys)
    window = window_at(main, "clinician")  # type: ignore[operator]
    control = window.sync_control
    looked_up_on: list[bool] = []
    duplicates = PatientMergeService.duplicates

    def watched(self: PatientMergeService, user: object) -> object:
        looked_up_on.append(threading.current_thread() is threading.main_thread())
        return duplicates(self, user)  # type: ignore[arg-type]

    monkeypatch.setattr(PatientMergeService, "duplicates", watched)
    control.sync_action.trigger()
    qtbot.waitUntil(
        lambda: getattr(control, "duplicates_dialog", None) is not None, timeout=CHILD_MS
    )
    assert control.duplicates_dialog.table.rowCount() == 1
    assert "Twice" in control.duplicates_dialog.table.item(0, 0).text()
    assert looked_up_on == [False], "looked up once, and not on the GUI thread"
