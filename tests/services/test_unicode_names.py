"""RELIABILITY row 24, end to end through the service: names in any script, one canonical form.

The text rules themselves are unit-tested in tests/domain/test_text.py; these check that what a
receptionist types is what is stored, indexed and found, and that hidden characters never are.
"""

from __future__ import annotations

import unicodedata

import pytest

from clinicdesk.errors import ValidationError
from tests.conftest import Clinic


def register(clinic: Clinic, first: str, last: str) -> str:
    form = {"first_name": first, "last_name": last, "date_of_birth": "15/01/1990", "sex": "X"}
    return clinic.services.patients.register(clinic.reception, form).id


def found(clinic: Clinic, text: str) -> list[str]:
    return [r.id for r in clinic.services.patients.search(clinic.reception, text)]


def test_a_name_typed_decomposed_is_stored_composed_and_found_typed_either_way(
    clinic: Clinic,
) -> None:
    first, last = unicodedata.normalize("NFD", "José"), unicodedata.normalize("NFD", "Núñez")
    assert (first, last) != ("José", "Núñez")  # a keyboard that sends letter + accent
    patient_id = register(clinic, first, last)
    db = clinic.services.db
    stored = db.execute(
        "SELECT first_name, last_name FROM patients WHERE id = ?", [patient_id]
    ).fetchone()
    assert tuple(stored) == ("José", "Núñez")
    indexed = db.execute("SELECT names FROM patient_search").fetchone()[0]
    assert unicodedata.is_normalized("NFC", indexed)
    for typed in ("José", first, "Jose", "JOSE", "jose nunez", "Núñez", last, "Nunez"):
        assert found(clinic, typed) == [patient_id], typed


def test_the_same_name_typed_two_ways_is_one_name(clinic: Clinic) -> None:
    composed = register(clinic, "Zoë", "Lefèvre")
    decomposed = register(clinic, "Zoe\u0308", "Lefe\u0300vre")
    service = clinic.services.patients
    one = service.get(clinic.reception, composed).details
    other = service.get(clinic.reception, decomposed).details
    assert (one.first_name, one.last_name) == (other.first_name, other.last_name)
    assert sorted(found(clinic, "Zoë Lefèvre")) == sorted([composed, decomposed])


@pytest.mark.parametrize(
    ("first", "last"),
    [("فاطمة", "الزهراء"), ("דוד", "כהן"), ("Nguyễn", "Thị"), ("Ngā", "Tāne")],
)
def test_names_in_other_scripts_are_kept_and_found(clinic: Clinic, first: str, last: str) -> None:
    patient_id = register(clinic, first, last)
    details = clinic.services.patients.get(clinic.reception, patient_id).details
    assert (details.first_name, details.last_name) == (first, last)
    assert found(clinic, f"{first} {last}") == [patient_id]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "Ann\x00", "control character"),
        ("last_name", "Lee\x00Smith", "control character"),
        ("last_name", "Ann\u202eeoJ", "text-direction"),
        ("first_name", "\u2066Ann\u2069", "text-direction"),
        ("preferred_name", "Jo\u200f", "text-direction"),
    ],
)
def test_hidden_characters_in_a_name_are_refused_and_nothing_is_saved(
    clinic: Clinic, patient_form: dict[str, str], field: str, value: str, message: str
) -> None:
    patient_form[field] = value
    with pytest.raises(ValidationError) as caught:
        clinic.services.patients.register(clinic.reception, patient_form)
    assert list(caught.value.errors) == [field]
    assert message in caught.value.errors[field]
    assert clinic.services.patients.count(clinic.reception) == 0
    assert clinic.services.db.execute("SELECT count(*) FROM patient_search").fetchone()[0] == 0


# RELIABILITY row 36: invisible formatting characters (Unicode category Cf) show nothing, so
# a name pasted with one is stored and found as the name it looks like.
INVISIBLE = [
    "\u200b",  # zero-width space
    "\u2060",  # word joiner
    "\u00ad",  # soft hyphen
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\ufeff",  # byte order mark / zero-width no-break space
    "\u180e",  # Mongolian vowel separator
    "\u2061",  # function application
    "\u2062",  # invisible times
    "\u2063",  # invisible separator
    "\u2064",  # invisible plus
    "\U000e0041",  # tag latin capital letter A
]


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_an_invisible_character_in_a_name_is_removed_and_the_name_found(
    clinic: Clinic, char: str
) -> None:
    patient_id = register(clinic, f"Ann{char}ie", f"{char}Smith{char}")
    details = clinic.services.patients.get(clinic.reception, patient_id).details
    assert (details.first_name, details.last_name) == ("Annie", "Smith")
    assert found(clinic, "Annie") == [patient_id]
    assert found(clinic, "Annie Smith") == [patient_id]
    # Typed (or pasted) with the character, the search finds the name too.
    assert found(clinic, f"Ann{char}ie") == [patient_id]
    assert found(clinic, f"Ann{char}ie Smi{char}th") == [patient_id]


@pytest.mark.parametrize("char", INVISIBLE[:4], ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_characters_are_removed_from_the_other_searchable_fields(
    clinic: Clinic, patient_form: dict[str, str], char: str
) -> None:
    patient_form |= {
        "nhs_number": f"943{char}476{char}5919",
        "phone": f"07700{char}900123",
        "email": f"ann{char}@example.com",
    }
    patient = clinic.services.patients.register(clinic.reception, patient_form)
    assert (patient.details.nhs_number, patient.details.phone, patient.details.email) == (
        "9434765919",
        "07700 900123",
        "ann@example.com",
    )
    assert found(clinic, "9434765919") == [patient.id]
    assert found(clinic, "07700 900123") == [patient.id]


def test_an_arabic_letter_mark_is_refused_naming_it(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    """U+061C is a text-direction mark, refused like U+200E/U+200F, and the message names it."""
    patient_form["last_name"] = "Ann\u061cie"
    with pytest.raises(ValidationError) as caught:
        clinic.services.patients.register(clinic.reception, patient_form)
    assert "U+061C" in caught.value.errors["last_name"]
    assert "text-direction" in caught.value.errors["last_name"]
