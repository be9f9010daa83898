"""Consent records in the domain: when a consent or a photo scope is in force, the consent half
of the eligibility check (signed consent, cooling-off boundaries), and the checks of each step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from clinicdesk.domain.consent import (
    MAX_ATTACHMENT_BYTES,
    NO_DISCUSSION,
    NO_SIGNED_CONSENT,
    AttachmentFormat,
    Consent,
    ConsentKind,
    ConsentStateError,
    ConsentStatus,
    ScopeGrant,
    TemplateRef,
    attachment_format,
    check_cooling_off_days,
    check_scan,
    check_signature,
    consent_blockers,
    consent_discussion_on,
    photo_consent_for,
    photo_scopes_on,
    validate_signing,
    validate_template,
    validate_withdrawal,
    widest_scope,
)
from clinicdesk.domain.ids import PatientId, SiteId, UserId
from clinicdesk.domain.photos import ConsentScope
from clinicdesk.domain.record_info import RecordInfo
from clinicdesk.errors import ValidationError

TODAY = date(2025, 6, 1)
HASH = "0123456789abcdef" * 4
PNG = b"\x89PNG\r\n\x1a\n" + bytes(20)
INFO = RecordInfo(1, SiteId("s"), "2025-01-01T00:00:00.000Z", "", UserId("u"), UserId("u"))


def consent(
    kind: ConsentKind = ConsentKind.PROCEDURE,
    status: ConsentStatus = ConsentStatus.SIGNED,
    *,
    prepared_on: date = date(2025, 1, 1),
    signed_on: date | None = date(2025, 1, 10),
    withdrawn_on: date | None = None,
    scopes: tuple[ScopeGrant, ...] = (),
) -> Consent:
    return Consent(
        id="c1",
        patient_id=PatientId("p1"),
        kind=kind,
        template=TemplateRef("micrograft-consent", 1, HASH),
        consultation_id=None,
        status=status,
        prepared_on=prepared_on,
        info=INFO,
        signed_on=signed_on if status is not ConsentStatus.PREPARED else None,
        consent_taken_by_id=UserId("dr") if status is not ConsentStatus.PREPARED else None,
        withdrawn_on=withdrawn_on,
        scopes=scopes,
    )


def photo_consent(
    *grants: tuple[ConsentScope, bool, date | None], signed_on: date = date(2025, 1, 10)
) -> Consent:
    scopes = tuple(
        ScopeGrant(scope, granted, signed_on if granted else None, withdrawn)
        for scope, granted, withdrawn in grants
    )
    return consent(ConsentKind.PHOTO, signed_on=signed_on, scopes=scopes)


# -- in force ----------------------------------------------------------------------------------


def test_a_consent_is_in_force_from_signing_until_the_day_it_is_withdrawn() -> None:
    signed = consent(withdrawn_on=date(2025, 3, 1), status=ConsentStatus.WITHDRAWN)
    assert not signed.in_force_on(date(2025, 1, 9))
    assert signed.in_force_on(date(2025, 1, 10))
    assert signed.in_force_on(date(2025, 2, 28))
    assert not signed.in_force_on(date(2025, 3, 1))  # withdrawn that morning: not for that day
    assert not consent(status=ConsentStatus.PREPARED).in_force_on(date(2025, 6, 1))


# -- eligibility -------------------------------------------------------------------------------

DISCUSSED = date(2025, 1, 1)


def test_no_signed_procedure_consent_blocks() -> None:
    treated = date(2025, 2, 1)
    assert consent_blockers([], DISCUSSED, treated, 14) == [NO_SIGNED_CONSENT]
    prepared = consent(status=ConsentStatus.PREPARED)
    assert consent_blockers([prepared], DISCUSSED, treated, 14) == [NO_SIGNED_CONSENT]
    # A photo consent is not consent to the procedure; a consent signed later does not count.
    photo = photo_consent((ConsentScope.CLINICAL_RECORD, True, None))
    assert consent_blockers([photo], DISCUSSED, treated, 14) == [NO_SIGNED_CONSENT]
    late = consent(signed_on=date(2025, 2, 2))
    assert consent_blockers([late], DISCUSSED, treated, 14) == [NO_SIGNED_CONSENT]
    withdrawn = consent(status=ConsentStatus.WITHDRAWN, withdrawn_on=treated)
    assert consent_blockers([withdrawn], DISCUSSED, treated, 14) == [NO_SIGNED_CONSENT]
    assert consent_blockers([withdrawn, consent()], DISCUSSED, treated, 14) == []


def test_cooling_off_day_13_is_blocked_and_day_14_allowed() -> None:
    signed = [consent(signed_on=DISCUSSED)]
    assert consent_blockers(signed, DISCUSSED, date(2025, 1, 14), 14) == [
        "Inside the 14-day cooling-off period: the consent discussion was on 01/01/2025; "
        "treatment is possible from 15/01/2025."
    ]
    assert consent_blockers(signed, DISCUSSED, date(2025, 1, 15), 14) == []
    assert consent_blockers(signed, DISCUSSED, DISCUSSED, 0) == []
    assert consent_blockers(signed, DISCUSSED, date(2025, 1, 20), 21) == [
        "Inside the 21-day cooling-off period: the consent discussion was on 01/01/2025; "
        "treatment is possible from 22/01/2025."
    ]


def test_without_a_discussion_the_cooling_off_period_cannot_be_checked() -> None:
    assert consent_blockers([consent()], None, date(2025, 2, 1), 14) == [NO_DISCUSSION]
    assert consent_blockers([], None, date(2025, 2, 1), 0) == [NO_SIGNED_CONSENT, NO_DISCUSSION]


def test_the_latest_discussion_on_or_before_the_treatment_counts() -> None:
    discussions = [date(2025, 1, 1), None, date(2025, 2, 1), date(2025, 4, 1)]
    assert consent_discussion_on(discussions, date(2025, 3, 1)) == date(2025, 2, 1)
    assert consent_discussion_on(discussions, date(2025, 2, 1)) == date(2025, 2, 1)
    assert consent_discussion_on(discussions, date(2024, 12, 31)) is None
    assert consent_discussion_on([], date(2025, 3, 1)) is None


# -- photo scopes ------------------------------------------------------------------------------


def test_photo_scopes_in_force_and_the_widest_of_them() -> None:
    marketing_out = date(2025, 3, 1)
    first = photo_consent(
        (ConsentScope.CLINICAL_RECORD, True, None),
        (ConsentScope.TEACHING, False, None),
        (ConsentScope.MARKETING, True, marketing_out),
    )
    later = photo_consent((ConsentScope.TEACHING, True, None), signed_on=date(2025, 4, 1))
    consents = [first, later]
    assert photo_scopes_on(consents, date(2025, 1, 9)) == frozenset()
    assert photo_scopes_on(consents, date(2025, 2, 1)) == {
        ConsentScope.CLINICAL_RECORD,
        ConsentScope.MARKETING,
    }
    assert photo_scopes_on(consents, marketing_out) == {ConsentScope.CLINICAL_RECORD}
    assert photo_scopes_on(consents, date(2025, 4, 1)) == {
        ConsentScope.CLINICAL_RECORD,
        ConsentScope.TEACHING,
    }
    assert widest_scope([]) is ConsentScope.CLINICAL_RECORD
    assert widest_scope([ConsentScope.MARKETING, ConsentScope.TEACHING]) is ConsentScope.MARKETING
    # A procedure consent has no photo scopes.
    assert photo_scopes_on([consent()], date(2025, 2, 1)) == frozenset()


def test_a_photo_taken_under_a_withdrawn_marketing_grant_is_blocked_from_the_withdrawal() -> None:
    withdrawn_on = date(2025, 3, 1)
    consents = [
        photo_consent(
            (ConsentScope.CLINICAL_RECORD, True, None),
            (ConsentScope.TEACHING, True, None),
            (ConsentScope.MARKETING, True, withdrawn_on),
        )
    ]
    assert photo_consent_for(consents, date(2025, 2, 1)) == (ConsentScope.MARKETING, withdrawn_on)
    assert photo_consent_for(consents, withdrawn_on) == (ConsentScope.TEACHING, None)
    assert photo_consent_for([], withdrawn_on) == (ConsentScope.CLINICAL_RECORD, None)


# -- signing and withdrawing -------------------------------------------------------------------


def test_signing_checks_dates_names_and_state() -> None:
    prepared = consent(status=ConsentStatus.PREPARED, prepared_on=date(2025, 2, 1))
    signing = validate_signing(
        prepared,
        signed_on="14/02/2025",
        witness_name="  Zoë  Witness ",
        interpreter_name="",
        today=TODAY,
    )
    assert (signing.signed_on, signing.witness_name, signing.scopes) == (
        date(2025, 2, 14),
        "Zoë  Witness",
        {},
    )
    with pytest.raises(ValidationError) as caught:
        validate_signing(
            prepared,
            signed_on="31/01/2025",
            witness_name="Bad\u202ename",
            interpreter_name="x" * 61,
            photo_scopes={"marketing": True},
            today=TODAY,
        )
    assert set(caught.value.errors) == {
        "signed_on",
        "witness_name",
        "interpreter_name",
        "photo_scopes",
    }
    assert caught.value.errors["signed_on"] == "is before the form was prepared (01/02/2025)"
    with pytest.raises(ValidationError, match="is in the future"):
        validate_signing(prepared, signed_on=date(2025, 6, 2), today=TODAY)
    with pytest.raises(ValidationError, match="signed on: is required"):
        validate_signing(prepared, signed_on=" ", today=TODAY)
    with pytest.raises(ConsentStateError, match="already recorded as signed on 10/01/2025"):
        validate_signing(consent(), signed_on=TODAY, today=TODAY)


def test_photo_signing_takes_every_scope_granted_or_refused() -> None:
    prepared = consent(ConsentKind.PHOTO, ConsentStatus.PREPARED)
    signing = validate_signing(
        prepared, signed_on=TODAY, photo_scopes={"teaching": True}, today=TODAY
    )
    assert signing.scopes == {
        ConsentScope.CLINICAL_RECORD: False,
        ConsentScope.TEACHING: True,
        ConsentScope.MARKETING: False,
    }
    with pytest.raises(ValidationError, match="'press' is not a photo consent scope"):
        validate_signing(prepared, signed_on=TODAY, photo_scopes={"press": True}, today=TODAY)


def test_withdrawal_needs_a_signed_consent_a_date_and_a_reason() -> None:
    with pytest.raises(ConsentStateError, match="never signed"):
        validate_withdrawal(
            consent(status=ConsentStatus.PREPARED), withdrawn_on=TODAY, reason="x" * 5, today=TODAY
        )
    gone = consent(status=ConsentStatus.WITHDRAWN, withdrawn_on=date(2025, 3, 1))
    with pytest.raises(ConsentStateError, match="already withdrawn on 01/03/2025"):
        validate_withdrawal(gone, withdrawn_on=TODAY, reason="Changed mind", today=TODAY)
    with pytest.raises(ValidationError) as caught:
        validate_withdrawal(consent(), withdrawn_on="09/01/2025", reason=" no ", today=TODAY)
    assert caught.value.errors == {
        "withdrawn_on": "is before the consent was signed (10/01/2025)",
        "withdrawal_reason": "is required (at least 3 characters)",
    }
    done = validate_withdrawal(consent(), withdrawn_on=TODAY, reason="  Moved abroad ", today=TODAY)
    assert (done.withdrawn_on, done.reason, done.scopes, done.whole) == (
        TODAY,
        "Moved abroad",
        frozenset(),
        True,
    )


def test_withdrawing_some_photo_scopes_leaves_the_consent_signed() -> None:
    photo = photo_consent(
        (ConsentScope.CLINICAL_RECORD, True, None),
        (ConsentScope.TEACHING, False, None),
        (ConsentScope.MARKETING, True, None),
    )
    some = validate_withdrawal(
        photo, withdrawn_on=TODAY, reason="No adverts", scopes=["marketing"], today=TODAY
    )
    assert (some.scopes, some.whole) == (frozenset({ConsentScope.MARKETING}), False)
    every = validate_withdrawal(photo, withdrawn_on=TODAY, reason="All of it", today=TODAY)
    assert (every.scopes, every.whole) == (
        frozenset({ConsentScope.CLINICAL_RECORD, ConsentScope.MARKETING}),
        True,
    )
    with pytest.raises(ValidationError, match="anonymised teaching is not granted"):
        validate_withdrawal(
            photo, withdrawn_on=TODAY, reason="No teaching", scopes=["teaching"], today=TODAY
        )
    with pytest.raises(ValidationError, match="choose at least one scope"):
        validate_withdrawal(photo, withdrawn_on=TODAY, reason="Nothing", scopes=[], today=TODAY)
    last = replace(
        photo,
        scopes=(photo.scopes[0], photo.scopes[1], replace(photo.scopes[2], withdrawn_on=TODAY)),
    )
    final = validate_withdrawal(
        last, withdrawn_on=TODAY, reason="Clinical too", scopes=["clinical_record"], today=TODAY
    )
    assert final.whole  # nothing granted is left in force


# -- attachments, templates, settings ----------------------------------------------------------


def test_attachments_are_told_by_their_first_bytes_and_named_when_refused() -> None:
    assert attachment_format(b"%PDF-1.7\n") is AttachmentFormat.PDF
    assert attachment_format(b"\xff\xd8\xff\xe0") is AttachmentFormat.JPEG
    assert attachment_format(PNG) is AttachmentFormat.PNG
    assert attachment_format(b"PK\x03\x04") is None
    assert check_scan("C:\\Scans\\signed form.pdf", b"%PDF-1.4 ...") == (
        "signed form.pdf",
        AttachmentFormat.PDF,
    )
    with pytest.raises(ValidationError) as caught:
        check_scan("/home/rex/consent.docx", b"PK\x03\x04 word")
    assert caught.value.errors == {
        "scan": "consent.docx is not a PDF, JPEG or PNG file; save the scan in one of those."
    }
    with pytest.raises(ValidationError, match=r"big\.pdf is too large \(20.0 MB; at most 20 MB\)"):
        check_scan("big.pdf", b"%PDF-" + bytes(MAX_ATTACHMENT_BYTES))
    with pytest.raises(ValidationError, match=r"empty\.jpg is empty"):
        check_scan("empty.jpg", b"")
    check_signature(PNG)
    with pytest.raises(ValidationError, match="not a PNG"):
        check_signature(b"\xff\xd8\xff\xe0")


def test_template_references_are_checked() -> None:
    assert validate_template(" photo-consent ", 2, HASH.upper()) == TemplateRef(
        "photo-consent", 2, HASH
    )
    with pytest.raises(ValidationError) as caught:
        validate_template("Photo Consent!", 0, "abc")
    assert set(caught.value.errors) == {"template_id", "template_version", "template_hash"}


def test_cooling_off_days_are_0_to_60() -> None:
    assert check_cooling_off_days(0) == 0
    assert check_cooling_off_days(60) == 60
    for bad in (-1, 61):
        with pytest.raises(ValidationError, match="from 0 to 60 days"):
            check_cooling_off_days(bad)
