"""Backups and restores through the services: the round trip of the whole clinic, what a
backup covers, and every refusal (damaged, truncated, newer, wrong secret, non-empty target)."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clinicdesk.errors import DatabaseTooNew, PermissionDenied, UserError
from clinicdesk.paths import Paths
from clinicdesk.services import restore as restore_module
from clinicdesk.services.audit import AuditService
from clinicdesk.services.backup import (
    IN_BACKUP,
    NOT_IN_BACKUP,
    WORK_PREFIX,
    BackupResult,
    BackupStopped,
    make_backup,
    read_archive_info,
    verify_archive,
)
from clinicdesk.services.restore import restore_backup
from clinicdesk.storage.database import integrity_ok, open_database
from tests.services.backup_setup import (
    DemoCopy,
    DemoSource,
    all_rows,
    clinicdesk_verify,
    demo_source,
    file_hashes,
    schema,
)

__all__ = ["demo_source"]  # the module-scoped fixture, used by name


def backup(copy: DemoCopy, dest: Path, **kwargs: object) -> BackupResult:
    dest.mkdir(exist_ok=True)
    services = copy.open()
    try:
        return make_backup(services, services.clinic.user("admin"), dest, **kwargs)  # type: ignore[arg-type]
    finally:
        services.close()


@pytest.fixture
def copy(demo_source: DemoSource, tmp_path: Path) -> DemoCopy:
    return demo_source.copy(tmp_path / "clinic")


@pytest.fixture
def archive(copy: DemoCopy, tmp_path: Path) -> Path:
    return backup(copy, tmp_path / "usb").path


def test_round_trip_restores_every_row_and_file_with_the_recovery_key(
    copy: DemoCopy, tmp_path: Path
) -> None:
    rows = all_rows(copy.paths, copy.data_key)
    files = file_hashes(copy.paths)
    tables = schema(copy.paths, copy.data_key)
    assert any(name.startswith("photos/") for name in files)
    assert any(name.startswith("consents/") for name in files)
    result = backup(copy, tmp_path / "usb")
    assert result.path.name.startswith("clinicdesk-main-clinic-")
    assert result.path.suffix == ".cdbackup"
    assert [p.name for p in result.path.parent.iterdir()] == [result.path.name]
    shutil.rmtree(copy.paths.data_dir)  # the disk died

    new = Paths(tmp_path / "new-pc" / "data")
    restored = restore_backup(result.path, new, "admin", recovery_key=copy.recovery_key)

    assert restored.counts["patients"] == len(rows["patients"])
    assert restored.files == len(files) - 1  # all but the key ring
    assert restored.audit_problems == []
    assert schema(new, copy.data_key) == tables  # a new table would be here, or fail here
    assert file_hashes(new) == files
    after = all_rows(new, copy.data_key)
    for table, before in rows.items():
        if table in ("audit_log", "local_state"):
            continue
        assert after[table] == before, table
    # The trail: the same entries, then the restore's own entry.
    assert after["audit_log"][: len(rows["audit_log"])] == rows["audit_log"]
    assert len(after["audit_log"]) == len(rows["audit_log"]) + 1
    db = open_database(new.database, copy.data_key)
    try:
        assert integrity_ok(db)
        assert db.execute("SELECT action FROM audit_log ORDER BY seq DESC").fetchone()[0] == (
            "restore"
        )
    finally:
        db.close()
    reopened = DemoCopy(new, copy.data_key, copy.recovery_key).open()
    try:
        check = AuditService(reopened.db).verify(reopened.clinic.user("admin"))
        assert check.intact, check.problems
    finally:
        reopened.close()
    assert restored.notes()[0].startswith("Restored the backup made on ")
    assert clinicdesk_verify(new).startswith("All is well")


def test_every_table_and_data_folder_is_backed_up_or_listed_as_left_out(
    copy: DemoCopy, archive: Path, tmp_path: Path
) -> None:
    """Fails when a new folder or file appears in the data folder (or in ``Paths``) that is
    neither in the backup nor on ``NOT_IN_BACKUP`` with the reason it is left out."""
    covered = set(IN_BACKUP["files"]) | set(IN_BACKUP["folders"]) | set(NOT_IN_BACKUP)
    on_disk = {entry.name for entry in copy.paths.data_dir.iterdir()}
    assert {"photos", "consents", "cache", "clinicdesk.db"} <= on_disk
    assert on_disk <= covered, f"not covered by the backup: {sorted(on_disk - covered)}"
    declared = {
        getattr(copy.paths, name).relative_to(copy.paths.data_dir).parts[0]
        for name, value in vars(Paths).items()
        if isinstance(value, property) and name != "data_dir"
    }
    assert declared <= covered, f"Paths has places not covered: {sorted(declared - covered)}"
    # And every store folder really is in the archive: restored, nothing of it is missing.
    new = Paths(tmp_path / "restored")
    restore_backup(archive, new, "admin", password="demo")
    for folder in IN_BACKUP["folders"]:
        before = sorted(p.name for p in (copy.paths.data_dir / folder).rglob("*") if p.is_file())
        after = sorted(p.name for p in (new.data_dir / folder).rglob("*") if p.is_file())
        assert after == before, folder


@pytest.mark.parametrize("where", [0.02, 0.5, 0.97])
def test_a_flipped_byte_is_refused_naming_the_problem_and_nothing_changes(
    archive: Path, tmp_path: Path, where: float
) -> None:
    data = bytearray(archive.read_bytes())
    data[int(len(data) * where)] ^= 0x01
    archive.write_bytes(bytes(data))
    target = tmp_path / "empty"
    target.mkdir()
    with pytest.raises(UserError) as refused:
        restore_backup(archive, Paths(target), "admin", password="demo")
    message = refused.value.message
    assert "damaged" in message or "ends early" in message or "password" in message
    assert "Nothing was restored and the folder was not changed" in message
    assert list(target.iterdir()) == []
    assert not any(p.name.startswith(".empty.restoring") for p in tmp_path.iterdir())


def test_a_flipped_byte_in_a_photo_names_that_photo(archive: Path, tmp_path: Path) -> None:
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x80  # the middle of the archive: photo data
    archive.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"damaged in photos/[0-9a-f]{2}/[0-9a-f]{64}"):
        restore_backup(archive, Paths(tmp_path / "new"), "admin", password="demo")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.999])
def test_a_truncated_archive_is_refused_and_nothing_changes(
    archive: Path, tmp_path: Path, keep: float
) -> None:
    data = archive.read_bytes()
    archive.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(UserError, match="ends early") as refused:
        restore_backup(archive, Paths(tmp_path / "new"), "admin", password="demo")
    assert "Nothing was restored" in refused.value.message
    assert not (tmp_path / "new").exists()


def test_a_verified_archive_reads_back_and_a_damaged_one_does_not(
    copy: DemoCopy, archive: Path
) -> None:
    check = verify_archive(archive, copy.data_key)
    assert check.manifest["counts"]["patients"] > 0
    assert check.manifest["site_name"] == "Main clinic"
    data = archive.read_bytes()
    archive.write_bytes(data[:-1])
    with pytest.raises(UserError, match="ends early"):
        verify_archive(archive, copy.data_key)


def test_a_non_empty_target_is_refused_plainly(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "occupied"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="is not empty"):
        restore_backup(archive, Paths(target), "admin", password="demo")
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_wrong_password_and_wrong_recovery_key_are_refused(
    archive: Path, tmp_path: Path, copy: DemoCopy
) -> None:
    target = Paths(tmp_path / "new")
    with pytest.raises(UserError, match="password is wrong"):
        restore_backup(archive, target, "admin", password="not the password")
    other_key = (
        "A" * 4 + copy.recovery_key[4:]
        if not copy.recovery_key.startswith("A")
        else ("B" * 4 + copy.recovery_key[4:])
    )
    with pytest.raises(UserError, match="recovery key does not open this clinic"):
        restore_backup(archive, target, "admin", recovery_key=other_key)
    assert not target.data_dir.exists()


def test_a_clinician_can_neither_back_up_nor_restore(copy: DemoCopy, tmp_path: Path) -> None:
    services = copy.open()
    try:
        with pytest.raises(PermissionDenied):
            make_backup(services, services.clinic.user("clinician"), tmp_path)
    finally:
        services.close()
    archive = backup(copy, tmp_path / "usb").path
    with pytest.raises(UserError, match="not an administrator"):
        restore_backup(archive, Paths(tmp_path / "new"), "clinician", password="demo")
    assert not (tmp_path / "new").exists()


def test_an_archive_from_a_newer_clinicdesk_is_refused_saying_so(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    known = restore_module.known_migration_names()
    # This version knows one migration fewer than the one that made the backup.
    monkeypatch.setattr(restore_module, "known_migration_names", lambda: known[:-1])
    with pytest.raises(DatabaseTooNew, match="newer version of ClinicDesk"):
        restore_backup(archive, Paths(tmp_path / "new"), "admin", password="demo")
    monkeypatch.undo()
    data = bytearray(archive.read_bytes())
    data[8:10] = (99).to_bytes(2, "big")  # the archive format
    archive.write_bytes(bytes(data))
    with pytest.raises(UserError, match="newer version of ClinicDesk"):
        restore_backup(archive, Paths(tmp_path / "new"), "admin", password="demo")
    assert not (tmp_path / "new").exists()


def test_restoring_an_older_backup_names_the_newer_one(copy: DemoCopy, tmp_path: Path) -> None:
    dest = tmp_path / "usb"
    older = backup(copy, dest, now=lambda: datetime(2026, 6, 1, 9, tzinfo=UTC)).path
    newer = backup(copy, dest, now=lambda: datetime(2026, 6, 14, 9, tzinfo=UTC)).path
    restored = restore_backup(older, Paths(tmp_path / "new"), "admin", password="demo")
    notes = "\n".join(restored.notes())
    assert "made on 01/06/2026 09:00 UTC" in notes
    assert f"A newer backup of this clinic exists: {newer}" in notes
    assert read_archive_info(newer).created > read_archive_info(older).created


def test_cancel_leaves_nothing_behind_and_progress_reaches_the_total(
    copy: DemoCopy, tmp_path: Path
) -> None:
    dest = tmp_path / "usb"
    calls: list[tuple[int, int]] = []
    with pytest.raises(BackupStopped):
        backup(
            copy, dest, progress=lambda d, t: calls.append((d, t)), cancelled=lambda: bool(calls)
        )
    assert list(dest.iterdir()) == []
    calls.clear()
    result = backup(copy, dest, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1][0] == calls[-1][1]
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert not any(p.name.startswith(WORK_PREFIX) for p in dest.iterdir())
    assert dataclasses.asdict(result)["files"] > 0


def test_a_missing_folder_is_named(copy: DemoCopy, tmp_path: Path) -> None:
    services = copy.open()
    try:
        with pytest.raises(UserError, match=r"the folder .*gone does not exist"):
            make_backup(services, services.clinic.user("admin"), tmp_path / "gone")
    finally:
        services.close()
