"""Consent records through the service: prepared -> signed -> withdrawn, who may record what,
the audit trail, sealed attachments, the treatment eligibility check (signed consent and the
cooling-off period, with the override), photo consent scopes and photos, the cooling-off
setting and the document log."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from clinicdesk.domain.clinical import EligibilityBlocked
from clinicdesk.domain.consent import (
    NO_SIGNED_CONSENT,
    AttachmentFormat,
    Consent,
    ConsentKind,
    ConsentStateError,
    ConsentStatus,
    DocumentAction,
    DocumentKind,
)
from clinicdesk.domain.photos import ConsentScope
from clinicdesk.domain.roles import Role
from clinicdesk.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationError
from clinicdesk.services.consents import ConsentService
from clinicdesk.storage import audit
from clinicdesk.storage.audit import AuditEntry
from tests.conftest import PASSWORD, Clinic
from tests.media import images
from tests.services.clinical_setup import (
    TREATED_ON,
    consultation_form,
    eligible_patient,
    signature_png,
    treatment_form,
)

HASH = "9f" * 32
PROCEDURE = ("micrograft-consent", 1, HASH)
PHOTO = ("photo-consent", 1, "ab" * 32)
PDF = b"%PDF-1.4\n% a scanned signed form\n%%EOF\n"


def new_entries(clinic: Clinic, action: Callable[[], Any]) -> tuple[Any, list[AuditEntry]]:
    before = len(audit.entries(clinic.services.db))
    result = action()
    return result, audit.entries(clinic.services.db)[before:]


@pytest.fixture
def consents(clinic: Clinic) -> ConsentService:
    return clinic.services.consents


@pytest.fixture
def patient_id(clinic: Clinic) -> str:
    return eligible_patient(clinic, consented=False).id


def prepared(
    clinic: Clinic,
    patient_id: str,
    kind: ConsentKind = ConsentKind.PROCEDURE,
    prepared_on: date = date(2025, 1, 2),
) -> Consent:
    template = PROCEDURE if kind is ConsentKind.PROCEDURE else PHOTO
    return clinic.services.consents.prepare(
        clinic.reception, patient_id, *template, kind, prepared_on=prepared_on
    )


def signed(
    clinic: Clinic,
    patient_id: str,
    kind: ConsentKind = ConsentKind.PROCEDURE,
    signed_on: date = date(2025, 1, 20),
    **scopes: bool,
) -> Consent:
    form = prepared(clinic, patient_id, kind)
    return clinic.services.consents.sign(
        clinic.clinician,
        form.id,
        form.version,
        signed_on,
        clinic.clinician.id,
        signature_png=signature_png(f"{patient_id}{kind}"),
        photo_scopes=scopes or None,
    )


# -- the state machine and its audit -----------------------------------------------------------


def test_prepared_signed_withdrawn_each_step_audited_once(
    clinic: Clinic, consents: ConsentService, patient_id: str
) -> None:
    consult = clinic.services.clinical.add_consultation(
        clinic.clinician, patient_id, consultation_form(clinic)
    )
    form, entries = new_entries(
        clinic,
        lambda: consents.prepare(
            clinic.reception,
            patient_id,
            *PROCEDURE,
            "procedure",
            consult.id,
            prepared_on=date(2025, 2, 1),
        ),
    )
    assert (form.status, form.kind, form.consultation_id, form.prepared_on) == (
        ConsentStatus.PREPARED,
        ConsentKind.PROCEDURE,
        consult.id,
        date(2025, 2, 1),
    )
    assert (form.template.template_id, form.template.version, form.template.text_hash) == PROCEDURE
    assert [(e.action, e.entity, e.entity_id, e.user_id) for e in entries] == [
        ("create", "consent", form.id, clinic.reception.id)
    ]
    assert entries[0].detail == {
        "patient": patient_id,
        "kind": "procedure",
        "template": "micrograft-consent",
        "template_version": 1,
    }

    done, entries = new_entries(
        clinic,
        lambda: consents.sign(
            clinic.clinician,
            form.id,
            form.version,
            "20/02/2025",
            clinic.clinician.id,
            interpreter_name="Ana Intérprete",
            scan=("C:\\scans\\signed.pdf", PDF),
        ),
    )
    assert (done.status, done.signed_on, done.consent_taken_by_id, done.version) == (
        ConsentStatus.SIGNED,
        date(2025, 2, 20),
        clinic.clinician.id,
        2,
    )
    assert (done.scan_name, done.scan_format, done.interpreter_name) == (
        "signed.pdf",
        AttachmentFormat.PDF,
        "Ana Intérprete",
    )
    assert [(e.action, e.entity, e.entity_id) for e in entries] == [("sign", "consent", form.id)]
    assert entries[0].detail == {
        "patient": patient_id,
        "kind": "procedure",
        "consent_taken_by": clinic.clinician.id,
        "witness": False,
        "interpreter": True,
        "attachments": ["scan"],
    }
    with pytest.raises(ConsentStateError, match="already recorded as signed on 20/02/2025"):
        consents.sign(
            clinic.clinician,
            done.id,
            done.version,
            date(2025, 2, 21),
            clinic.clinician.id,
            scan=("a.pdf", PDF),
        )

    gone, entries = new_entries(
        clinic,
        lambda: consents.withdraw(
            clinic.reception, done.id, done.version, date(2025, 3, 1), "Changed her mind"
        ),
    )
    assert (gone.status, gone.withdrawn_on, gone.withdrawal_reason) == (
        ConsentStatus.WITHDRAWN,
        date(2025, 3, 1),
        "Changed her mind",
    )
    assert [(e.action, e.entity, e.detail) for e in entries] == [
        ("withdraw", "consent", {"patient": patient_id, "kind": "procedure", "whole": True})
    ]
    with pytest.raises(ConsentStateError, match="already withdrawn"):
        consents.withdraw(clinic.clinician, gone.id, gone.version, date(2025, 3, 2), "Again")

    listed, entries = new_entries(clinic, lambda: consents.consents(clinic.reception, patient_id))
    assert listed == [gone]
    assert [(e.action, e.entity, e.entity_id) for e in entries] == [
        ("view", "consents", patient_id)
    ]


def test_an_unsigned_consent_cannot_be_withdrawn_and_a_stale_version_changes_nothing(
    clinic: Clinic, consents: ConsentService, patient_id: str
) -> None:
    form = prepared(clinic, patient_id)
    with pytest.raises(ConsentStateError, match="never signed"):
        consents.withdraw(clinic.clinician, form.id, form.version, date(2025, 3, 1), "No")
    done = consents.sign(
        clinic.clinician,
        form.id,
        form.version,
        date(2025, 1, 20),
        clinic.clinician.id,
        scan=("signed.jpg", images.jpeg()),
    )
    with pytest.raises(ConcurrentEdit):
        consents.withdraw(clinic.clinician, done.id, form.version, date(2025, 3, 1), "Too late")
    assert consents.consent(clinic.clinician, done.id).status is ConsentStatus.SIGNED
    other = prepared(clinic, patient_id)
    before = len(audit.entries(clinic.services.db))
    with pytest.raises(ConcurrentEdit):
        consents.sign(
            clinic.clinician,
            other.id,
            7,
            date(2025, 1, 20),
            clinic.clinician.id,
            scan=("s.pdf", PDF),
        )
    assert len(audit.entries(clinic.services.db)) == before


def test_signing_needs_evidence_a_valid_date_and_a_clinician_taking_consent(
    clinic: Clinic, consents: ConsentService, patient_id: str
) -> None:
    form = prepared(clinic, patient_id)
    with pytest.raises(ValidationError) as caught:
        consents.sign(clinic.clinician, form.id, form.version, "01/01/2025", clinic.admin.id)
    assert caught.value.errors == {
        "signed_on": "is before the form was prepared (02/01/2025)",
    }
    with pytest.raises(ValidationError) as caught:
        consents.sign(clinic.clinician, form.id, form.version, "03/01/2025", clinic.admin.id)
    assert caught.value.errors == {
        "consent_taken_by_id": "must be one of the clinic's clinicians (enabled)",
        "attachment": "attach the scanned signed form or capture the patient's signature on screen",
    }
    with pytest.raises(ValidationError) as caught:
        consents.sign(
            clinic.clinician,
            form.id,
            form.version,
            "03/01/2025",
            clinic.clinician.id,
            scan=("/tmp/form.docx", b"PK\x03\x04"),
            signature_png=images.jpeg(),
        )
    assert caught.value.errors == {
        "signature": "is not a PNG image",
        "scan": "form.docx is not a PDF, JPEG or PNG file; save the scan in one of those.",
    }
    # A clinician who has left may not be named as the one taking consent now.
    other = clinic.services.clinic.add_user(
        clinic.admin, "drgone", "Dr Gone", Role.CLINICIAN, PASSWORD
    )
    account = next(a for a in clinic.services.users.list_users(clinic.admin) if a.id == other.id)
    clinic.services.users.disable_user(clinic.admin, account)
    with pytest.raises(ValidationError, match="consent taken by id"):
        consents.sign(
            clinic.clinician, form.id, form.version, "03/01/2025", other.id, scan=("s.pdf", PDF)
        )
    assert consents.consent(clinic.clinician, form.id).status is ConsentStatus.PREPARED


# -- who may record what -----------------------------------------------------------------------


def test_reception_records_a_signing_as_its_witness_never_as_the_consent_taker(
    clinic: Clinic, consents: ConsentService, patient_id: str
) -> None:
    form = prepared(clinic, patient_id)
    with pytest.raises(ValidationError) as caught:
        consents.sign(
            clinic.reception,
            form.id,
            form.version,
            date(2025, 1, 20),
            clinic.reception.id,
            scan=("s.pdf", PDF),
        )
    assert set(caught.value.errors) == {"consent_taken_by_id"}
    with pytest.raises(ValidationError, match="is you when reception records the signing"):
        consents.sign(
            clinic.reception,
            form.id,
            form.version,
            date(2025, 1, 20),
            clinic.clinician.id,
            witness_name="Someone Else",
            scan=("s.pdf", PDF),
        )
    done = consents.sign(
        clinic.reception,
        form.id,
        form.version,
        date(2025, 1, 20),
        clinic.clinician.id,
        scan=("s.pdf", PDF),
    )
    assert (done.witness_name, done.consent_taken_by_id) == (
        clinic.reception.display_name,
        clinic.clinician.id,
    )
    # Reception reads the consent and its scan (no clinical notes in either) but never the
    # consultation it belongs to.
    assert consents.attachment(clinic.reception, done.id) == PDF
    with pytest.raises(PermissionDenied):
        clinic.services.clinical.consultations(clinic.reception, patient_id)


def test_a_progress_report_is_not_receptions_to_log(
    clinic: Clinic, consents: ConsentService, patient_id: str
) -> None:
    with pytest.raises(PermissionDenied):
        consents.record_document(
            clinic.reception, patient_id, "progress_report", "", None, "", PDF, "printed"
        )
    denied = [e for e in audit.entries(clinic.services.db) if e.action == "denied"]
    assert [(e.entity, e.detail) for e in denied] == [("document", {"needs": "progress_report"})]


# -- attachments -------------------------------------------------------------------------------


def test_a_drawn_signature_is_sealed_on_disk_and_read_back_as_an_audited_view(
    clinic: Clinic, consents: ConsentService, patient_id: str
) -> None:
    png = signature_png("sealed")
    form = prepared(clinic, patient_id)
    done = consents.sign(
        clinic.clinician,
        form.id,
        form.version,
        date(2025, 1, 20),
        clinic.clinician.id,
        signature_png=png,
    )
    assert done.signature_sha256 is not None and done.scan_sha256 is None
    files = [p for p in clinic.paths.consent_files_dir.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [done.signature_sha256]
    on_disk = files[0].read_bytes()
    assert png not in on_disk and b"IHDR" not in on_disk and b"PNG" not in on_disk
    data, entries = new_entries(clinic, lambda: consents.attachment(clinic.admin, done.id))
    assert data == png
    assert [(e.action, e.entity, e.entity_id, e.detail) for e in entries] == [
        ("view", "consent", done.id, {"patient": patient_id, "copy": "signature"})
    ]
    with pytest.raises(NotFound, match="no scanned form"):
        consents.attachment(clinic.admin, done.id, "scan")


def test_one_scanned_pack_serves_both_consents_but_never_another_patient(
    clinic: Clinic, consents: ConsentService, patient_id: str
) -> None:
    scan = ("pack.pdf", PDF)
    procedure = prepared(clinic, patient_id)
    photo = prepared(clinic, patient_id, ConsentKind.PHOTO)
    for form in (procedure, photo):
        consents.sign(
            clinic.clinician,
            form.id,
            form.version,
            date(2025, 1, 20),
            clinic.clinician.id,
            scan=scan,
        )
    assert len([p for p in clinic.paths.consent_files_dir.rglob("*") if p.is_file()]) == 1
    other = eligible_patient(clinic, consented=False, first_name="Other")
    form = prepared(clinic, other.id)
    with pytest.raises(ValidationError) as caught:
        consents.sign(
            clinic.clinician,
            form.id,
            form.version,
            date(2025, 1, 20),
            clinic.clinician.id,
            scan=scan,
        )
    assert caught.value.errors["scan"].startswith(
        "pack.pdf: this file is already attached to another patient's record"
    )


# -- eligibility -------------------------------------------------------------------------------


def test_treatment_is_blocked_without_consent_and_inside_cooling_off_until_overridden(
    clinic: Clinic, consents: ConsentService, patient_id: str
) -> None:
    clinical = clinic.services.clinical
    # The consent discussion on 01/03/2025: with 14 days, treatment from 15/03/2025.
    consult = clinical.add_consultation(
        clinic.clinician,
        patient_id,
        consultation_form(
            clinic, consulted_on="2025-03-01", discussed_on="2025-03-01", decided_on=""
        ),
    )
    assert clinical.eligibility(clinic.clinician, patient_id, TREATED_ON) == [
        NO_SIGNED_CONSENT,
        "Inside the 14-day cooling-off period: the consent discussion was on 01/03/2025; "
        "treatment is possible from 15/03/2025.",
    ]
    form = consents.prepare(
        clinic.reception,
        patient_id,
        *PROCEDURE,
        "procedure",
        consult.id,
        prepared_on=date(2025, 3, 1),
    )
    consents.sign(
        clinic.clinician,
        form.id,
        form.version,
        date(2025, 3, 5),
        clinic.clinician.id,
        signature_png=signature_png(patient_id),
    )
    cooling = (
        "Inside the 14-day cooling-off period: the consent discussion was on 01/03/2025; "
        "treatment is possible from 15/03/2025."
    )
    assert clinical.eligibility(clinic.clinician, patient_id, date(2025, 3, 14)) == [cooling]
    assert clinical.eligibility(clinic.clinician, patient_id, date(2025, 3, 15)) == []
    with pytest.raises(EligibilityBlocked) as caught:
        clinical.record_treatment(clinic.clinician, patient_id, treatment_form(clinic))
    assert caught.value.reasons == [cooling]

    reason = "Patient travelling abroad; discussed risks again on the day"
    saved, entries = new_entries(
        clinic,
        lambda: clinical.record_treatment(
            clinic.clinician, patient_id, treatment_form(clinic), override_reason=reason
        ),
    )
    (override,) = saved.treatment.overrides
    assert (override.blocking_reasons, override.reason) == ((cooling,), reason)
    assert [(e.action, e.entity) for e in entries] == [
        ("create", "treatment"),
        ("override", "treatment"),
    ]
    assert entries[1].detail["blocking_reasons"] == [cooling]
    # A second session after the period needs no override.
    later = clinical.record_treatment(
        clinic.clinician, patient_id, treatment_form(clinic, treated_on="2025-03-15")
    )
    assert later.treatment.overrides == ()


def test_a_withdrawn_consent_blocks_a_later_treatment(
    clinic: Clinic, consents: ConsentService
) -> None:
    patient = eligible_patient(clinic)  # discussed 02/12/2024, signed 20/12/2024
    [consent] = consents.consents(clinic.clinician, patient.id)
    consents.withdraw(
        clinic.clinician, consent.id, consent.version, date(2025, 3, 1), "Wants to wait"
    )
    clinical = clinic.services.clinical
    assert clinical.eligibility(clinic.clinician, patient.id, date(2025, 2, 28)) == []
    assert clinical.eligibility(clinic.clinician, patient.id, date(2025, 3, 1)) == [
        NO_SIGNED_CONSENT
    ]


def test_the_cooling_off_setting_is_the_admins_bounded_and_audited(
    clinic: Clinic, consents: ConsentService
) -> None:
    settings = clinic.services.clinic
    assert settings.cooling_off_days() == 14
    days, entries = new_entries(clinic, lambda: settings.set_cooling_off_days(clinic.admin, 30))
    assert days == 30 and settings.cooling_off_days() == 30
    assert [(e.action, e.entity, e.entity_id, e.detail) for e in entries] == [
        ("update", "setting", "cooling_off_days", {"days": 30})
    ]
    for bad in (-1, 61):
        with pytest.raises(ValidationError, match="from 0 to 60 days"):
            settings.set_cooling_off_days(clinic.admin, bad)
    with pytest.raises(PermissionDenied):
        settings.set_cooling_off_days(clinic.clinician, 0)
    assert settings.cooling_off_days() == 30
    # The longer period now blocks a treatment 18 days after the discussion.
    patient = eligible_patient(clinic)  # discussed on 02/12/2024
    assert clinic.services.clinical.eligibility(
        clinic.clinician, patient.id, date(2024, 12, 20)
    ) == [
        "Inside the 30-day cooling-off period: the consent discussion was on 02/12/2024; "
        "treatment is possible from 01/01/2025."
    ]
    # A damaged value falls back to the default rather than to no period at all.
    clinic.services.db.execute("UPDATE settings SET value = 'x' WHERE key = 'cooling_off_days'")
    assert settings.cooling_off_days() == 14


# -- photo consent and photos ------------------------------------------------------------------


def import_photo(clinic: Clinic, patient_id: str, folder: Path, seed: int, taken: date) -> Any:
    path = folder / f"photo-{seed}.jpg"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(images.jpeg(seed=seed))
    moment = datetime(taken.year, taken.month, taken.day, 12).timestamp()
    os.utime(path, (moment, moment))  # no EXIF: the file's time is when it was taken
    [outcome] = clinic.services.photos.import_photos(clinic.clinician, patient_id, [path])
    assert outcome.status == "imported", outcome.reason
    return clinic.services.photos.photo(clinic.clinician, outcome.photo_id)


def test_photos_carry_the_widest_scope_and_withdrawing_marketing_marks_them(
    clinic: Clinic, consents: ConsentService, patient_id: str, tmp_path: Path
) -> None:
    before_consent = import_photo(clinic, patient_id, tmp_path, 1, date(2025, 1, 10))
    photo = signed(
        clinic, patient_id, ConsentKind.PHOTO, clinical_record=True, teaching=True, marketing=True
    )
    assert [(g.scope, g.granted, g.granted_on) for g in photo.scopes] == [
        (ConsentScope.CLINICAL_RECORD, True, date(2025, 1, 20)),
        (ConsentScope.TEACHING, True, date(2025, 1, 20)),
        (ConsentScope.MARKETING, True, date(2025, 1, 20)),
    ]
    assert consents.photo_scopes_on(patient_id, date(2025, 1, 19)) == frozenset()
    assert consents.photo_scopes_on(patient_id, date(2025, 2, 1)) == set(ConsentScope)
    under_marketing = import_photo(clinic, patient_id, tmp_path, 2, date(2025, 2, 1))
    assert before_consent.consent_scope is ConsentScope.CLINICAL_RECORD
    assert under_marketing.consent_scope is ConsentScope.MARKETING
    assert under_marketing.for_marketing

    withdrawn, entries = new_entries(
        clinic,
        lambda: consents.withdraw(
            clinic.clinician,
            photo.id,
            photo.version,
            date(2025, 3, 1),
            "No adverts, please",
            scopes=["marketing"],
        ),
    )
    assert withdrawn.status is ConsentStatus.SIGNED  # clinical record and teaching still hold
    assert withdrawn.version == photo.version + 1
    assert withdrawn.grant(ConsentScope.MARKETING).withdrawn_on == date(2025, 3, 1)  # type: ignore[union-attr]
    assert [(e.action, e.detail) for e in entries] == [
        (
            "withdraw",
            {
                "patient": patient_id,
                "kind": "photo",
                "whole": False,
                "scopes": ["marketing"],
                "photos_marked_not_for_marketing": 2,
            },
        )
    ]
    marked = clinic.services.photos.photo(clinic.clinician, under_marketing.id)
    assert marked.marketing_withdrawn_on == date(2025, 3, 1)
    assert not marked.for_marketing and marked.consent_scope is ConsentScope.MARKETING
    assert marked.version == under_marketing.version + 1
    # Taken after the withdrawal: teaching is the widest scope left.
    after = import_photo(clinic, patient_id, tmp_path, 3, date(2025, 3, 2))
    assert (after.consent_scope, after.for_marketing) == (ConsentScope.TEACHING, False)

    # Withdrawing the rest withdraws the consent as a whole.
    final = consents.withdraw(
        clinic.clinician, withdrawn.id, withdrawn.version, date(2025, 4, 1), "Withdraws all"
    )
    assert final.status is ConsentStatus.WITHDRAWN
    assert consents.photo_scopes_on(patient_id, date(2025, 4, 1)) == frozenset()
    with pytest.raises(ValidationError, match="only for a photo consent"):
        procedure = signed(clinic, patient_id)
        consents.withdraw(
            clinic.clinician,
            procedure.id,
            procedure.version,
            date(2025, 4, 1),
            "Scopes?",
            scopes=["marketing"],
        )


def test_refusing_marketing_is_kept_and_never_affects_treatment(
    clinic: Clinic, consents: ConsentService
) -> None:
    patient = eligible_patient(clinic)
    photo = signed(clinic, patient.id, ConsentKind.PHOTO, clinical_record=True, marketing=False)
    assert [(g.scope, g.granted) for g in photo.scopes] == [
        (ConsentScope.CLINICAL_RECORD, True),
        (ConsentScope.TEACHING, False),
        (ConsentScope.MARKETING, False),
    ]
    assert clinic.services.clinical.eligibility(clinic.clinician, patient.id, TREATED_ON) == []


# -- the document log --------------------------------------------------------------------------


def test_every_document_made_is_logged_and_audited(
    clinic: Clinic, consents: ConsentService, patient_id: str
) -> None:
    form, entries = new_entries(
        clinic,
        lambda: consents.record_document(
            clinic.reception, patient_id, "consent_form", *PROCEDURE, PDF, "printed"
        ),
    )
    assert (form.kind, form.action, form.template, form.created_by) == (
        DocumentKind.CONSENT_FORM,
        DocumentAction.PRINTED,
        consents.repo.document(form.id).template,  # type: ignore[union-attr]
        clinic.reception.id,
    )
    assert form.template is not None and form.template.text_hash == HASH
    assert len(form.pdf_sha256) == 64
    assert [(e.action, e.entity, e.entity_id) for e in entries] == [("print", "document", form.id)]
    assert entries[0].detail["patient"] == patient_id
    assert entries[0].detail["template_version"] == 1

    report = consents.record_document(
        clinic.clinician, patient_id, DocumentKind.PROGRESS_REPORT, "", None, "", PDF, "saved"
    )
    assert report.template is None
    generated = consents.record_document(
        clinic.clinician, patient_id, "information_sheet", "aftercare", 2, HASH, PDF, "generated"
    )
    actions = [e.action for e in audit.entries(clinic.services.db) if e.entity == "document"]
    assert actions == ["print", "export", "generate"]

    listed, entries = new_entries(clinic, lambda: consents.documents(clinic.reception, patient_id))
    assert [d.id for d in listed] == [generated.id, report.id, form.id]
    assert [(e.action, e.entity, e.entity_id) for e in entries] == [
        ("view", "documents", patient_id)
    ]

    with pytest.raises(ValidationError) as caught:
        consents.record_document(
            clinic.clinician, patient_id, "consent_form", "", None, "", b"<html>", "faxed"
        )
    assert set(caught.value.errors) == {"action", "template_id", "pdf"}
    with pytest.raises(ValidationError, match="kind: is not a kind of document"):
        consents.record_document(clinic.clinician, patient_id, "letter", *PROCEDURE, PDF, "saved")


def test_correcting_a_photos_time_works_its_consent_out_again(
    clinic: Clinic, patient_id: str, tmp_path: Path
) -> None:
    # The camera's clock was wrong: the photo seems older than the photo consent.
    photo = import_photo(clinic, patient_id, tmp_path, 1, date(2025, 1, 10))
    assert photo.consent_scope is ConsentScope.CLINICAL_RECORD
    signed(clinic, patient_id, ConsentKind.PHOTO, clinical_record=True, teaching=True)
    corrected = clinic.services.photos.update_details(
        clinic.clinician,
        photo.id,
        photo.version,
        view=photo.view,
        region=photo.region,
        taken_at=datetime(2025, 2, 3, 10, 0),
    )
    assert corrected.consent_scope is ConsentScope.TEACHING
    assert not corrected.for_marketing
