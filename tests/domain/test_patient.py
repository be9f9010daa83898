"""validate_patient: every field in stored form, or one message per bad field."""

from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.domain.patient import PATIENT_FIELDS, Sex, validate_patient
from clinicdesk.errors import ValidationError

TODAY = date(2026, 6, 1)


def errors_of(form: dict[str, str]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        validate_patient(form, today=TODAY)
    return caught.value.errors


def test_a_good_form_comes_back_in_stored_form(patient_form: dict[str, str]) -> None:
    details = validate_patient(patient_form, today=TODAY)
    assert details.first_name == "Siobhán"
    assert details.last_name == "O'Brien"
    assert details.date_of_birth == date(1985, 7, 3)
    assert details.sex is Sex.FEMALE
    assert details.nhs_number == "9434765919"
    assert details.postcode == "SW1A 1AA"
    assert details.phone == "07700 900123"


def test_iso_date_of_birth_is_accepted_too(patient_form: dict[str, str]) -> None:
    patient_form["date_of_birth"] = "1985-07-03"
    assert validate_patient(patient_form, today=TODAY).date_of_birth == date(1985, 7, 3)


def test_decomposed_name_is_stored_precomposed(patient_form: dict[str, str]) -> None:
    patient_form["first_name"] = "Zoe\u0308"
    assert validate_patient(patient_form, today=TODAY).first_name == "Zoë"


def test_optional_fields_may_be_left_empty() -> None:
    details = validate_patient(
        {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "01/01/1990", "sex": "X"},
        today=TODAY,
    )
    assert (details.nhs_number, details.phone, details.email, details.postcode) == ("",) * 4


def test_several_bad_fields_are_all_reported_by_field_name(patient_form: dict[str, str]) -> None:
    patient_form.update(
        first_name="",
        last_name="Ann\u202eeoJ",
        date_of_birth="31/02/2020",
        sex="Q",
        phone="call me",
        email="nobody",
        postcode="12345",
        nhs_number="943 476 5910",
        emergency_contact_phone="12",
    )
    errors = errors_of(patient_form)
    assert set(errors) == {
        "first_name",
        "last_name",
        "date_of_birth",
        "sex",
        "phone",
        "email",
        "postcode",
        "nhs_number",
        "emergency_contact_phone",
    }
    assert set(errors) <= set(PATIENT_FIELDS)
    assert errors["first_name"] == "is required"
    assert "check digit" in errors["nhs_number"]
    assert "postcode" in errors["postcode"]


def test_error_message_names_each_field_for_people(patient_form: dict[str, str]) -> None:
    patient_form.update(first_name="", nhs_number="1")
    with pytest.raises(ValidationError) as caught:
        validate_patient(patient_form, today=TODAY)
    assert "first name: is required" in caught.value.message
    assert "nhs number:" in caught.value.message


@pytest.mark.parametrize(
    ("dob", "message"),
    [
        ("2021-02-30", "not a real date"),
        ("31/02/2020", "not a real date"),
        ("2020-1-5", "DD/MM/YYYY"),
        ("02/06/2026", "in the future"),
        ("01/01/1800", "over 125"),
        ("", "is required"),
    ],
)
def test_bad_date_of_birth_is_refused(patient_form: dict[str, str], dob: str, message: str) -> None:
    patient_form["date_of_birth"] = dob
    assert message in errors_of(patient_form)["date_of_birth"]


def test_born_today_is_allowed(patient_form: dict[str, str]) -> None:
    patient_form["date_of_birth"] = TODAY.isoformat()
    assert validate_patient(patient_form, today=TODAY).date_of_birth == TODAY


def test_sex_is_required(patient_form: dict[str, str]) -> None:
    patient_form["sex"] = ""
    assert "required" in errors_of(patient_form)["sex"]


@pytest.mark.parametrize(("typed", "sex"), [("f", Sex.FEMALE), ("M", Sex.MALE), ("x", Sex.OTHER)])
def test_sex_is_case_insensitive(patient_form: dict[str, str], typed: str, sex: Sex) -> None:
    patient_form["sex"] = typed
    assert validate_patient(patient_form, today=TODAY).sex is sex


def test_name_over_the_limit_names_the_field(patient_form: dict[str, str]) -> None:
    patient_form["last_name"] = "x" * 61
    assert "too long" in errors_of(patient_form)["last_name"]


def test_megabyte_name_is_a_validation_error_naming_the_field(
    patient_form: dict[str, str],
) -> None:
    patient_form["first_name"] = "A" * 1_048_576
    errors = errors_of(patient_form)
    assert list(errors) == ["first_name"]
    assert "too long" in errors["first_name"]


def test_as_form_round_trips(patient_form: dict[str, str]) -> None:
    details = validate_patient(patient_form, today=TODAY)
    form = details.as_form()
    assert form["date_of_birth"] == "03/07/1985"
    assert validate_patient(form, today=TODAY) == details
