"""Clinic > Outcomes on the demo clinic: the overall rate and a breakdown against the demo's
own records (counted here through the record services, not the audit's queries), the
patients behind a number and their record, the threshold (administrators only), and the
command line giving the same numbers (reception refused, exit 3)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from clinicdesk.app import main
from clinicdesk.domain.outcomes import Summary, rate_text
from clinicdesk.domain.response import ResponseCategory, patient_response
from clinicdesk.paths import Paths
from clinicdesk.services import clinic as clinic_service
from clinicdesk.services.context import ClinicServices, unlock_clinic
from clinicdesk.services.demo import DEMO_PASSWORD, create_demo_clinic
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage import keys
from clinicdesk.ui.outcomes.screen import OutcomesDialog
from clinicdesk.ui.shell.main_window import MainWindow


@dataclass
class Demo:
    data_dir: Path
    services: ClinicServices
    clinician: CurrentUser
    admin: CurrentUser
    reception: CurrentUser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The 40-patient demo clinic as of today (the command line signs in with today's date),
    shared by this module's tests."""
    data_dir = tmp_path_factory.mktemp("outcomes-demo") / "data"
    with pytest.MonkeyPatch.context() as mp:  # cheap hashing, as tests/conftest.py does
        mp.setattr(
            clinic_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        mp.setattr(keys, "KDF", keys.KdfParameters(time_cost=1, memory_cost=8, parallelism=1))
        create_demo_clinic(Paths(data_dir), patients=40, seed=1)
        services = unlock_clinic(Paths(data_dir), "clinician", DEMO_PASSWORD).services
    user = services.clinic.user
    try:
        yield Demo(data_dir, services, user("clinician"), user("admin"), user("reception"))
    finally:
        services.close()


def expected_categories(demo: Demo) -> dict[str, tuple[str, ResponseCategory]]:
    """Each treated demo patient's sex and category, from the record services (first
    treatment, the clinic's threshold), independently of the audit's own queries."""
    services, user = demo.services, demo.clinician
    threshold = services.response_settings.threshold_percent()
    out = {}
    for p in services.patients.list_page(user, None, 1000):
        treatments = sorted(
            services.clinical.treatments(user, p.id), key=lambda t: t.details.treated_on
        )
        if not treatments:
            continue
        first = treatments[0].details
        response = patient_response(
            services.assessments.list_for_patient(user, p.id),
            first.treated_on,
            [z.value for z in first.treated_zones],
            threshold,
            date.today(),
        )
        out[p.id] = (p.sex.value, response.category)
    return out


def open_outcomes(qtbot: QtBot, demo: Demo, user: CurrentUser) -> tuple[MainWindow, OutcomesDialog]:
    window = MainWindow(demo.services, user)
    qtbot.addWidget(window)
    window.show()
    assert window.outcomes_action.isVisible()
    window.outcomes_action.trigger()
    dialog = window.outcomes_dialog
    assert isinstance(dialog, OutcomesDialog) and dialog.isVisible()
    counted(qtbot, dialog)
    return window, dialog


def summary_of(dialog: OutcomesDialog) -> Summary:
    assert dialog.summary is not None
    return dialog.summary


def cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None
    return item.text()


def counted(qtbot: QtBot, dialog: OutcomesDialog) -> None:
    """The count runs on a worker: the screen says so, then shows the numbers."""
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=30_000)
    assert dialog.tabs.isEnabled()


def activate(qtbot: QtBot, table: QTableWidget, row: int, column: int) -> None:
    """Enter on a cell, as a user would after moving to it."""
    table.setFocus()
    table.setCurrentCell(row, column)
    qtbot.keyClick(table, Qt.Key.Key_Return)


def test_the_screen_shows_the_demo_clinics_rate_and_breakdown_and_the_patients_behind_them(
    qtbot: QtBot, demo: Demo
) -> None:
    expected = expected_categories(demo)
    responded = {pid for pid, (_s, c) in expected.items() if c is ResponseCategory.RESPONDED}
    evaluable = {pid for pid, (_s, c) in expected.items() if c.evaluable}
    assert len(evaluable) >= 5 and responded  # the demo's spread shows something
    window, dialog = open_outcomes(qtbot, demo, demo.clinician)
    assert dialog.summary is not None
    overall = summary_of(dialog).overall
    assert set(overall.responded) == responded and set(overall.evaluable) == evaluable
    rate = len(responded) / len(evaluable)
    as_percentage = f"Responder rate: {round(rate * 100)}% (95% CI "
    as_counts = f"Responder rate: {len(responded)} of {len(evaluable)} responded (95% CI "
    shown = dialog.rate_label.text()
    assert shown == f"Responder rate: {rate_text(overall, 10)}"
    assert shown.startswith(as_percentage if len(evaluable) >= 10 else as_counts)
    dialog.min_group.setValue(len(evaluable))  # the minimum is a setting: now large enough
    assert dialog.rate_label.text().startswith(as_percentage)
    dialog.min_group.setValue(len(evaluable) + 1)
    assert dialog.rate_label.text().startswith(as_counts)
    assert "too few for a percentage" in dialog.rate_label.text()
    dialog.min_group.setValue(10)
    assert "66%" in dialog.published_label.text() and "Zari 2021" in dialog.published_label.text()
    assert dialog.threshold_edit.text() == "5" and dialog.threshold_edit.isReadOnly()
    assert not dialog.threshold_button.isVisible()  # a clinician sees the threshold only
    assert "uncontrolled" in dialog.limits_label.text()

    # One breakdown: by sex, against the demo's own patients.
    dialog.field.setCurrentIndex(dialog.field.findData("sex"))
    rows = {cell(dialog.groups, r, 0): r for r in range(dialog.groups.rowCount())}
    women = [pid for pid, (sex, _c) in expected.items() if sex == "F"]
    women_evaluable = [pid for pid in women if expected[pid][1].evaluable]
    women_responded = [pid for pid in women if pid in responded]
    row = rows["Female"]
    assert cell(dialog.groups, row, 1) == str(len(women))
    assert cell(dialog.groups, row, 2) == str(len(women_evaluable))
    assert cell(dialog.groups, row, 3) == str(len(women_responded))
    rate_cell = cell(dialog.groups, row, dialog.groups.columnCount() - 1)
    if len(women_evaluable) < 10:  # a small group: counts and a warning, no bare percentage
        assert rate_cell.startswith(f"{len(women_responded)} of {len(women_evaluable)} responded")
        assert "too few for a percentage" in rate_cell

    # The patients behind "Responded", and from that list a patient's record.
    headers = [
        dialog.counts.horizontalHeaderItem(c).text() for c in range(dialog.counts.columnCount())
    ]
    column = headers.index("Responded")
    assert cell(dialog.counts, 0, column) == str(len(responded))
    activate(qtbot, dialog.counts, 0, column)
    listed = dialog.patients_dialog
    assert listed is not None and listed.isVisible()
    assert set(listed.ids) == responded and listed.table.rowCount() == len(responded)
    assert {cell(listed.table, r, 3) for r in range(len(responded))} == {"Responded"}
    activate(qtbot, listed.table, 1, 0)
    assert window.patient is not None and window.patient.id == listed.ids[1]
    window.close()


