"""``clinicdesk export-patient``: the subject access zip, exit codes and permissions."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicdesk.app import main
from tests.conftest import PASSWORD, Clinic
from tests.services.subject_access_setup import CourseOfCare, full_course, members


@pytest.fixture
def course(clinic: Clinic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CourseOfCare:
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    return full_course(clinic, tmp_path / "camera")


def run(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], user: str, *args: str
) -> tuple[int, str, str]:
    code = main(["--data-dir", str(clinic.paths.data_dir), "--user", user, "export-patient", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_admin_gets_the_zip_and_its_path(
    clinic: Clinic, course: CourseOfCare, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out_file = folder / "sar.zip"
    code, out, err = run(clinic, capsys, "admin", course.patient_id, "-o", str(out_file))
    assert (code, out, err) == (0, f"{out_file}\n", "")
    files = members(out_file)
    assert {"summary.pdf", "README.txt", "access-log.csv", "problems.txt"} <= set(files)
    assert len([n for n in files if n.startswith("photos/")]) == 6
    assert [p.name for p in folder.iterdir()] == ["sar.zip"]  # no temporary file left


def test_a_missing_photo_is_named_on_stderr_and_the_rest_is_written(
    clinic: Clinic, course: CourseOfCare, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    photo = clinic.services.photos.list_photos(clinic.clinician, course.patient_id)[0]
    clinic.services.photos.store.path_of(photo.sha256).unlink()
    out_file = tmp_path / "sar.zip"
    code, out, err = run(clinic, capsys, "admin", course.patient_id, "-o", str(out_file))
    assert code == 0 and out == f"{out_file}\n"
    assert err.startswith("left out: Photograph, 2025-03-10, frontal: the file is missing")
    assert len([n for n in members(out_file) if n.startswith("photos/")]) == 5


@pytest.mark.parametrize("user", ["clinician", "reception"])
def test_other_roles_are_refused_with_exit_3(
    clinic: Clinic,
    course: CourseOfCare,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    user: str,
) -> None:
    out_file = tmp_path / "sar.zip"
    code, out, err = run(clinic, capsys, user, course.patient_id, "-o", str(out_file))
    assert (code, out) == (3, "")
    assert "does not allow" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.glob("sar.zip*")) == []


def test_an_unknown_patient_or_a_folder_as_output_exits_2(
    clinic: Clinic, course: CourseOfCare, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(clinic, capsys, "admin", "no-such-id", "-o", str(tmp_path / "x.zip"))
    assert code == 2 and "does not exist" in err
    code, _, err = run(clinic, capsys, "admin", course.patient_id, "-o", str(tmp_path))
    assert code == 2 and "is a folder" in err
    assert list(tmp_path.glob("*.zip*")) == []
