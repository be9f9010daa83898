"""Registering, opening, editing, archiving and listing patients through the service."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from clinicdesk.domain.patient import Sex
from clinicdesk.errors import ConcurrentEdit, DuplicatePatient, NotFound, ValidationError
from clinicdesk.services.context import ClinicServices
from clinicdesk.storage import audit
from tests.conftest import Clinic


def test_register_stores_the_validated_details(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    patient = clinic.services.patients.register(clinic.reception, patient_form)
    assert patient.version == 1
    assert not patient.archived
    assert patient.details.first_name == "Siobhán"
    assert patient.details.date_of_birth == date(1985, 7, 3)
    assert patient.details.sex is Sex.FEMALE
    assert patient.details.nhs_number == "9434765919"
    assert patient.details.postcode == "SW1A 1AA"
    assert patient.created_by == clinic.reception.id == patient.updated_by
    assert patient.site_id == clinic.reception.site_id
    assert patient.details.home_site_id == clinic.reception.site_id
    assert patient.created_at.endswith("Z") and len(patient.created_at) == 24
    assert clinic.services.patients.get(clinic.clinician, patient.id) == patient


def test_register_with_bad_fields_saves_nothing(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    patient_form.update(nhs_number="943 476 5910", date_of_birth="31/02/2020")
    with pytest.raises(ValidationError) as caught:
        clinic.services.patients.register(clinic.reception, patient_form)
    assert set(caught.value.errors) == {"nhs_number", "date_of_birth"}
    assert clinic.services.patients.count(clinic.reception) == 0


def test_get_of_an_unknown_id_is_not_found(clinic: Clinic) -> None:
    with pytest.raises(NotFound):
        clinic.services.patients.get(clinic.reception, "no-such-patient")


def test_update_changes_the_record_and_bumps_the_version(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    patient = service.register(clinic.reception, patient_form)
    form = patient.details.as_form()
    form.update(phone="+44 20 7946 0000", last_name="O'Brien-Walsh")
    updated = service.update(clinic.clinician, patient.id, patient.version, form)
    assert updated.version == 2
    assert updated.details.phone == "020 7946 0000"
    assert updated.details.last_name == "O'Brien-Walsh"
    assert updated.updated_by == clinic.clinician.id
    assert updated.created_by == clinic.reception.id
    assert updated.created_at == patient.created_at
    assert updated.details.home_site_id == patient.details.home_site_id
    assert service.get(clinic.reception, patient.id) == updated


def test_update_with_a_stale_version_overwrites_nothing(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    patient = service.register(clinic.reception, patient_form)
    first = patient.details.as_form() | {"first_name": "Saoirse"}
    saved = service.update(clinic.reception, patient.id, patient.version, first)
    stale = patient.details.as_form() | {"last_name": "Murphy"}
    with pytest.raises(ConcurrentEdit) as caught:
        service.update(clinic.clinician, patient.id, patient.version, stale)
    assert caught.value.theirs == saved
    assert caught.value.mine.last_name == "Murphy"
    assert "changed by someone else" in caught.value.message
    assert service.get(clinic.reception, patient.id) == saved


@pytest.fixture
def second_window(clinic: Clinic) -> Iterator[ClinicServices]:
    """A second ClinicDesk on the same data folder: its own connection."""
    other = clinic.reopen()
    yield other
    other.close()


def test_two_windows_editing_one_patient_keep_the_first_save(
    clinic: Clinic, second_window: ClinicServices, patient_form: dict[str, str]
) -> None:
    mine, theirs = clinic.services.patients, second_window.patients
    patient = mine.register(clinic.reception, patient_form)
    opened_here = mine.get(clinic.reception, patient.id)
    opened_there = theirs.get(clinic.clinician, patient.id)
    assert opened_here == opened_there

    saved_there = theirs.update(
        clinic.clinician,
        patient.id,
        opened_there.version,
        opened_there.details.as_form() | {"phone": "07700 900999"},
    )
    with pytest.raises(ConcurrentEdit) as caught:
        mine.update(
            clinic.reception,
            patient.id,
            opened_here.version,
            opened_here.details.as_form() | {"email": "new@example.com"},
        )
    assert caught.value.theirs == saved_there
    stored = mine.get(clinic.reception, patient.id)
    assert stored == saved_there
    assert stored.details.phone == "07700 900999"
    assert stored.details.email == "siobhan@example.com"
    assert stored.version == 2


def test_archive_then_restore(clinic: Clinic, patient_form: dict[str, str]) -> None:
    service = clinic.services.patients
    patient = service.register(clinic.reception, patient_form)
    archived = service.set_archived(clinic.reception, patient.id, patient.version, True)
    assert archived.archived and archived.version == 2
    assert service.count(clinic.reception) == 0
    assert service.count(clinic.reception, include_archived=True) == 1
    assert service.list_page(clinic.reception, None, 10) == []
    # An archived record is still there to open: clinical records are never deleted.
    assert service.get(clinic.reception, patient.id).archived
    restored = service.set_archived(clinic.reception, patient.id, archived.version, False)
    assert not restored.archived and restored.version == 3
    assert [s.id for s in service.list_page(clinic.reception, None, 10)] == [patient.id]


def test_archive_with_a_stale_version_is_refused(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    patient = service.register(clinic.reception, patient_form)
    service.update(clinic.reception, patient.id, patient.version, patient_form)
    with pytest.raises(ConcurrentEdit):
        service.set_archived(clinic.reception, patient.id, patient.version, True)
    assert not service.get(clinic.reception, patient.id).archived


def test_list_pages_through_everyone_in_name_order(clinic: Clinic) -> None:
    service = clinic.services.patients
    names = [("Ann", "smith"), ("Bob", "Smith"), ("Cara", "adams"), ("Dan", "Zed"), ("Eve", "Ó")]
    for i in range(3):
        for first, last in names:
            service.register(
                clinic.reception,
                {
                    "first_name": f"{first}{i}",
                    "last_name": last,
                    "date_of_birth": "01/01/1990",
                    "sex": "X",
                },
            )
    seen = []
    after = None
    while page := service.list_page(clinic.reception, after, 4):
        assert len(page) <= 4
        seen.extend(page)
        last = page[-1]
        after = (last.last_name, last.first_name, last.id)
    assert len(seen) == 15 == len({s.id for s in seen})
    keys = [(s.last_name.lower(), s.first_name.lower()) for s in seen]
    assert keys == sorted(keys)


def test_duplicate_nhs_number_is_reported(clinic: Clinic, patient_form: dict[str, str]) -> None:
    service = clinic.services.patients
    first = service.register(clinic.reception, patient_form)
    with pytest.raises(DuplicatePatient) as refused:
        service.register(clinic.reception, patient_form | {"first_name": "Sinéad"})
    assert refused.value.existing == [first.id]
    assert service.count(clinic.admin) == 1
    second = service.register(
        clinic.reception,
        patient_form | {"first_name": "Sinéad"},
        duplicate_reason="Twin; the GP letter shows the same number",
    )
    assert service.duplicates_of(second.details, exclude=second.id) == [first.id]
    assert service.duplicates_of(replace(first.details, nhs_number="")) == []


def test_a_duplicate_nhs_number_names_who_has_it_and_needs_a_written_reason(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    first = service.register(clinic.reception, patient_form)
    twin = patient_form | {"first_name": "Sinéad"}
    with pytest.raises(DuplicatePatient) as refused:
        service.register(clinic.reception, twin)
    message = refused.value.message
    assert "943 476 5919" in message
    assert "Siobhán O'Brien, born 03/07/1985" in message and first.id in message
    assert [h.describe() for h in refused.value.holders] == ["Siobhán O'Brien, born 03/07/1985"]
    with pytest.raises(ValidationError) as short:
        service.register(clinic.reception, twin, duplicate_reason="  twin  ")
    assert short.value.errors == {"duplicate_reason": "is too short; write at least 10 characters"}
    assert service.count(clinic.admin) == 1  # neither attempt stored anything

    reason = "Twin; the GP letter shows the same number"
    before = audit.count(clinic.services.db)
    second = service.register(clinic.reception, twin, duplicate_reason=reason)
    [created] = audit.entries(clinic.services.db)[before:]
    assert (created.action, created.entity_id) == ("create", second.id)
    assert created.detail == {"nhs_number_shared_with": [first.id], "duplicate_reason": reason}

    # A reason given when no one else has the number is not needed, so not recorded.
    before = audit.count(clinic.services.db)
    other = service.register(
        clinic.reception, patient_form | {"nhs_number": ""}, duplicate_reason=reason
    )
    [created] = audit.entries(clinic.services.db)[before:]
    assert (created.entity_id, created.detail) == (other.id, {})


def test_editing_the_nhs_number_to_another_patients_needs_a_written_reason(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    first = service.register(clinic.reception, patient_form)
    second = service.register(
        clinic.reception,
        patient_form | {"first_name": "Sinéad", "date_of_birth": "04/07/1985", "nhs_number": ""},
    )
    form = second.details.as_form() | {"nhs_number": "9434765919"}
    with pytest.raises(DuplicatePatient) as refused:
        service.update(clinic.reception, second.id, second.version, form)
    assert "Siobhán O'Brien, born 03/07/1985" in refused.value.message
    assert service.get(clinic.admin, second.id).details.nhs_number == ""  # nothing saved

    reason = "Number shared on the referral; PDS query sent"
    before = audit.count(clinic.services.db)
    saved = service.update(
        clinic.reception, second.id, second.version, form, duplicate_reason=reason
    )
    [updated] = audit.entries(clinic.services.db)[before:]
    assert saved.details.nhs_number == "9434765919"
    assert updated.detail == {
        "fields": ["nhs_number"],
        "nhs_number_shared_with": [first.id],
        "duplicate_reason": reason,
    }
    # The number shared already (with its reason): other edits are not asked about again.
    again = service.update(
        clinic.reception, saved.id, saved.version, form | {"phone": "07700 900999"}
    )
    assert again.details.phone == "07700 900999"


def test_home_site_may_be_any_of_the_clinics_sites(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    sites = {site.name: site.id for site in clinic.services.clinic.sites()}
    satellite = sites["Satellite clinic"]
    patient_form["home_site_id"] = satellite
    patient = clinic.services.patients.register(clinic.reception, patient_form)
    assert patient.details.home_site_id == satellite
    form = patient.details.as_form() | {"home_site_id": sites["Main clinic"]}
    moved = clinic.services.patients.update(clinic.reception, patient.id, patient.version, form)
    assert moved.details.home_site_id == sites["Main clinic"]


def test_register_with_an_unknown_home_site_names_the_field(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    patient_form["home_site_id"] = "no-such-site"
    with pytest.raises(ValidationError) as caught:
        clinic.services.patients.register(clinic.reception, patient_form)
    assert caught.value.errors == {"home_site_id": "is not one of this clinic's sites"}
    assert "home site id: is not one of this clinic's sites" in caught.value.message
    assert clinic.services.patients.count(clinic.reception) == 0


def test_update_to_an_unknown_home_site_names_the_field_and_changes_nothing(
    clinic: Clinic, patient_form: dict[str, str]
) -> None:
    service = clinic.services.patients
    patient = service.register(clinic.reception, patient_form)
    form = patient.details.as_form() | {"home_site_id": "no-such-site", "phone": "07700 900999"}
    with pytest.raises(ValidationError) as caught:
        service.update(clinic.reception, patient.id, patient.version, form)
    assert caught.value.errors == {"home_site_id": "is not one of this clinic's sites"}
    assert service.get(clinic.reception, patient.id) == patient
