"""RELIABILITY row 23: huge text fields are refused with a message naming the field."""

from __future__ import annotations

import time
from datetime import date

import pytest

from clinicdesk.app import main
from clinicdesk.domain.medical import validate_medical_history
from clinicdesk.errors import ValidationError
from tests.conftest import PASSWORD, Clinic

MEGABYTE = 1_048_576


@pytest.mark.parametrize("field", ["first_name", "last_name", "address_line1", "gp_practice"])
def test_a_megabyte_in_a_patient_field_is_refused_naming_it(
    clinic: Clinic, patient_form: dict[str, str], field: str
) -> None:
    started = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        clinic.services.patients.register(clinic.reception, patient_form | {field: "A" * MEGABYTE})
    assert time.perf_counter() - started < 2
    assert list(caught.value.errors) == [field]
    assert "too long" in caught.value.errors[field]
    assert field.replace("_", " ") in caught.value.message
    assert len(caught.value.message) < 200  # says what is wrong without echoing the text
    assert clinic.services.patients.count(clinic.reception) == 0


def test_a_megabyte_note_in_the_medical_history_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_medical_history(
            other={"notes": "n" * MEGABYTE},
            allergies=[{"substance": "s" * MEGABYTE}],
            today=date(2026, 1, 1),
        )
    assert set(caught.value.errors) == {"notes", "allergies[0].substance"}


def test_a_megabyte_name_on_the_command_line_is_one_short_line(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic.services.close()
    monkeypatch.setenv("CLINICDESK_PASSWORD", PASSWORD)
    code = main(
        [
            "--data-dir",
            str(clinic.paths.data_dir),
            "--user",
            "reception",
            "patients",
            "add",
            "--first",
            "A" * MEGABYTE,
            "--last",
            "Lee",
            "--dob",
            "1990-01-01",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1 and len(err) < 200
    assert "first name: is too long" in err
