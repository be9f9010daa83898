"""The patient record's "Interpreter needed: language": stored cleaned, "" for none, edited by
reception (demographics), and a bad entry named by its field with nothing saved."""

from __future__ import annotations

import pytest

from clinicdesk.errors import ValidationError
from tests.conftest import Clinic


def test_reception_records_and_changes_the_language_an_interpreter_is_needed_for(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    patients = clinic.services.patients
    patient = patients.register(clinic.reception, patient_form)
    assert patient.details.interpreter_language == ""

    form = {**patient.details.as_form(), "interpreter_language": "  Polish\u200b "}
    updated = patients.update(clinic.reception, patient.id, patient.version, form)
    assert updated.details.interpreter_language == "Polish"
    assert patients.get(clinic.clinician, patient.id).details.interpreter_language == "Polish"
    # Search results carry it too (the CLI's search JSON).
    [found] = patients.search(clinic.reception, "O'Brien")
    assert found.interpreter_language == "Polish"

    cleared = patients.update(
        clinic.reception,
        patient.id,
        updated.version,
        {**updated.details.as_form(), "interpreter_language": ""},
    )
    assert cleared.details.interpreter_language == ""


@pytest.mark.parametrize(
    ("typed", "says"),
    [("Polish " * 10, "too long"), ("Polish\nGerman", "one line"), ("\u202eHsilop", "retype")],
)
def test_a_bad_language_names_the_field_and_saves_nothing(
    clinic: Clinic, patient_form: dict[str, str], typed: str, says: str
) -> None:
    patient_form["interpreter_language"] = typed
    with pytest.raises(ValidationError) as caught:
        clinic.services.patients.register(clinic.reception, patient_form)
    assert list(caught.value.errors) == ["interpreter_language"]
    assert says in caught.value.errors["interpreter_language"]
    assert "interpreter language" in caught.value.message
    assert clinic.services.patients.count(clinic.admin) == 0
