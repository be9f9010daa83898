"""Admin > Backups: choose the folder, back up now with progress, see and check the archives;
and the daily automatic backup with the banner everyone sees when backups are not in order."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from clinicdesk.services import backup_schedule
from clinicdesk.services.backup import read_archive_info
from clinicdesk.ui.admin.backups import BackupsDialog
from clinicdesk.ui.shell.auto_backup import AutoBackup
from tests.conftest import Clinic
from tests.ui.conftest import WindowFactory, when_modal


@pytest.fixture
def usb(tmp_path: Path) -> Path:
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


def archives(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.cdbackup"))


def next_message() -> list[str]:
    """Close the next message box (not the Backups window, itself modal) and keep its text."""
    return when_modal(lambda modal: modal.accept(), 30_000, kind=QMessageBox)


def wait_until_done(qtbot: QtBot, owner: BackupsDialog | AutoBackup) -> None:
    qtbot.waitUntil(lambda: owner.task is not None and owner.task.done, timeout=30_000)


def test_an_admin_chooses_a_folder_and_backs_up_now(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, usb: Path
) -> None:
    window = open_window(clinic.admin)
    assert window.backups_action.isVisible()
    window.backups_action.trigger()
    dialog = window.backups_dialog
    assert dialog.isVisible()
    assert not dialog.backup_button.isEnabled()  # no folder yet
    assert "not set up" in dialog.status.text()
    dialog.choose_folder(usb)
    assert dialog.folder_edit.text() == str(usb)
    qtbot.mouseClick(dialog.backup_button, Qt.MouseButton.LeftButton)
    wait_until_done(qtbot, dialog)
    made = archives(usb)
    assert len(made) == 1
    assert "Backup made and checked" in dialog.status.text()
    assert dialog.model.rowCount() == 1
    assert dialog.model.index(0, 2).data() == made[0].name
    # The schedule counts it as today's backup: nothing is due, nothing to warn of.
    saved = backup_schedule.load(clinic.paths)
    assert saved.folder == str(usb) and saved.last_good_archive == str(made[0])
    assert backup_schedule.warning(saved, datetime.now(UTC)) == ""
    # Check backup decrypts it and says so.
    dialog.check_button.click()
    wait_until_done(qtbot, dialog)
    assert "is whole" in dialog.status.text()


def test_a_damaged_archive_is_named_when_checked(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, usb: Path
) -> None:
    window = open_window(clinic.admin)
    window.open_backups()
    dialog = window.backups_dialog
    dialog.choose_folder(usb)
    dialog.back_up_now()
    wait_until_done(qtbot, dialog)
    archive = archives(usb)[0]
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))
    dialog.refresh()
    seen = next_message()
    dialog.check_button.click()
    qtbot.waitUntil(lambda: bool(seen), timeout=30_000)
    assert "The backup is damaged in clinicdesk.db" in seen[0]
    assert dialog.isVisible()


def test_a_folder_inside_the_data_folder_or_missing_is_refused(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, tmp_path: Path
) -> None:
    window = open_window(clinic.admin)
    window.open_backups()
    dialog = window.backups_dialog
    inside = clinic.paths.data_dir / "my-backups"
    inside.mkdir()
    seen = next_message()
    dialog.choose_folder(inside)
    assert seen and "inside the clinic's own data folder" in seen[0]
    seen = next_message()
    dialog.choose_folder(tmp_path / "unplugged")
    assert seen and "is not there" in seen[0]
    assert dialog.folder_edit.text() == ""


def test_backups_are_an_administrators_menu(clinic: Clinic, open_window: WindowFactory) -> None:
    for user in (clinic.clinician, clinic.reception):
        window = open_window(user)
        assert not window.backups_action.isVisible()


def test_everyone_sees_the_banner_until_the_days_backup_is_made(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, usb: Path
) -> None:
    window = open_window(clinic.reception)
    auto = AutoBackup(window, clinic.services, lambda: window.user)
    window.auto_backup = auto
    assert auto.banner.isVisible()
    assert "not set up" in auto.banner.text()
    backup_schedule.choose_folder(clinic.services, clinic.admin, usb)
    auto.reload()
    assert "No backup has been made yet" in auto.banner.text()
    auto.check()  # the timer's turn: due, so it runs on a worker, as the receptionist works
    assert auto.running
    wait_until_done(qtbot, auto)
    assert len(archives(usb)) == 1
    assert not auto.banner.isVisible()
    auto.check()  # one a day
    assert not auto.running


def test_a_failed_backup_is_shown_to_everyone_with_why(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, usb: Path
) -> None:
    backup_schedule.choose_folder(clinic.services, clinic.admin, usb)
    shutil.rmtree(usb)  # the USB drive was taken home
    window = open_window(clinic.clinician)
    auto = AutoBackup(window, clinic.services, lambda: window.user)
    auto.check()
    wait_until_done(qtbot, auto)
    assert auto.banner.isVisible()
    text = auto.banner.text()
    assert "The last backup failed" in text and str(usb) in text
    # Retried after an hour, not at once; it works again once the drive is back.
    auto.check()
    assert not auto.running
    usb.mkdir()
    auto.now = lambda: datetime.now(UTC) + timedelta(hours=2)
    auto.check()
    wait_until_done(qtbot, auto)
    assert not auto.banner.isVisible()
    assert len(archives(usb)) == 1


def test_closing_without_a_backup_today_makes_one_first(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, usb: Path
) -> None:
    backup_schedule.choose_folder(clinic.services, clinic.admin, usb)
    window = open_window(clinic.admin)
    window.auto_backup = AutoBackup(window, clinic.services, lambda: window.user)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    assert len(archives(usb)) == 1
    made = read_archive_info(archives(usb)[0])
    assert made.created.date() == datetime.now(UTC).date()


def test_a_backup_made_from_the_command_line_into_the_folder_counts(
    qtbot: QtBot,
    clinic: Clinic,
    open_window: WindowFactory,
    usb: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from clinicdesk.app import main
    from tests.conftest import PASSWORD

    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    backup_schedule.choose_folder(clinic.services, clinic.admin, usb)
    assert backup_schedule.load(clinic.paths).last_good_at is None
    code = main(["--data-dir", str(clinic.paths.data_dir), "--user", "admin", "backup", str(usb)])
    assert code == 0
    assert backup_schedule.load(clinic.paths).last_good_archive == str(archives(usb)[0])
    window = open_window(clinic.admin)
    window.open_backups()
    assert window.backups_dialog.status.text().startswith("Backups are in order.")