def test_the_command_line_gives_the_screens_numbers_and_refuses_reception(
    qtbot: QtBot, demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _window, dialog = open_outcomes(qtbot, demo, demo.clinician)
    monkeypatch.setenv("CLINICDESK_PASSWORD", DEMO_PASSWORD)
    base = ["--data-dir", str(demo.data_dir)]
    assert main([*base, "--user", "clinician", "outcomes", "--json", "--by", "sex"]) == 0
    out = json.loads(capsys.readouterr().out)
    overall = summary_of(dialog).overall
    assert out["threshold_percent"] == 5.0 and out["published_rate"] == 0.66
    assert out["evaluable"] == len(overall.evaluable)
    assert out["responded"] == len(overall.responded)
    assert out["lost_to_follow_up"] == len(overall.lost) > 0
    assert out["rate"] == pytest.approx(overall.rate)
    assert out["ci95"] == pytest.approx(list(overall.ci95 or ()))
    by_sex = {g["group"]: g for g in out["groups"]}
    for group in summary_of(dialog).groups["sex"]:
        assert by_sex[group.label]["evaluable"] == len(group.evaluable)
        assert by_sex[group.label]["responded"] == len(group.responded)
    assert main([*base, "--user", "reception", "outcomes", "--json"]) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and "does not allow" in captured.err
    _window.close()


def test_reception_has_no_outcomes_and_an_administrator_sets_the_threshold_there(
    qtbot: QtBot, demo: Demo
) -> None:
    reception = MainWindow(demo.services, demo.reception)
    qtbot.addWidget(reception)
    assert not reception.outcomes_action.isVisible()
    window, dialog = open_outcomes(qtbot, demo, demo.admin)
    assert not dialog.threshold_edit.isReadOnly() and dialog.threshold_button.isVisible()
    before = summary_of(dialog).overall
    try:
        dialog.threshold_edit.setText("ten")
        dialog.threshold_button.click()
        assert dialog.error_label.isVisible()
        assert "Response threshold" in dialog.error_label.text()
        dialog.threshold_edit.setText("60")  # nobody gains 60%: nobody responds
        dialog.threshold_button.click()
        counted(qtbot, dialog)
        assert not dialog.error_label.isVisible()
        assert demo.services.response_settings.threshold_percent() == 60.0
        assert summary_of(dialog).threshold == 60.0 and summary_of(dialog).overall.responded == ()
        assert len(summary_of(dialog).overall.evaluable) == len(before.evaluable)
        assert "at least 60%" in dialog.rule_label.text()
    finally:
        demo.services.response_settings.set_threshold_percent(demo.admin, "5")
    window.close()


def test_the_change_table_is_worked_out_when_its_tab_is_opened_not_before_the_rate(
    qtbot: QtBot, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change table's spreads (exact standard deviations of thousands of changes on a
    large clinic) cost tens of milliseconds: the rate and counts do not wait for them, and
    the table is filled, right, when the clinician opens its tab."""
    sds: list[int] = []
    exact = statistics.stdev

    def counted_sd(values: tuple[float, ...]) -> float:
        sds.append(len(values))
        return exact(values)

    monkeypatch.setattr(statistics, "stdev", counted_sd)
    _window, dialog = open_outcomes(qtbot, demo, demo.clinician)
    assert dialog.rate_label.text().startswith("Responder rate: ")
    assert sds == [] and dialog.changes.rowCount() == 0

    dialog.tabs.setCurrentWidget(dialog.changes)

    rows = summary_of(dialog).changes
    assert dialog.changes.rowCount() == len(rows) > 0
    for row, change in enumerate(rows):
        assert cell(dialog.changes, row, 3) == str(change.spread.n)
    assert sds == [c.spread.n for c in rows if c.spread.n > 1]
    dialog.tabs.setCurrentIndex(0)
    dialog.tabs.setCurrentWidget(dialog.changes)  # shown once, not worked out again
    assert len(sds) == len([c for c in rows if c.spread.n > 1])
