"""Admin > Check the clinic's data: the check runs on a worker with progress and Cancel, then
shows "All is well" with the counts, or each problem with what to do."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from clinicdesk.services import verify as verify_module
from clinicdesk.ui.admin.data_check import DataCheckDialog
from clinicdesk.ui.shell.main_window import MainWindow
from tests.conftest import VALID_PATIENT, Clinic
from tests.media import images
from tests.ui.conftest import WindowFactory


@pytest.fixture
def photo(clinic: Clinic, tmp_path: Path) -> tuple[str, str]:
    """One imported photo: its id and sha256."""
    services = clinic.services
    patient = services.patients.register(clinic.reception, dict(VALID_PATIENT))
    path = tmp_path / "IMG_0001.JPG"
    path.write_bytes(images.jpeg((80, 60), seed=1))
    [outcome] = services.photos.import_photos(clinic.clinician, patient.id, [path])
    assert outcome.photo_id is not None
    return outcome.photo_id, services.photos.photo(clinic.clinician, outcome.photo_id).sha256


def run_from_menu(qtbot: QtBot, window: MainWindow) -> DataCheckDialog:
    assert window.data_check_action in window.admin_menu.actions()
    assert window.data_check_action.text() == "Check the clinic's &data…"
    window.data_check_action.trigger()
    qtbot.waitUntil(lambda: getattr(window, "data_check_dialog", None) is not None, timeout=10000)
    dialog = window.data_check_dialog
    assert isinstance(dialog, DataCheckDialog)
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_a_sound_clinic_is_all_well(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, photo: tuple[str, str]
) -> None:
    window = open_window(clinic.admin)
    dialog = run_from_menu(qtbot, window)
    text = dialog.summary.text()
    assert text.startswith("All is well: 1 patient, 1 photo, 0 consent scans and signatures, ")
    assert text.endswith("entries intact.")
    assert not dialog.problems.isVisible() and not dialog.copy_button.isVisible()
    assert window.data_check_task is None  # the worker is done; another check may start


def test_a_missing_photo_is_listed_with_what_to_do(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, photo: tuple[str, str]
) -> None:
    photo_id, sha256 = photo
    (clinic.paths.photos_dir / sha256[:2] / sha256).unlink()
    window = open_window(clinic.admin)
    dialog = run_from_menu(qtbot, window)
    assert dialog.summary.text() == "The clinic's data has 1 problem:"
    assert dialog.problems.isVisible() and dialog.problems.count() == 1
    item = dialog.problems.item(0).text().splitlines()
    assert item[0] == "The photo file is missing"
    assert item[1].startswith(f"photo {photo_id} of patient ")
    assert item[1].endswith(f"(photos/{sha256[:2]}/{sha256})")
    assert item[2] == "What to do: Restore this file from your most recent backup."
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text().splitlines()
    assert copied[0] == "The clinic's data has 1 problem:"
    assert copied[1].startswith("The photo file is missing: photo ")
    # It names records: the idle lock closes it.
    window.idle_lock.watcher.idle.emit()
    assert not dialog.isVisible()


def test_cancel_stops_the_check(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    photo: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = threading.Event()

    def slow_step(run: verify_module._Run) -> None:
        """A step that takes until Cancel is pressed (at most ten seconds)."""
        started.set()
        deadline = time.monotonic() + 10
        while not run._cancelled() and time.monotonic() < deadline:
            time.sleep(0.01)

    monkeypatch.setattr(verify_module._Run, "_check_foreign_keys", slow_step)
    window = open_window(clinic.admin)
    window.data_check_action.trigger()
    task = window.data_check_task
    assert task is not None
    qtbot.waitUntil(started.is_set, timeout=5000)
    qtbot.waitUntil(task.dialog.isVisible, timeout=5000)  # shown after half a second
    window.data_check_action.trigger()  # a second check does not start meanwhile
    assert window.data_check_task is task
    [cancel] = task.dialog.findChildren(QPushButton)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(window, "data_check_dialog", None) is not None, timeout=5000)
    dialog = window.data_check_dialog
    assert dialog.summary.text().startswith("The check was cancelled before the end")


def test_only_administrators_have_the_check(clinic: Clinic, open_window: WindowFactory) -> None:
    for user in (clinic.clinician, clinic.reception):
        assert not open_window(user).data_check_action.isVisible()
    assert open_window(clinic.admin).data_check_action.isVisible()


def test_a_lost_photo_is_put_back_from_the_backup_that_holds_it(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    photo: tuple[str, str],
    tmp_path: Path,
) -> None:
    from clinicdesk.services import backup_schedule
    from clinicdesk.services.backup import make_backup

    _photo_id, sha256 = photo
    usb = tmp_path / "usb"
    usb.mkdir()
    backup_schedule.choose_folder(clinic.services, clinic.admin, usb)
    archive = make_backup(clinic.services, clinic.admin, usb).path
    stored = clinic.paths.photos_dir / sha256[:2] / sha256
    original = stored.read_bytes()
    stored.unlink()
    window = open_window(clinic.admin)
    dialog = run_from_menu(qtbot, window)
    item = dialog.problems.item(0).text().splitlines()
    assert item[2].startswith(f"What to do: Restore this file from the backup {archive} (made ")
    assert dialog.put_back_button.isVisible()
    qtbot.mouseClick(dialog.put_back_button, Qt.MouseButton.LeftButton)
    # Put back, then checked again: the new check's window says all is well.
    qtbot.waitUntil(lambda: window.data_check_dialog is not dialog, timeout=20000)
    again = window.data_check_dialog
    qtbot.waitUntil(again.isVisible)
    assert again.summary.text().startswith("All is well: 1 patient, 1 photo")
    assert not again.put_back_button.isVisible()
    assert stored.read_bytes() == original
