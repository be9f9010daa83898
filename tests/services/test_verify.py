"""The clinic data check as the GUI's worker runs it: progress, cancel, and the backup that
holds a lost file (``VerifyService.verify``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from clinicdesk.errors import PermissionDenied
from clinicdesk.services import verify as verify_module
from clinicdesk.services.verify import VerifyService
from clinicdesk.storage import audit
from tests.conftest import VALID_PATIENT, Clinic
from tests.media import images


@pytest.fixture
def photographed(clinic: Clinic, tmp_path: Path) -> list[str]:
    """Three photos of one patient; their sha256s."""
    services = clinic.services
    patient = services.patients.register(clinic.reception, dict(VALID_PATIENT))
    files = []
    for seed in range(3):
        path = tmp_path / f"IMG_{seed}.JPG"
        path.write_bytes(images.jpeg((80, 60), seed=seed))
        files.append(path)
    outcomes = services.photos.import_photos(clinic.clinician, patient.id, files)
    assert [o.status for o in outcomes] == ["imported"] * 3
    return [services.photos.photo(clinic.clinician, str(o.photo_id)).sha256 for o in outcomes]


def service(clinic: Clinic) -> VerifyService:
    services = clinic.services
    return VerifyService(services.db, services.paths, services.data_key)


def test_progress_counts_every_step_up_to_the_total(
    clinic: Clinic, photographed: list[str]
) -> None:
    calls: list[tuple[int, int]] = []
    report = service(clinic).verify(clinic.admin, progress=lambda d, t: calls.append((d, t)))
    assert report.all_well, report.problems
    assert report.photos == 3
    totals = {total for _, total in calls}
    assert len(totals) == 1
    (total,) = totals
    assert total >= 3 + 5  # the three photos and the five steps around them
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1] == (total, total)


def test_cancel_stops_the_check_and_says_so(clinic: Clinic, photographed: list[str]) -> None:
    calls: list[int] = []
    report = service(clinic).verify(
        clinic.admin,
        progress=lambda done, _total: calls.append(done),
        cancelled=lambda: len(calls) >= 2,
    )
    assert report.cancelled and not report.all_well
    assert len(calls) == 2
    assert report.summary().startswith("The check was cancelled before the end")
    entry = audit.entries(clinic.services.db)[-1]
    assert (entry.action, entry.entity, entry.detail["cancelled"]) == (
        "verify",
        "clinic_data",
        True,
    )


def test_cancel_interrupts_the_database_check_itself(
    clinic: Clinic, photographed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a large clinic the integrity check alone takes seconds: Cancel stops it there."""
    monkeypatch.setattr(verify_module, "_INTERRUPT_EVERY", 1)
    from_sqlite: list[bool] = []

    def cancelled() -> bool:
        # Asked by SQLite while the integrity check runs (through the progress handler's
        # lambda), or between steps by the check itself.
        from_sqlite.append(sys._getframe(1).f_code.co_name == "<lambda>")
        return any(from_sqlite)

    calls: list[int] = []
    report = service(clinic).verify(
        clinic.admin, progress=lambda done, _total: calls.append(done), cancelled=cancelled
    )
    assert report.cancelled and report.problems == []
    assert True in from_sqlite  # asked from inside the integrity check, which stopped
    assert calls == [0]  # nothing after it ran


def test_the_backup_that_holds_a_lost_file_is_named(
    clinic: Clinic, photographed: list[str]
) -> None:
    paths = clinic.paths
    first, second = photographed[0], photographed[1]
    (paths.photos_dir / first[:2] / first).unlink()
    (paths.photos_dir / second[:2] / second).unlink()
    asked: list[str] = []

    def which_backup_holds(sha256: str) -> str | None:
        asked.append(sha256)
        return "clinicdesk-2026-11-30.cdbackup" if sha256 == first else None

    report = service(clinic).verify(clinic.admin, which_backup_holds=which_backup_holds)
    actions = {p.file: p.action for p in report.problems}
    assert actions == {
        f"photos/{first[:2]}/{first}": "Restore this file from the backup "
        "clinicdesk-2026-11-30.cdbackup, which holds it.",
        f"photos/{second[:2]}/{second}": "Restore this file from your most recent backup.",
    }
    assert sorted(asked) == sorted([first, second])


@pytest.mark.parametrize("role", ["clinician", "reception"])
def test_other_roles_are_refused_and_the_attempt_audited(clinic: Clinic, role: str) -> None:
    with pytest.raises(PermissionDenied):
        service(clinic).verify(getattr(clinic, role))
    entry = audit.entries(clinic.services.db)[-1]
    assert (entry.action, entry.entity) == ("denied", "clinic_data")
