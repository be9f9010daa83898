"""File > Export everything held (subject access)…: admins only, a worker with Cancel, and a
closing message saying where the zip went and naming any file left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from clinicdesk.ui.admin.subject_access import SubjectAccessExporter
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import Clinic
from tests.services.subject_access_setup import CourseOfCare, full_course, members
from tests.ui.conftest import WindowFactory


@pytest.fixture
def course(clinic: Clinic, tmp_path: Path) -> CourseOfCare:
    return full_course(clinic, tmp_path / "camera")


def choose(monkeypatch: pytest.MonkeyPatch, answer: Path) -> list[str]:
    asked: list[str] = []

    def dialog(_parent: object, _title: str, default: str, _filter: str) -> tuple[str, str]:
        asked.append(default)
        return str(answer), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    return asked


def run_export(qtbot: QtBot, window: MainWindow) -> SubjectAccessExporter:
    window.subject_access_action.trigger()
    exporter = window.subject_access
    qtbot.waitUntil(lambda: exporter.message is not None and not exporter.running, timeout=20000)
    return exporter


def test_an_admin_exports_the_open_record_and_is_told_where_it_went(
    qtbot: QtBot,
    open_window: WindowFactory,
    clinic: Clinic,
    course: CourseOfCare,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(clinic.admin)
    assert window.subject_access_action.isVisible()
    assert not window.subject_access_action.isEnabled()  # no record open yet
    window.open_patient(course.patient_id)
    assert window.subject_access_action.isEnabled()
    asked = choose(monkeypatch, tmp_path / "for the patient")  # ".zip" is added
    exporter = run_export(qtbot, window)
    assert asked and asked[0].endswith(".zip")
    target = tmp_path / "for the patient.zip"
    assert exporter.message is not None
    assert str(target) in exporter.message.text()
    assert "could not be included" not in exporter.message.text()
    files = members(target)
    assert "summary.pdf" in files and len([n for n in files if n.startswith("photos/")]) == 6


def test_a_missing_photo_is_named_in_the_message_and_the_rest_is_saved(
    qtbot: QtBot,
    open_window: WindowFactory,
    clinic: Clinic,
    course: CourseOfCare,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    photo = clinic.services.photos.list_photos(clinic.clinician, course.patient_id)[0]
    clinic.services.photos.store.path_of(photo.sha256).unlink()
    window = open_window(clinic.admin)
    window.open_patient(course.patient_id)
    choose(monkeypatch, tmp_path / "sar.zip")
    exporter = run_export(qtbot, window)
    assert exporter.message is not None
    text = exporter.message.text()
    assert "1 file(s) held on record could not be included" in text
    assert "Photograph, 2025-03-10, frontal: the file is missing" in text
    assert len([n for n in members(tmp_path / "sar.zip") if n.startswith("photos/")]) == 5


def test_cancel_leaves_no_file(
    qtbot: QtBot,
    open_window: WindowFactory,
    clinic: Clinic,
    course: CourseOfCare,
    tmp_path: Path,
) -> None:
    window = open_window(clinic.admin)
    window.open_patient(course.patient_id)
    exporter = SubjectAccessExporter(window, clinic.services, clinic.admin)
    exporter.export(course.patient_id, tmp_path / "sar.zip")
    assert exporter.task is not None
    exporter.task.dialog.canceled.emit()  # what pressing Cancel does
    qtbot.waitUntil(lambda: exporter.message is not None and not exporter.running, timeout=20000)
    assert exporter.message is not None
    assert "cancelled" in exporter.message.text()
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []


@pytest.mark.parametrize("role", ["clinician", "reception"])
def test_other_roles_do_not_see_the_action(
    open_window: WindowFactory, clinic: Clinic, course: CourseOfCare, role: str
) -> None:
    window = open_window(getattr(clinic, role))
    window.open_patient(course.patient_id)
    assert not window.subject_access_action.isVisible()
