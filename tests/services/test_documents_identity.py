"""Identity on the page: every document names the patient by name, date of birth, NHS number
and the clinic's own number (so a patient without an NHS number still has two identifiers),
and its header gives the site that produced it, with that site's own address."""

from __future__ import annotations

from dataclasses import replace

import pytest

from clinicdesk.errors import PermissionDenied, ValidationError
from clinicdesk.services.session import CurrentUser
from tests.conftest import VALID_PATIENT, Clinic
from tests.documents.pdf_helpers import pages_text
from tests.services.report_setup import treated_patient

CLINIC_ADDRESS = "1 Registered Office Road\nLondon EC1A 1BB"
MAIN_ADDRESS = "10 Park Row\nLeeds LS1 5HD"
SATELLITE_ADDRESS = "5 Harbour View\nWhitby YO21 3PU"


def sites(clinic: Clinic) -> tuple[str, str]:
    found = {s.kind: s.id for s in clinic.services.clinic.sites()}
    return found["main"], found["satellite"]


def at(user: CurrentUser, site_id: str) -> CurrentUser:
    return replace(user, site_id=site_id)


def set_addresses(clinic: Clinic) -> tuple[str, str]:
    main, satellite = sites(clinic)
    details = clinic.services.clinic_details
    details.update(clinic.admin, {"address": CLINIC_ADDRESS})
    details.set_site_addresses(clinic.admin, {main: MAIN_ADDRESS, satellite: SATELLITE_ADDRESS})
    return main, satellite


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_consent_form_names_the_clinic_number_and_the_site_that_printed_it(
    clinic: Clinic,
) -> None:
    _main, satellite = set_addresses(clinic)
    patient = clinic.services.patients.register(
        clinic.reception, {**VALID_PATIENT, "nhs_number": ""}
    )
    assert patient.patient_number == "M-00001"
    documents = clinic.services.documents

    form = documents.form(clinic.reception, patient.id, "micrograft-consent")
    pages = [one_line(page) for page in pages_text(form.pdf)]
    assert len(pages) >= 2
    for page in pages:
        assert "CLINIC NUMBER" in page and "M-00001" in page
        assert "03/07/1985" in page  # date of birth beside it
        assert "Main clinic · 10 Park Row, Leeds LS1 5HD" in page
        assert "Whitby" not in page and "EC1A" not in page

    # The same form printed at the satellite gives the satellite's own address.
    away = documents.form(at(clinic.reception, satellite), patient.id, "micrograft-consent")
    for page in (one_line(p) for p in pages_text(away.pdf)):
        assert "Satellite clinic · 5 Harbour View, Whitby YO21 3PU" in page
        assert "M-00001" in page
        assert "Leeds" not in page


def test_a_progress_report_names_the_clinic_number_and_the_producing_site(
    clinic: Clinic,
) -> None:
    _main, satellite = set_addresses(clinic)
    treated = treated_patient(clinic)
    number = clinic.services.patients.get(clinic.clinician, treated.id).patient_number
    assert number == "M-00001"
    documents = clinic.services.documents
    for flavour in ("clinical", "patient"):
        report = documents.progress_report(
            at(clinic.clinician, satellite), treated.id, flavour=flavour
        )
        for page in (one_line(p) for p in pages_text(report.pdf)):
            assert "CLINIC NUMBER" in page and number in page
            assert "DATE OF BIRTH 03/07/1985 NHS NUMBER - CLINIC NUMBER M-00001" in page
            assert "Satellite clinic · 5 Harbour View, Whitby YO21 3PU" in page
    report = documents.progress_report(clinic.clinician, treated.id, flavour="clinical")
    assert "Main clinic · 10 Park Row, Leeds LS1 5HD" in one_line(pages_text(report.pdf)[0])


def test_a_site_without_an_address_prints_the_clinics(clinic: Clinic) -> None:
    _main, satellite = sites(clinic)
    details = clinic.services.clinic_details
    details.update(clinic.admin, {"address": CLINIC_ADDRESS})
    details.set_site_addresses(clinic.admin, {satellite: SATELLITE_ADDRESS})
    patient = clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT))
    sheet = clinic.services.documents.form(clinic.reception, patient.id, "aftercare")
    first = one_line(pages_text(sheet.pdf)[0])
    assert "Main clinic · 1 Registered Office Road, London EC1A 1BB" in first


def test_only_administrators_change_a_sites_address_and_bad_text_is_named(
    clinic: Clinic,
) -> None:
    main, satellite = sites(clinic)
    details = clinic.services.clinic_details
    with pytest.raises(PermissionDenied):
        details.set_site_addresses(clinic.reception, {main: MAIN_ADDRESS})
    with pytest.raises(ValidationError) as refused:
        details.set_site_addresses(clinic.admin, {main: "x" * 301, "no-such-site": "Here"})
    assert set(refused.value.errors) == {f"site_address:{main}", "site_address:no-such-site"}
    assert [s.address for s in details.sites()] == ["", ""]  # nothing saved
    details.set_site_addresses(clinic.admin, {satellite: SATELLITE_ADDRESS})
    assert {s.id: s.address for s in details.sites()} == {main: "", satellite: SATELLITE_ADDRESS}
    entry = clinic.services.db.execute(
        "SELECT detail FROM audit_log WHERE entity_id = 'site_address'"
    ).fetchone()
    assert satellite in entry[0]
