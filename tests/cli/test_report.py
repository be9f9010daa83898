"""``clinicdesk report``: the PDF written whole, exit codes and permissions."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from clinicdesk.app import main
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic
from tests.services import report_setup as setup


@pytest.fixture
def patient(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> setup.TreatedPatient:
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    return setup.treated_patient(clinic)


def run(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], user: str, *args: str
) -> tuple[int, str, str]:
    code = main(["--data-dir", str(clinic.paths.data_dir), "--user", user, "report", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def text_of(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_writes_the_clinical_report_and_prints_its_path(
    clinic: Clinic,
    patient: setup.TreatedPatient,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out_file = folder / "report.pdf"
    code, out, err = run(clinic, capsys, "clinician", patient.id, "-o", str(out_file))
    assert (code, out, err) == (0, f"{out_file}\n", "")
    text = text_of(out_file)
    assert patient.name in text
    assert "131.0 +11.0 (+9.2%)" in text  # frontal density 120.0 -> 131.0
    assert [p.name for p in folder.iterdir()] == ["report.pdf"]  # no temporary file left
    # Recorded in the documents log as the GUI records it: generated, then saved (an export).
    log = clinic.services.consents.documents(clinic.clinician, patient.id)
    assert [(d.kind.value, d.action.value) for d in reversed(log)] == [
        ("progress_report", "generated"),
        ("progress_report", "saved"),
    ]
    assert {d.pdf_sha256 for d in log} == {hashlib.sha256(out_file.read_bytes()).hexdigest()}


def test_patient_flavour_and_comment(
    clinic: Clinic,
    patient: setup.TreatedPatient,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    out_file = tmp_path / "for-patient.pdf"
    code, _, err = run(
        clinic,
        capsys,
        "clinician",
        patient.id,
        "-o",
        str(out_file),
        "--flavour",
        "patient",
        "--comment",
        "Keep taking <minoxidil> & see you in March.",
    )
    assert (code, err) == (0, "")
    text = text_of(out_file)
    assert "Your hair density at the front went from 120 to 131 hairs per cm² (up 9%)" in text
    assert "Keep taking <minoxidil> & see you in March." in text


@pytest.mark.parametrize("user", ["reception", "admin"])
def test_reception_and_admin_exit_3_and_nothing_is_written(
    clinic: Clinic,
    patient: setup.TreatedPatient,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    user: str,
) -> None:
    out_file = tmp_path / "report.pdf"
    code, out, err = run(clinic, capsys, user, patient.id, "-o", str(out_file))
    assert (code, out) == (3, "")
    assert err.startswith("clinicdesk: ") and "does not allow" in err
    assert len(err.splitlines()) == 1
    assert not out_file.exists()


@pytest.mark.parametrize(
    "problem",
    ["unknown patient", "missing folder", "comment too long"],
)
def test_user_errors_exit_2_with_one_line(
    clinic: Clinic,
    patient: setup.TreatedPatient,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    problem: str,
) -> None:
    out_file = tmp_path / "report.pdf"
    args = {
        "unknown patient": ["01a00000-0000-7000-8000-000000000000", "-o", str(out_file)],
        "missing folder": [patient.id, "-o", str(tmp_path / "no" / "such" / "report.pdf")],
        "comment too long": [patient.id, "-o", str(out_file), "--comment", "x" * 2001],
    }[problem]
    code, out, err = run(clinic, capsys, "clinician", *args)
    assert (code, out) == (2, "")
    assert err.startswith("clinicdesk: ") and len(err.splitlines()) == 1
    assert "Traceback" not in err
    assert not out_file.exists()


def test_an_unknown_flavour_is_a_usage_error(
    clinic: Clinic,
    patient: setup.TreatedPatient,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    with pytest.raises(SystemExit) as exited:  # argparse refuses it before signing in
        run(
            clinic, capsys, "clinician", patient.id, "-o", str(tmp_path / "r.pdf"), "--flavour", "x"
        )
    assert exited.value.code == 2


def test_a_patient_never_measured_gets_a_report_that_says_so(
    clinic: Clinic,
    patient: setup.TreatedPatient,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    newcomer = clinic.services.patients.register(
        clinic.reception, dict(VALID_PATIENT) | {"nhs_number": "", "last_name": "Newcomer"}
    )
    out_file = tmp_path / "report.pdf"
    code, out, err = run(clinic, capsys, "clinician", newcomer.id, "-o", str(out_file))
    assert (code, out, err) == (0, f"{out_file}\n", "")
    text = text_of(out_file)
    assert "Newcomer" in text
    assert "No treatment has been recorded for this patient." in text
    assert "No trichoscopy assessment has been recorded." in text
    code, out, err = run(
        clinic, capsys, "clinician", newcomer.id, "-o", str(out_file), "--flavour", "patient"
    )
    assert (code, err) == (0, "")
    assert "Your scalp has not been measured yet." in text_of(out_file)


def _sizes(path: Path) -> set[float]:
    import re

    sizes: set[float] = set()
    for page in PdfReader(io.BytesIO(path.read_bytes())).pages:
        content = page.get_contents()
        assert content is not None
        sizes |= {float(s) for s in re.findall(rb"/[\w+]+ ([\d.]+) Tf", content.get_data())}
    return sizes


def test_large_print_writes_the_patients_report_with_12_pt_body_text(
    clinic: Clinic,
    patient: setup.TreatedPatient,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    large, normal = tmp_path / "large.pdf", tmp_path / "normal.pdf"
    args = (patient.id, "--flavour", "patient")
    assert run(clinic, capsys, "clinician", *args, "--large-print", "-o", str(large))[0] == 0
    assert run(clinic, capsys, "clinician", *args, "-o", str(normal))[0] == 0
    assert 12.0 in _sizes(large) and 9.0 not in _sizes(large)
    assert 9.0 in _sizes(normal) and 12.0 not in _sizes(normal)
    assert patient.name in text_of(large)


def test_large_print_is_refused_for_the_clinical_report(
    clinic: Clinic,
    patient: setup.TreatedPatient,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    out_file = tmp_path / "report.pdf"
    code, out, err = run(
        clinic, capsys, "clinician", patient.id, "--large-print", "-o", str(out_file)
    )
    assert (code, out) == (2, "")
    assert "large print" in err and "patient" in err
    assert not out_file.exists()
