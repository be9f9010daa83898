"""``clinicdesk import-photos``: per-file outcomes, exit codes and permissions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinicdesk.app import main
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic
from tests.media import images


@pytest.fixture
def patient_id(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    return clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT)).id


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    made = {
        "front.jpg": images.jpeg(seed=5),
        "scan.jpg": images.pdf(),
        "again.jpg": images.jpeg(seed=5),
    }
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    return [tmp_path / name for name in made]


def run(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], user: str, *args: str
) -> tuple[int, str, str]:
    code = main(["--data-dir", str(clinic.paths.data_dir), "--user", user, "import-photos", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_reports_every_file_and_exits_0(
    clinic: Clinic, patient_id: str, files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        clinic,
        capsys,
        "clinician",
        patient_id,
        *map(str, files),
        "--view",
        "frontal",
        "--visit",
        "01/05/2024",
        "--json",
    )
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert [(Path(r["file"]).name, r["status"]) for r in rows] == [
        ("front.jpg", "imported"),
        ("scan.jpg", "refused"),
        ("again.jpg", "duplicate"),
    ]
    assert set(rows[0]) == {"file", "status", "reason", "photo_id"}
    assert "not a JPEG" in rows[1]["reason"] and rows[1]["photo_id"] is None
    assert rows[2]["photo_id"] == rows[0]["photo_id"]
    [photo] = clinic.services.photos.list_photos(clinic.clinician, patient_id)
    assert (photo.view.value if photo.view else None, photo.visit_date.isoformat()) == (
        "frontal",
        "2024-05-01",
    )


def test_text_output_has_one_line_per_file(
    clinic: Clinic, patient_id: str, files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(clinic, capsys, "clinician", patient_id, *map(str, files))
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["imported", "refused", "duplicate"]
    assert "scan.jpg: this is not a JPEG" in lines[1]


@pytest.mark.parametrize(
    "extra", [["--view", "sideways"], ["--visit", "31/02/2024"], ["--visit", "01/01/2999"]]
)
def test_usage_errors_exit_2(
    clinic: Clinic,
    patient_id: str,
    files: list[Path],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
) -> None:
    with pytest.raises(SystemExit) as exited:  # argparse refuses an unknown view itself
        code, _, _ = run(clinic, capsys, "clinician", patient_id, str(files[0]), *extra)
        raise SystemExit(code)
    assert exited.value.code == 2
    assert clinic.services.photos.list_photos(clinic.clinician, patient_id) == []


@pytest.mark.parametrize("user", ["reception", "admin"])
def test_reception_and_admin_exit_3(
    clinic: Clinic,
    patient_id: str,
    files: list[Path],
    capsys: pytest.CaptureFixture[str],
    user: str,
) -> None:
    code, out, err = run(clinic, capsys, user, patient_id, str(files[0]))
    assert (code, out) == (3, "")
    assert "does not allow" in err
