"""Backups under faults (RELIABILITY rows 4 and 26, issue 13 item 7): killed at any point, the
disk filling up, another connection writing all the while. A good archive already in the
folder stays good, and nothing half-written is ever left under an archive's name."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from clinicdesk.errors import UserError
from clinicdesk.paths import Paths
from clinicdesk.services.backup import WORK_PREFIX, make_backup, verify_archive
from clinicdesk.services.restore import restore_backup
from clinicdesk.storage.database import open_database
from tests.reliability.mounts import tmpfs
from tests.services.backup_setup import DemoCopy, DemoSource, all_rows, demo_source

__all__ = ["demo_source"]

ROOT = Path(__file__).resolve().parents[2]


def backup(copy: DemoCopy, dest: Path) -> Path:
    services = copy.open()
    try:
        return make_backup(services, services.clinic.user("admin"), dest).path
    finally:
        services.close()


def archives(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.cdbackup"))


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.49, 0.75, 0.999])
def test_killed_during_a_backup_the_previous_archive_stays_good_and_no_half_one_is_left(
    demo_source: DemoSource, tmp_path: Path, fraction: float
) -> None:
    copy = demo_source.copy(tmp_path / "clinic")
    dest = tmp_path / "usb"
    dest.mkdir()
    previous = backup(copy, dest)
    before = previous.read_bytes()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reliability.backup_child",
            str(copy.paths.data_dir),
            str(dest),
            str(fraction),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "CLINICDESK_TEST_DATA_KEY": copy.data_key.hex(),
            "PYTHONPATH": str(ROOT),
        },
    )
    with child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "at"
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait(timeout=30)
    assert archives(dest) == [previous]
    assert previous.read_bytes() == before
    verify_archive(previous, copy.data_key)
    leftovers = [p.name for p in dest.iterdir() if p != previous]
    assert all(name.startswith(WORK_PREFIX) for name in leftovers), leftovers
    # The next backup is made as usual beside them.
    assert len(archives(dest)) == 1
    assert backup(copy, dest) in archives(dest)


def test_a_full_disk_names_the_folder_and_leaves_no_partial_archive(
    demo_source: DemoSource, tmp_path: Path
) -> None:
    copy = demo_source.copy(tmp_path / "clinic")
    with tmpfs(tmp_path / "small-usb", "1m") as dest:
        with pytest.raises(UserError) as refused:
            backup(copy, dest)
        message = refused.value.message
        assert f"the disk holding {dest} is full" in message
        assert "Any earlier backup there is unchanged" in message
        assert list(dest.iterdir()) == []
    # The clinic keeps working, and a backup to a drive with room is made.
    services = copy.open()
    try:
        services.patients.register(
            services.clinic.user("reception"),
            {"first_name": "Ann", "last_name": "Other", "date_of_birth": "03/07/1985", "sex": "F"},
        )
    finally:
        services.close()
    roomy = tmp_path / "big-usb"
    roomy.mkdir()
    verify_archive(backup(copy, roomy), copy.data_key)


def test_a_backup_taken_while_another_connection_writes_restores(
    demo_source: DemoSource, tmp_path: Path
) -> None:
    """RELIABILITY row 4: a writer process registers patients throughout the backup."""
    copy = demo_source.copy(tmp_path / "clinic")
    ledger = tmp_path / "ledger"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reliability.writers",
            "patients",
            str(copy.paths.data_dir),
            str(ledger),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "CLINICDESK_TEST_DATA_KEY": copy.data_key.hex(),
            "PYTHONPATH": str(ROOT),
        },
    )
    with writer:
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
            dest = tmp_path / "usb"
            dest.mkdir()
            archive = backup(copy, dest)
        finally:
            writer.kill()
            writer.wait(timeout=30)
    written_before = ledger.read_text().count(".")
    assert written_before > 0
    new = Paths(tmp_path / "restored")
    restored = restore_backup(archive, new, "admin", recovery_key=copy.recovery_key)
    assert restored.audit_problems == []
    db = open_database(new.database, copy.data_key)
    try:
        mode = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    assert mode == "ok"
    assert len(all_rows(new, copy.data_key)["patients"]) == restored.counts["patients"]
