"""The forms are filled in with what the record knows (issue 15, items 3-5): the treatment and its
areas, the risks ticked and the priorities recorded for this patient, the print date, the
earliest treatment date the cooling-off check allows, the clinic's data-protection details;
and a signed consent is printed again on its own wording, whatever the current version."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from clinicdesk.documents.templates import TemplateLibrary
from clinicdesk.domain.consent import ConsentKind, consent_blockers
from clinicdesk.errors import ValidationError
from clinicdesk.services.documents import DocumentService
from tests.conftest import VALID_PATIENT, Clinic
from tests.documents.pdf_helpers import pages_text
from tests.services.clinical_setup import (
    consultation_form,
    eligible_patient,
    signature_png,
    treatment_form,
)

PRIORITIES = "Wants the parting to look narrower in photographs"


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(pages_text(pdf)).split())


def between(text: str, start: str, end: str) -> str:
    return text[text.index(start) + len(start) : text.index(end, text.index(start))]


@pytest.fixture
def documents(clinic: Clinic) -> DocumentService:
    return clinic.services.documents


def treated_patient(clinic: Clinic) -> str:
    """A patient whose consent discussion ticked two risks only, then treated on 10/03/2025
    (frontal and vertex)."""
    patient = eligible_patient(clinic, consented=False)
    discussion = clinic.services.clinical.add_consultation(
        clinic.clinician,
        patient.id,
        consultation_form(
            clinic,
            consulted_on="2025-01-06",
            discussed_on="2025-01-06",
            decided_on="2025-01-24",
            risks_discussed=["donor_scarring", "failure_of_aim"],
            patient_priorities=PRIORITIES,
        ),
    )
    library = TemplateLibrary()
    consent = library.current("micrograft-consent")
    consents = clinic.services.consents
    prepared = consents.prepare(
        clinic.clinician,
        patient.id,
        consent.id,
        consent.version,
        consent.text_hash,
        ConsentKind.PROCEDURE,
        discussion.id,
        prepared_on=date(2025, 1, 6),
    )
    consents.sign(
        clinic.clinician,
        prepared.id,
        prepared.version,
        date(2025, 1, 24),
        clinic.clinician.id,
        signature_png=signature_png(patient.id),
    )
    clinic.services.clinical.record_treatment(clinic.clinician, patient.id, treatment_form(clinic))
    return patient.id


def test_a_clinicians_consent_form_holds_what_the_record_knows(
    clinic: Clinic, documents: DocumentService
) -> None:
    patient_id = treated_patient(clinic)
    text = text_of(documents.form(clinic.clinician, patient_id, "micrograft-consent").pdf)
    assert "Area(s) to be treated Frontal, Vertex" in text
    assert "Treatment date 10/03/2025" in text
    assert f"Printed on {documents.today():%d/%m/%Y}" in text
    assert "Copy given to the patient on" in text
    # The box holds the risks ticked for this patient, not the form's generic list.
    box = between(text, "discussed with you in particular:", "What matters most to you")
    ticked = "Donor-site scarring / keloid Failure to achieve the desired aim"
    assert box.strip().startswith(ticked)
    for generic in ("Pain", "Bleeding", "Bruising", "Infection", "Headache", "Swelling"):
        assert generic not in box  # (a page footer and header may follow the box)
    assert PRIORITIES in between(text, "What matters most to you", "4. Alternatives")


def test_receptions_copy_leaves_the_discussion_to_be_written_in(
    clinic: Clinic, documents: DocumentService
) -> None:
    patient_id = treated_patient(clinic)
    text = text_of(documents.form(clinic.reception, patient_id, "micrograft-consent").pdf)
    assert "Treatment date 10/03/2025" in text  # when and where: not clinical notes
    box = between(text, "discussed with you in particular:", "4. Alternatives")
    assert "Donor-site" not in box and PRIORITIES not in box


def test_what_the_record_does_not_know_stays_a_line_to_write_on(
    clinic: Clinic, documents: DocumentService
) -> None:
    patient = clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT))
    text = text_of(documents.form(clinic.clinician, patient.id, "micrograft-consent").pdf)
    # No treatment, no consultation: the rows are empty boxes, not guesses.
    assert re.search(r"Area\(s\) to be treated Date of consultation Treatment date Micro", text)
    assert "Printed on" in text


def test_an_earlier_course_does_not_fill_in_a_new_discussions_form(
    clinic: Clinic, documents: DocumentService
) -> None:
    patient_id = treated_patient(clinic)
    clinic.services.clinical.add_consultation(
        clinic.clinician,
        patient_id,
        consultation_form(
            clinic,
            consulted_on="2025-06-02",
            discussed_on="2025-06-02",
            decided_on="",
        ),
    )
    text = text_of(documents.form(clinic.clinician, patient_id, "pre-treatment").pdf)
    assert "10/03/2025" not in text and "Frontal" not in text


def test_the_cooling_off_sentence_says_what_the_treatment_check_enforces(
    clinic: Clinic, documents: DocumentService
) -> None:
    patient = eligible_patient(clinic, consented=False)
    clinic.services.clinical.add_consultation(
        clinic.clinician,
        patient.id,
        consultation_form(clinic, consulted_on="2025-02-01", discussed_on="2025-02-01"),
    )
    clinic.services.clinic.set_cooling_off_days(clinic.admin, 10)
    text = text_of(documents.form(clinic.reception, patient.id, "pre-treatment").pdf)
    match = re.search(
        r"at least 10 days after the consultation at which we discussed it with you "
        r"\(on 01/02/2025\), so that you have time to consider your decision: that is, on "
        r"(\d\d/\d\d/\d{4}) or later\. Treatment before that date is possible only if your "
        r"clinician records the reason in your notes\.",
        text,
    )
    assert match, text
    earliest = date(*reversed([int(part) for part in match.group(1).split("/")]))
    assert earliest == date(2025, 2, 11)

    # The check lets that day through, and blocks the day before it.
    def cooling_off(day: date) -> list[str]:
        return [r for r in consent_blockers([], date(2025, 2, 1), day, 10) if "cooling-off" in r]

    assert cooling_off(earliest) == []
    assert cooling_off(earliest - timedelta(days=1))


def test_a_signed_consent_prints_on_its_own_wording_after_a_new_version(
    clinic: Clinic, documents: DocumentService
) -> None:
    library = TemplateLibrary()
    old = library.get("micrograft-consent", 1)
    assert library.current("micrograft-consent").version > 1
    patient = clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT))
    consents = clinic.services.consents
    prepared = consents.prepare(
        clinic.clinician,
        patient.id,
        old.id,
        old.version,
        old.text_hash,
        ConsentKind.PROCEDURE,
        prepared_on=date(2025, 1, 6),
    )
    signed = consents.sign(
        clinic.clinician,
        prepared.id,
        prepared.version,
        date(2025, 1, 24),
        clinic.clinician.id,
        signature_png=signature_png(patient.id),
    )
    copy = documents.consent_copy(clinic.clinician, signed.id)
    pages = pages_text(copy.pdf)
    assert all(f"micrograft-consent v1 · sha256 {old.short_hash}" in page for page in pages)
    text = text_of(copy.pdf)
    assert "at any time before or during the procedure" in text  # the v1 wording
    assert "relatively new" not in text
    # The consent still points at v1, and no new consent was prepared by the copy.
    [still] = consents.consents(clinic.clinician, patient.id)
    assert (still.template.version, still.template.text_hash) == (1, old.text_hash)
    # A form printed now is on the current wording.
    current = documents.form(clinic.clinician, patient.id, "micrograft-consent")
    assert "relatively new" in text_of(current.pdf)


def test_the_privacy_notice_names_the_clinics_dpo_ico_number_and_processors(
    clinic: Clinic, documents: DocumentService
) -> None:
    patient = clinic.services.patients.register(clinic.reception, dict(VALID_PATIENT))
    details = clinic.services.clinic_details
    details.update(
        clinic.admin,
        {
            "data_protection_contact": "Dr Amina Patel, data protection officer",
            "ico_registration_number": " za 123456 ",
            "processors": "Acme Cloud Ltd: off-site backups\n\nTextRelay Ltd: reminders\n",
        },
    )
    assert details.details().ico_registration_number == "ZA123456"
    assert details.details().processor_list == (
        "Acme Cloud Ltd: off-site backups",
        "TextRelay Ltd: reminders",
    )
    text = text_of(documents.form(clinic.reception, patient.id, "data-protection").pdf)
    assert "Data protection officer or contact Dr Amina Patel, data protection officer" in text
    assert "ICO registration number ZA123456" in text
    processors = between(text, "keep it secure:", "We do not send")
    assert processors.strip() == "Acme Cloud Ltd: off-site backups TextRelay Ltd: reminders"
    notice = TemplateLibrary().current("data-protection")
    assert notice.effective_on is not None
    changed = details.data_protection_changed_on()
    assert changed is not None
    effective = max(notice.effective_on, changed)
    assert f"This notice takes effect on {effective:%d/%m/%Y}" in text
    for phrase in (
        "MHRA",
        "9(2)(h)",
        "9(2)(i)",
        "If you do not give us information",
        "Appointment reminders and marketing messages",
    ):
        assert phrase in text, phrase


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"ico_registration_number": "12345"}, "ico_registration_number", "ICO's register"),
        ({"processors": "Acme Ltd\nacme ltd"}, "processors", "line 2 repeats"),
        ({"processors": "x" * 151}, "processors", "line 1 is too long"),
        ({"processors": "\n".join(f"P{n}" for n in range(21))}, "processors", "at most 20"),
    ],
)
def test_bad_data_protection_details_are_refused_naming_the_field(
    clinic: Clinic, raw: dict[str, str], field: str, message: str
) -> None:
    details = clinic.services.clinic_details
    with pytest.raises(ValidationError) as refused:
        details.update(clinic.admin, {"data_protection_contact": "dpo@clinic.example", **raw})
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field]
    assert details.details().data_protection_contact == ""  # nothing saved


def test_the_aftercare_sheet_gives_the_next_booked_follow_up(
    clinic: Clinic, documents: DocumentService
) -> None:
    patient_id = treated_patient(clinic)
    follow_ups = clinic.services.clinical
    by_kind = {f.kind.value: f for f in follow_ups.follow_ups(clinic.reception, patient_id)}
    today = documents.today()
    text = text_of(documents.form(clinic.reception, patient_id, "aftercare").pdf)
    assert "Area(s) treated Frontal, Vertex" in text
    assert re.search(r"Your next appointment Clinic telephone", text)  # none booked: to write in
    gone, soon, later = (
        today - timedelta(days=2),
        today + timedelta(days=3),
        today + timedelta(days=40),
    )
    follow_ups.book_follow_up(
        clinic.reception, by_kind["donor_check"].id, 1, f"{gone:%d/%m/%Y} 09:00"
    )
    follow_ups.book_follow_up(clinic.reception, by_kind["month_3"].id, 1, f"{later:%d/%m/%Y} 11:00")
    follow_ups.book_follow_up(clinic.reception, by_kind["month_1"].id, 1, f"{soon:%d/%m/%Y} 10:30")
    text = text_of(documents.form(clinic.reception, patient_id, "aftercare").pdf)
    assert f"Your next appointment {soon:%d/%m/%Y} at 10:30 — 1 month" in text


def interpreter_box(text: str) -> str:
    return between(text, "Interpreter (if used)", "11. On the day of treatment")


@pytest.mark.parametrize("template_id", ["micrograft-consent", None])
def test_the_interpreter_box_gives_the_language_the_record_holds(
    clinic: Clinic, documents: DocumentService, template_id: str | None
) -> None:
    needs = clinic.services.patients.register(
        clinic.reception, {**VALID_PATIENT, "interpreter_language": "British Sign Language"}
    )
    other = clinic.services.patients.register(
        clinic.reception, {**VALID_PATIENT, "first_name": "Ann", "nhs_number": ""}
    )

    def printed(patient_id: str) -> str:
        if template_id is None:  # the consent pack: its procedure consent
            return text_of(documents.consent_pack(clinic.reception, patient_id).pdf)
        return text_of(documents.form(clinic.reception, patient_id, template_id).pdf)

    box = interpreter_box(printed(needs.id))
    assert re.search(r"Name\s+Language British Sign Language", box), box
    # No interpreter needed: the language is a ruled line to write on, as the name is.
    box = interpreter_box(printed(other.id))
    assert re.search(r"Name\s+Language\s+Signature\s+Date\s*$", box), box
