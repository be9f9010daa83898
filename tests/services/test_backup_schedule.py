"""Automatic backups: when one is due, which archives are kept, what everyone is warned of."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clinicdesk.paths import Paths
from clinicdesk.services import backup_schedule as schedule
from clinicdesk.services.backup_schedule import BackupSchedule
from tests.conftest import Clinic

NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def london(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Days and weeks are the clinic's local ones."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_nothing_is_due_until_a_folder_is_chosen() -> None:
    assert not schedule.due(BackupSchedule(), NOON)
    assert schedule.due(BackupSchedule(folder="/media/usb"), NOON)


def test_one_good_backup_a_day_is_enough() -> None:
    done = BackupSchedule(folder="/media/usb").succeeded(Path("a"), NOON - timedelta(hours=3))
    assert not schedule.due(done, NOON)
    assert schedule.due(done, NOON + timedelta(days=1))  # tomorrow: due again


def test_a_failure_is_retried_after_an_hour_not_at_once() -> None:
    failed = BackupSchedule(folder="/media/usb").failed("the drive is missing", NOON)
    assert not schedule.due(failed, NOON + timedelta(minutes=20))
    assert schedule.due(failed, NOON + timedelta(minutes=61))


def test_everyone_is_warned_until_backups_are_in_order() -> None:
    assert "not set up" in schedule.warning(BackupSchedule(), NOON)
    fresh = BackupSchedule(folder="/media/usb").succeeded(Path("a"), NOON - timedelta(days=1))
    assert schedule.warning(fresh, NOON) == ""
    old = BackupSchedule(folder="/media/usb").succeeded(Path("a"), NOON - timedelta(days=3))
    message = schedule.warning(old, NOON)
    assert "04/12/2026" in message and "overdue" in message and "/media/usb" in message
    failed = fresh.failed("the folder /media/usb is no longer there", NOON)
    message = schedule.warning(failed, NOON)
    assert "failed" in message and "no longer there" in message and "06/12/2026" in message
    # The next good one clears it.
    assert schedule.warning(failed.succeeded(Path("b"), NOON), NOON) == ""


def test_seven_daily_and_four_weekly_archives_are_kept() -> None:
    # One backup every day for 60 days, two on the newest day.
    archives = [(Path(f"day-{n}"), NOON - timedelta(days=n)) for n in range(60)]
    archives.append((Path("day-0-morning"), NOON - timedelta(hours=4)))
    removed = set(schedule.to_remove(archives))
    kept = {path for path, _ in archives} - removed
    # The newest of each of the last seven days...
    assert {Path(f"day-{n}") for n in range(7)} <= kept
    assert Path("day-0-morning") in removed  # an older one on a kept day goes
    # ... and the newest of each of four ISO weeks: 7 Dec 2026 is a Monday, so the weeks'
    # newest are today, Sunday 6 Dec (already kept), Sunday 29 Nov and Sunday 22 Nov.
    assert kept == {Path(f"day-{n}") for n in (*range(7), 8, 15)}


def test_a_single_old_archive_is_never_removed() -> None:
    assert schedule.to_remove([(Path("only"), NOON - timedelta(days=400))]) == []


def test_the_schedule_survives_a_restart_and_a_damaged_file(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    assert schedule.load(paths) == BackupSchedule()  # none yet
    saved = BackupSchedule(folder="/media/usb").failed("the disk holding /media/usb is full", NOON)
    schedule.save(paths, saved)
    assert schedule.load(paths) == saved
    (tmp_path / schedule.SCHEDULE_NAME).write_bytes(b"\x00{not json")
    assert schedule.load(paths) == BackupSchedule()
    (tmp_path / schedule.SCHEDULE_NAME).write_text('{"folder": 7, "last_good_at": "yesterday"}')
    assert schedule.load(paths) == BackupSchedule()


def test_two_installations_backing_up_into_one_folder_each_prune_only_their_own(
    clinic: Clinic, tmp_path: Path
) -> None:
    """The main clinic's PC and its second workstation back up to the same network share: one
    pruning never removes the other's backups."""
    from clinicdesk.services.backup import make_backup
    from clinicdesk.storage.database import write_transaction

    share = tmp_path / "share"
    share.mkdir()
    services = clinic.services

    def backup_as(installation: str) -> Path:
        with write_transaction(services.db):
            services.clinic.repo.set_local("installation_id", installation)
        made = make_backup(services, clinic.admin, share).path
        schedule.prune(share, made)
        return made

    first_pc = backup_as("installation-a")
    workstation = backup_as("installation-b")
    assert first_pc.exists() and workstation.exists()
    again = backup_as("installation-b")  # its own older one of the day goes, not the other's
    assert sorted(share.iterdir()) == sorted([first_pc, again])
