"""Patient search as reception uses it (RELIABILITY row 17): finds what is typed, never breaks."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicdesk.domain.patient import Patient
from clinicdesk.storage.database import integrity_ok
from tests.conftest import Clinic

PEOPLE = [
    # first, last, dob, phone, nhs, email
    ("Siobhán", "O'Brien", "03/07/1985", "07700 900123", "943 476 5919", "siobhan@example.com"),
    ("José", "Núñez", "1990-01-15", "020 7946 0000", "", "jose.nunez@example.org"),
    ("Anne-Marie", "Smith-Jones", "12/12/1970", "", "4010232137", ""),
    ("Zoë", "Lefèvre", "01/01/2000", "07700 900456", "", ""),
    ("Łukasz", "Zieliński", "05/05/1982", "", "", ""),
    ("Ann", "Zed", "02/02/1962", "", "", ""),
    ("Anne", "Able", "04/04/1964", "", "", ""),
    ("Annabel", "Lee", "06/06/1966", "", "", ""),
    ("Mary", "Near", "07/07/1977", "", "", ""),
    ("Andrew", "Or", "08/08/1988", "", "", ""),
]


def register_people(clinic: Clinic) -> dict[str, Patient]:
    registered = {}
    for first, last, dob, phone, nhs, email in PEOPLE:
        form = {
            "first_name": first,
            "last_name": last,
            "date_of_birth": dob,
            "sex": "X",
            "phone": phone,
            "nhs_number": nhs,
            "email": email,
        }
        registered[first] = clinic.services.patients.register(clinic.reception, form)
    return registered


@pytest.fixture
def people(clinic: Clinic) -> dict[str, Patient]:
    return register_people(clinic)


def found(clinic: Clinic, text: str, **kwargs: bool) -> list[str]:
    return [r.first_name for r in clinic.services.patients.search(clinic.reception, text, **kwargs)]


def test_exact_matches_come_before_prefix_matches(
    clinic: Clinic, people: dict[str, Patient]
) -> None:
    results = found(clinic, "ann")
    assert results[0] == "Ann"
    assert set(results) == {"Ann", "Anne", "Annabel", "Anne-Marie"}
    results = found(clinic, "anne")
    assert results[:2] in (["Anne", "Anne-Marie"], ["Anne-Marie", "Anne"])
    assert set(results) == {"Anne", "Anne-Marie"}


def test_a_partly_typed_name_finds_by_prefix(clinic: Clinic, people: dict[str, Patient]) -> None:
    assert found(clinic, "siob") == ["Siobhán"]
    assert found(clinic, "o'bri") == ["Siobhán"]
    assert found(clinic, "smith-jo") == ["Anne-Marie"]


@pytest.mark.parametrize("typed", ["03/07/1985", "1985-07-03", "3/7/1985", "03.07.1985"])
def test_date_of_birth_typed_either_way(
    clinic: Clinic, people: dict[str, Patient], typed: str
) -> None:
    assert found(clinic, typed) == ["Siobhán"]


def test_name_and_date_of_birth_together_narrow_the_search(
    clinic: Clinic, people: dict[str, Patient]
) -> None:
    assert found(clinic, "O'Brien 03/07/1985") == ["Siobhán"]
    assert found(clinic, "O'Brien 04/07/1985") == []


@pytest.mark.parametrize(
    "typed",
    [
        "07700 900123",
        "07700900123",
        "077 0090 0123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "07700-900-123",
    ],
)
def test_phone_with_any_spacing_or_prefix(
    clinic: Clinic, people: dict[str, Patient], typed: str
) -> None:
    assert found(clinic, typed) == ["Siobhán"]


def test_start_of_a_phone_number_finds_everyone_with_it(
    clinic: Clinic, people: dict[str, Patient]
) -> None:
    assert set(found(clinic, "07700 900")) == {"Siobhán", "Zoë"}
    assert found(clinic, "020 7946 0000") == ["José"]


@pytest.mark.parametrize("typed", ["943 476 5919", "9434765919", "943-476-5919"])
def test_nhs_number_with_or_without_spaces(
    clinic: Clinic, people: dict[str, Patient], typed: str
) -> None:
    assert found(clinic, typed) == ["Siobhán"]


def test_email_address(clinic: Clinic, people: dict[str, Patient]) -> None:
    assert found(clinic, "jose.nunez@example.org") == ["José"]
    assert found(clinic, "siobhan@example.com") == ["Siobhán"]


@pytest.mark.parametrize(
    ("typed", "who"),
    [
        ("Jose", "José"),
        ("jose nunez", "José"),
        ("Siobhan", "Siobhán"),
        ("Zoe", "Zoë"),
        ("Zoe\u0308", "Zoë"),  # typed with a combining diaeresis
        ("Lefevre", "Zoë"),
        ("Lukasz", "Łukasz"),
        ("Zielinski", "Łukasz"),
        ("ŁUKASZ", "Łukasz"),
        ("JOSÉ", "José"),
    ],
)
def test_names_are_found_without_their_accents(
    clinic: Clinic, people: dict[str, Patient], typed: str, who: str
) -> None:
    assert found(clinic, typed) == [who]


def test_words_that_are_fts_operators_are_searched_literally(
    clinic: Clinic, people: dict[str, Patient]
) -> None:
    assert found(clinic, "Near") == ["Mary"]
    assert found(clinic, "NEAR(") == ["Mary"]
    assert found(clinic, "or")[0] == "Andrew"  # then prefix matches, e.g. example.org
    assert found(clinic, "Mary NOT") == []


def test_archived_patients_are_hidden_unless_asked_for(
    clinic: Clinic, people: dict[str, Patient]
) -> None:
    zoe = people["Zoë"]
    clinic.services.patients.set_archived(clinic.reception, zoe.id, zoe.version, True)
    assert found(clinic, "Zoe") == []
    assert found(clinic, "Zoe", include_archived=True) == ["Zoë"]


def test_a_renamed_patient_is_found_by_the_new_name_only(
    clinic: Clinic, people: dict[str, Patient]
) -> None:
    ann = people["Ann"]
    form = ann.details.as_form()
    form["last_name"] = "Quinnell"
    clinic.services.patients.update(clinic.reception, ann.id, ann.version, form)
    assert found(clinic, "Quinnell") == ["Ann"]
    assert found(clinic, "Zed") == []


def test_limit_caps_the_results(clinic: Clinic, people: dict[str, Patient]) -> None:
    results = clinic.services.patients.search(clinic.reception, "a", limit=2)
    assert len(results) == 2


HOSTILE = [
    "O'Brien",
    "o'brien'",
    "'",
    '"',
    '""',
    '"unbalanced',
    'Ann"',
    "AND",
    "OR",
    "NOT",
    "Ann AND OR NOT Lee",
    "*",
    "**",
    "Ann*",
    "*Ann",
    "NEAR(",
    "NEAR(Ann Lee, 2)",
    "-",
    "--",
    "-Smith",
    "Anne-Marie",
    "+",
    "^Ann",
    "^",
    "names:Ann",
    "email:",
    "{names email}: Ann",
    "patient_id:1",
    "(",
    ")",
    "((Ann)",
    "Ann)",
    "[Ann]",
    "3 (of 6)",
    "😀",
    "👩‍⚕️ Zoë",
    "x" * 5000,
    "Ann " * 1250,
    "",
    "   ",
    "\t\n\r",
    "'; DROP TABLE patients; --",
    "1' OR '1'='1",
    '" OR 1=1 --',
    "Robert'); DROP TABLE audit_log;--",
    "%",
    "_",
    "\\",
    "\x00",
    "Ann\x00Lee",
    "NULL",
    "rank",
    "patient_search",
    ":",
    "@",
    "@example.com",
    "0",
    "+44",
    "()",
    "\u202eAnn",
    "\u0301",
    "Ｏ’Ｂｒｉｅｎ",
    "∗",
    "'\"*-^:(){}[]",
]


def assert_intact(clinic: Clinic, expected: int) -> None:
    db = clinic.services.db
    assert db.execute("SELECT count(*) FROM patients").fetchone()[0] == expected
    assert db.execute("SELECT count(*) FROM patient_search").fetchone()[0] == expected
    assert integrity_ok(db)
    db.execute("INSERT INTO patient_search (patient_search) VALUES ('integrity-check')")


def test_hostile_input_never_raises_and_leaves_the_tables_intact(
    clinic: Clinic, people: dict[str, Patient]
) -> None:
    assert len(HOSTILE) >= 40
    for text in HOSTILE:
        results = clinic.services.patients.search(clinic.reception, text)
        assert isinstance(results, list), text
    assert_intact(clinic, len(PEOPLE))
    assert found(clinic, "O'Brien") == ["Siobhán"]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=60) | st.text(alphabet="\"'*-^:(){}[]+ AaNnDdOoRrTtEe0", max_size=30))
def test_any_text_at_all_is_a_safe_search(clinic: Clinic, text: str) -> None:
    # The clinic is shared across examples; searches only read, so that is fine.
    if clinic.services.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 0:
        register_people(clinic)
    results = clinic.services.patients.search(clinic.reception, text)
    assert isinstance(results, list)
    assert_intact(clinic, len(PEOPLE))


def test_a_date_of_birth_typed_with_a_two_digit_year_finds_the_patient(
    clinic: Clinic, people: dict[str, Patient]
) -> None:
    # A date of birth is never in the future, so 02/02/62 can only be 1962 and 01/01/00 is
    # 2000; the search reads it as a receptionist would (forms still refuse a short year).
    assert found(clinic, "02/02/62") == ["Ann"]
    assert found(clinic, "5/5/82") == ["Łukasz"]
    assert found(clinic, "01/01/00") == ["Zoë"]
    assert found(clinic, "ann 02/02/62") == ["Ann"]
    assert found(clinic, "02.02.62") == ["Ann"]


def test_search_date_takes_the_latest_past_century() -> None:
    from datetime import date

    from clinicdesk.domain.dates import search_date

    today = date(2026, 3, 14)
    assert search_date("26/10/63", today) == date(1963, 10, 26)
    assert search_date("01/02/24", today) == date(2024, 2, 1)
    assert search_date("14/03/26", today) == date(2026, 3, 14)
    assert search_date("15/03/26", today) == date(1926, 3, 15)  # tomorrow in 2026: the past
    assert search_date("29/02/00", today) == date(2000, 2, 29)
    assert search_date("31/02/63", today) is None
    assert search_date("26/10/1963", today) == date(1963, 10, 26)
