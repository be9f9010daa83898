"""Restoring into the data folder the first-run screen of a new PC finds: not empty (the
backups and logs folders, the open log file), but holding no clinic. The restore goes in beside
those files, the database last; a folder holding anything else is still refused."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest

from clinicdesk.errors import UserError
from clinicdesk.paths import DATABASE_NAME
from clinicdesk.services import restore as restore_module
from clinicdesk.services.clinic import NewClinic
from clinicdesk.services.context import create_clinic_storage
from clinicdesk.services.restore import restore_backup
from tests.services.backup_setup import (
    DemoCopy,
    DemoSource,
    all_rows,
    demo_source,
    file_hashes,
    folder_listing,
    fresh_start,
)
from tests.services.test_backup import backup

__all__ = ["demo_source"]


@pytest.fixture
def copy(demo_source: DemoSource, tmp_path: Path) -> DemoCopy:
    return demo_source.copy(tmp_path / "clinic")


@pytest.fixture
def archive(copy: DemoCopy, tmp_path: Path) -> Path:
    return backup(copy, tmp_path / "usb").path


def test_a_restore_goes_in_beside_what_a_first_start_leaves(
    copy: DemoCopy, archive: Path, tmp_path: Path
) -> None:
    rows = all_rows(copy.paths, copy.data_key)
    files = file_hashes(copy.paths)
    with fresh_start(tmp_path / "new-pc") as paths:
        paths.login_attempts.write_text('{"admin": {"failures": 1}}', encoding="utf-8")
        (paths.data_dir / "backup-schedule.json").write_text("{}", encoding="utf-8")
        (paths.backups_dir / archive.name).write_bytes(archive.read_bytes())  # copied there
        assert not paths.holds_clinic()

        result = restore_backup(archive, paths, "admin", recovery_key=copy.recovery_key)

        assert result.counts["patients"] == len(rows["patients"])
        assert file_hashes(paths) == files
        after = all_rows(paths, copy.data_key)
        assert after["patients"] == rows["patients"]
        assert paths.holds_clinic()
        assert not paths.unfinished_restore.exists()
        assert not any(".restoring-" in p.name for p in paths.data_dir.parent.iterdir())
        # What was there stays, and the open log file is still the one written to.
        assert paths.login_attempts.exists() and (paths.backups_dir / archive.name).exists()
        logging.getLogger("clinicdesk.test").info("after the restore")
        log_text = (paths.logs_dir / "clinicdesk.log").read_text(encoding="utf-8")
        assert "ClinicDesk starting (gui)" in log_text and "after the restore" in log_text


@pytest.mark.parametrize(
    "leftover",
    [
        DATABASE_NAME,
        "keyring.json",
        "photos/ab/" + "ab" * 32,
        "consents/cd/" + "cd" * 32,
        "notes.txt",
        "logs/notes.txt",
        "backups/before-0007_x-20260101T000000Z.db",
        "restore-unfinished.json+" + DATABASE_NAME,  # a stopped restore, but its database is in
    ],
)
def test_a_folder_holding_anything_else_is_refused_unchanged(
    archive: Path, tmp_path: Path, leftover: str
) -> None:
    with fresh_start(tmp_path / "pc") as paths:
        for name in leftover.split("+"):
            path = paths.data_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"someone's file")
        before = folder_listing(paths.data_dir)
        with pytest.raises(UserError, match="is not empty") as refused:
            restore_backup(archive, paths, "admin", password="demo")
        assert "Nothing was changed" in refused.value.message
        assert folder_listing(paths.data_dir) == before


def _stop_at_the_database(
    monkeypatch: pytest.MonkeyPatch, target: Path, error: BaseException
) -> None:
    real = os.replace

    def replace(source: object, destination: object) -> None:
        if Path(str(destination)) == target / DATABASE_NAME:
            raise error
        real(source, destination)  # type: ignore[arg-type]

    monkeypatch.setattr(restore_module.os, "replace", replace)


class PowerCut(BaseException):
    """The program stops here: nothing after it runs (no tidying up)."""


def test_a_restore_stopped_before_the_database_leaves_a_new_folder_that_restores_again(
    copy: DemoCopy, archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_start(tmp_path / "new-pc") as paths:
        _stop_at_the_database(monkeypatch, paths.data_dir, PowerCut())
        with pytest.raises(PowerCut):
            restore_backup(archive, paths, "admin", password="demo")
        monkeypatch.undo()
        assert paths.keyring.exists() and not paths.database.exists()
        assert not paths.holds_clinic()  # the first-run screen is shown again
        with pytest.raises(UserError, match="stopped before it was finished"):
            create_clinic_storage(
                paths, NewClinic("Other", "London", [], "boss", "Boss", "long enough")
            )
        assert paths.keyring.exists() and not paths.database.exists()

        restore_backup(archive, paths, "admin", recovery_key=copy.recovery_key)
        assert paths.holds_clinic() and not paths.unfinished_restore.exists()
        assert file_hashes(paths) == file_hashes(copy.paths)
        assert (
            all_rows(paths, copy.data_key)["patients"]
            == all_rows(copy.paths, copy.data_key)["patients"]
        )


def test_a_failed_move_takes_the_files_out_again(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_start(tmp_path / "new-pc") as paths:
        before = folder_listing(paths.data_dir)
        _stop_at_the_database(monkeypatch, paths.data_dir, OSError(errno.EIO, "Input/output error"))
        with pytest.raises(UserError, match="Input/output error") as refused:
            restore_backup(archive, paths, "admin", password="demo")
        monkeypatch.undo()
        assert "Nothing was restored" in refused.value.message
        assert folder_listing(paths.data_dir) == before
        assert not paths.holds_clinic()
