"""The clinic number a patient is given at registration (``domain.patient_numbers``): the next
one at the site where they are registered, and found again when typed in the search box."""

from __future__ import annotations

from dataclasses import replace

import pytest

from clinicdesk.domain.patient import Patient
from clinicdesk.services.session import CurrentUser
from tests.conftest import Clinic


def at_satellite(clinic: Clinic, user: CurrentUser) -> CurrentUser:
    satellite = next(s for s in clinic.services.clinic.sites() if s.kind == "satellite")
    return replace(user, site_id=satellite.id)


def register(clinic: Clinic, user: CurrentUser, first: str, nhs: str = "") -> Patient:
    form = {
        "first_name": first,
        "last_name": "Numbered",
        "date_of_birth": "01/02/1980",
        "sex": "F",
        "nhs_number": nhs,
    }
    return clinic.services.patients.register(user, form)


def test_each_site_gives_its_next_number(clinic: Clinic) -> None:
    reception = clinic.reception
    satellite = at_satellite(clinic, reception)
    first = register(clinic, reception, "Ann")
    second = register(clinic, reception, "Beth")
    away = register(clinic, satellite, "Cara")
    third = register(clinic, reception, "Dee")
    away_again = register(clinic, satellite, "Edna")
    assert [p.patient_number for p in (first, second, third)] == [
        "M-00001",
        "M-00002",
        "M-00003",
    ]
    assert [away.patient_number, away_again.patient_number] == ["S-00001", "S-00002"]
    # What a reopened record shows is what was given.
    assert clinic.services.patients.get(reception, away.id).patient_number == "S-00001"


@pytest.mark.parametrize("typed", ["M-00002", "m-00002", "M00002", "m2", "M 2", " M-2 "])
def test_typing_a_clinic_number_finds_that_patient(clinic: Clinic, typed: str) -> None:
    for first in ("Ann", "Beth", "Cara"):
        register(clinic, clinic.reception, first)
    found = clinic.services.patients.search(clinic.reception, typed)
    assert [(s.first_name, s.patient_number) for s in found] == [("Beth", "M-00002")]


def test_a_number_typed_as_printed_but_not_finished_lists_the_numbers_it_starts(
    clinic: Clinic,
) -> None:
    for first in ("Ann", "Beth"):
        register(clinic, clinic.reception, first)
    register(clinic, at_satellite(clinic, clinic.reception), "Cara")
    found = clinic.services.patients.search(clinic.reception, "M-0000")
    assert [s.patient_number for s in found] == ["M-00001", "M-00002"]
    assert clinic.services.patients.search(clinic.reception, "S-00001")[0].first_name == "Cara"


def test_an_unknown_or_archived_number_finds_nobody_and_names_still_search(
    clinic: Clinic,
) -> None:
    ann = register(clinic, clinic.reception, "Ann")
    assert clinic.services.patients.search(clinic.reception, "M-00009") == []
    assert clinic.services.patients.search(clinic.reception, "Q-00001") == []
    clinic.services.patients.set_archived(clinic.admin, ann.id, ann.version, True)
    assert clinic.services.patients.search(clinic.reception, "M-00001") == []
    archived = clinic.services.patients.search(clinic.reception, "M-00001", include_archived=True)
    assert [s.id for s in archived] == [ann.id]
    # A name and a date of birth still search as before.
    assert [s.id for s in clinic.services.patients.search(clinic.reception, "Numbered")] == []
    assert [
        s.patient_number
        for s in clinic.services.patients.search(
            clinic.reception, "Numbered", include_archived=True
        )
    ] == ["M-00001"]


def test_after_a_merge_the_merged_away_number_finds_the_kept_record(clinic: Clinic) -> None:
    from clinicdesk.services.patient_merge import PatientMergeService

    kept = register(clinic, clinic.reception, "Ann")
    away = register(clinic, at_satellite(clinic, clinic.reception), "Ann")
    assert (kept.patient_number, away.patient_number) == ("M-00001", "S-00001")
    merged = PatientMergeService(clinic.services).merge(
        clinic.clinician, kept.id, kept.version, away.id, away.version
    )
    # Each record keeps the number it was given; the papers printed with S-00001 still lead
    # to the patient, now on the kept record.
    assert merged.kept.patient_number == "M-00001"
    search = clinic.services.patients.search
    assert [s.patient_number for s in search(clinic.reception, "S-00001")] == ["M-00001"]
    both = search(clinic.reception, "S-00001", include_archived=True)
    assert [(s.patient_number, s.archived) for s in both] == [
        ("M-00001", False),
        ("S-00001", True),
    ]
    assert [s.patient_number for s in search(clinic.reception, "M-00001")] == ["M-00001"]
