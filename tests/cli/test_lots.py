"""``clinicdesk lots find LOT``: the field-safety-notice look-up from the command line."""

from __future__ import annotations

import json

import pytest

from clinicdesk.app import main
from tests.conftest import PASSWORD, Clinic
from tests.services.clinical_setup import eligible_patient, treatment_form


@pytest.fixture
def treated(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> Clinic:
    service = clinic.services.clinical
    kit = eligible_patient(clinic, first_name="Kit", last_name="Patient")
    anaesthetic = eligible_patient(clinic, first_name="Ana", last_name="Esthetic")
    other = eligible_patient(clinic, first_name="Other", last_name="Lot")
    service.record_treatment(
        clinic.clinician, kit.id, treatment_form(clinic, kit_lot="FSN-2025-7", anaesthetic_lot="A1")
    )
    service.record_treatment(
        clinic.clinician,
        anaesthetic.id,
        treatment_form(clinic, kit_lot="K2", anaesthetic_lot="fsn-2025-7"),
    )
    service.record_treatment(
        clinic.clinician, other.id, treatment_form(clinic, kit_lot="FSN-2025-70")
    )
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    return clinic


def run(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], user: str, *args: str
) -> tuple[int, str, str]:
    code = main(["--data-dir", str(clinic.paths.data_dir), "--user", user, "lots", "find", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_lists_exactly_the_patients_with_that_lot(
    treated: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(treated, capsys, "clinician", " fsn-2025-7 ", "--json")
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert [(r["last_name"], r["matched"]) for r in rows] == [
        ("Esthetic", ["anaesthetic"]),
        ("Patient", ["kit"]),
    ]
    assert set(rows[0]) == {
        "patient_id",
        "first_name",
        "last_name",
        "date_of_birth",
        "treatment_id",
        "treated_on",
        "kit_name",
        "kit_lot",
        "anaesthetic_name",
        "anaesthetic_lot",
        "matched",
    }
    assert rows[1]["date_of_birth"] == "1985-07-03"
    assert rows[1]["treated_on"] == "2025-03-10"


def test_text_output_is_one_line_per_treatment(
    treated: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(treated, capsys, "admin", "FSN-2025-7")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 2
    assert (
        "PATIENT, Kit  03/07/1985  treated 10/03/2025  kit Rigenera HBW lot FSN-2025-7*"
        in (lines[1])
    )
    assert "anaesthetic Lidocaine 2% with adrenaline lot fsn-2025-7*" in lines[0]


def test_no_match_and_prefixes_find_nothing(
    treated: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(treated, capsys, "clinician", "FSN-2025")
    assert code == 0
    assert out == "No treatment used lot 'FSN-2025'.\n"
    assert json.loads(run(treated, capsys, "clinician", "FSN", "--json")[1]) == []


def test_reception_is_refused_with_exit_3(
    treated: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(treated, capsys, "reception", "FSN-2025-7")
    assert (code, out) == (3, "")
    assert err.startswith("clinicdesk: Your role (Reception) does not allow this")
    assert len(err.splitlines()) == 1
