"""A lost photo or consent file: the data check names the backup that holds it, and the file is
put back from there without restoring the whole clinic."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicdesk.errors import PermissionDenied, UserError
from clinicdesk.services import backup_schedule
from clinicdesk.services.backup import make_backup
from clinicdesk.services.backup_files import restore_from_backups, which_backup_holds
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.verify import VerifyService
from tests.services.backup_setup import DemoCopy, DemoSource, demo_source, file_hashes

__all__ = ["demo_source"]  # the module-scoped fixture, used by name


@pytest.fixture
def clinic(demo_source: DemoSource, tmp_path: Path) -> DemoCopy:
    return demo_source.copy(tmp_path / "clinic")


@pytest.fixture
def services(clinic: DemoCopy) -> ClinicServices:
    opened = clinic.open()
    yield opened  # type: ignore[misc]
    opened.close()


def back_up_to_usb(services: ClinicServices, usb: Path) -> Path:
    usb.mkdir()
    admin = services.clinic.user("admin")
    backup_schedule.choose_folder(services, admin, usb)
    return make_backup(services, admin, usb).path


def check(services: ClinicServices):  # type: ignore[no-untyped-def]
    admin = services.clinic.user("admin")
    checker = VerifyService(services.db, services.paths, services.data_key)
    return checker.verify(admin, which_backup_holds=which_backup_holds(services))


def lose_two_files(clinic: DemoCopy) -> tuple[Path, Path]:
    photos = sorted(p for p in clinic.paths.photos_dir.rglob("*") if p.is_file())
    assert len(photos) >= 2
    gone, flipped = photos[0], photos[1]
    gone.unlink()
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x40
    flipped.write_bytes(bytes(data))
    return gone, flipped


def test_the_check_names_the_backup_holding_each_lost_file_and_puts_them_back(
    clinic: DemoCopy, services: ClinicServices, tmp_path: Path
) -> None:
    before = file_hashes(clinic.paths)
    archive = back_up_to_usb(services, tmp_path / "usb")
    gone, flipped = lose_two_files(clinic)
    report = check(services)
    lost = {p.file: p for p in report.problems}
    names = {
        str(gone.relative_to(clinic.paths.data_dir)),
        str(flipped.relative_to(clinic.paths.data_dir)),
    }
    assert set(lost) == names
    for problem in lost.values():
        assert problem.backup is not None and str(archive) in problem.backup
        assert f"Restore this file from the backup {archive}" in problem.action
    done, nowhere = restore_from_backups(services, services.clinic.user("admin"), names)
    assert nowhere == []
    assert [r.archive for r in done] == [archive] and sorted(done[0].restored) == sorted(names)
    assert file_hashes(clinic.paths) == before  # byte for byte as they were
    assert check(services).all_well


def test_a_file_no_backup_holds_is_said_so(
    clinic: DemoCopy, services: ClinicServices, tmp_path: Path
) -> None:
    (tmp_path / "usb").mkdir()
    backup_schedule.choose_folder(services, services.clinic.user("admin"), tmp_path / "usb")
    gone, _flipped = lose_two_files(clinic)
    report = check(services)
    problem = next(p for p in report.problems if p.file and gone.name in p.file)
    assert problem.backup is None
    assert problem.action == "Restore this file from your most recent backup."


def test_a_damaged_backup_puts_nothing_back(
    clinic: DemoCopy, services: ClinicServices, tmp_path: Path
) -> None:
    archive = back_up_to_usb(services, tmp_path / "usb")
    gone, flipped = lose_two_files(clinic)
    damaged_before = flipped.read_bytes()
    data = bytearray(archive.read_bytes())
    data[-200] ^= 0x01  # in the manifest, read last: every file has been staged by then
    archive.write_bytes(bytes(data))
    names = [str(p.relative_to(clinic.paths.data_dir)) for p in (gone, flipped)]
    with pytest.raises(UserError, match="damaged"):
        restore_from_backups(services, services.clinic.user("admin"), names)
    assert not gone.exists() and flipped.read_bytes() == damaged_before
    leftovers = [p for p in clinic.paths.photos_dir.rglob(".*") if p.is_file()]
    assert leftovers == []


def test_only_an_administrator_puts_files_back(services: ClinicServices, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied):
        restore_from_backups(
            services, services.clinic.user("clinician"), ["photos/ab/" + "ab" * 32]
        )


def test_only_photo_and_consent_files_are_put_back(
    services: ClinicServices, tmp_path: Path
) -> None:
    back_up_to_usb(services, tmp_path / "usb")
    done, nowhere = restore_from_backups(
        services, services.clinic.user("admin"), ["clinicdesk.db", "../../etc/passwd"]
    )
    assert done == [] and sorted(nowhere) == ["../../etc/passwd", "clinicdesk.db"]
