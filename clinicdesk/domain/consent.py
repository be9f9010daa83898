"""Consent records: the procedure consent and the separate photo consent (CLINICAL.md "Consent").

A consent moves one way: **prepared** (its form was printed for the patient, naming the exact
template version and text hash) -> **signed** (the date, the clinician who took consent, an
optional witness and interpreter, and the evidence: the scanned signed paper or a signature
drawn on screen) -> **withdrawn** (a date and a reason). A photo consent carries three
independent scopes (clinical record, anonymised teaching, identifiable marketing), each granted
or refused at signing, each with its own date and its own withdrawal; the consent as a whole is
withdrawn when no granted scope is left in force.

``consent_blockers`` is the consent half of the treatment eligibility check: a signed procedure
consent in force on the treatment date, and the cooling-off period counted from the consent
discussion. The discussion is the consultation's ``discussed_on`` date: of the patient's
consultations, the latest discussion on or before the treatment date counts (a fresh discussion
restarts the time to reflect; one recorded after the treatment says nothing about it). With no
discussion recorded the period cannot be checked, so that blocks too.

A consent, a scope or a photo marking is "in force on" a day from its start date up to, not
including, its withdrawal date: withdrawn on the day of treatment means not in force for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from clinicdesk.domain.coded import Coded
from clinicdesk.domain.dates import DateError, format_uk, parse_date
from clinicdesk.domain.ids import PatientId, UserId
from clinicdesk.domain.photos import ConsentScope
from clinicdesk.domain.record_info import RecordInfo
from clinicdesk.domain.text import NAME_MAX, NOTE_MAX, TextError, clean_text
from clinicdesk.errors import UserError, ValidationError

COOLING_OFF_DAYS_DEFAULT = 14
COOLING_OFF_DAYS_MAX = 60
WITHDRAWAL_REASON_MIN = 3
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # a multi-page scan at 300 dpi fits easily
ATTACHMENT_NAME_MAX = 255
TEMPLATE_ID_MAX = 60

# Narrowest to widest: a photo carries the widest scope in force when it was taken.
PHOTO_SCOPES: tuple[ConsentScope, ...] = (
    ConsentScope.CLINICAL_RECORD,
    ConsentScope.TEACHING,
    ConsentScope.MARKETING,
)
SCOPE_LABELS = {
    ConsentScope.CLINICAL_RECORD: "Clinical record",
    ConsentScope.TEACHING: "Anonymised teaching",
    ConsentScope.MARKETING: "Identifiable marketing",
}

NO_SIGNED_CONSENT = "No signed consent for the procedure: record the signed consent form first."
NO_DISCUSSION = (
    "No consent discussion recorded: add the date of the consent discussion to the patient's "
    "consultation (the cooling-off period runs from it)."
)


class ConsentKind(Coded):
    PROCEDURE = "procedure", "Procedure consent"
    PHOTO = "photo", "Photo consent"


class ConsentStatus(Coded):
    PREPARED = "prepared", "Prepared, not signed"
    SIGNED = "signed"
    WITHDRAWN = "withdrawn"


class AttachmentFormat(StrEnum):
    """What a scanned signed form may be (told by its first bytes, never by its name)."""

    PDF = "PDF"
    JPEG = "JPEG"
    PNG = "PNG"


class DocumentKind(Coded):
    CONSENT_FORM = "consent_form"
    CONSENT_PACK = "consent_pack"
    PROGRESS_REPORT = "progress_report"
    INFORMATION_SHEET = "information_sheet"


class DocumentAction(StrEnum):
    GENERATED = "generated"
    PRINTED = "printed"
    SAVED = "saved"

    @property
    def audit_action(self) -> str:
        """The audit trail's word: a PDF saved to disk has left the program (an export)."""
        return {"generated": "generate", "printed": "print", "saved": "export"}[self.value]


_MAGIC = (
    (b"%PDF-", AttachmentFormat.PDF),
    (b"\xff\xd8\xff", AttachmentFormat.JPEG),
    (b"\x89PNG\r\n\x1a\n", AttachmentFormat.PNG),
)


def attachment_format(data: bytes) -> AttachmentFormat | None:
    """The format of a scan or signature by its magic bytes; ``None`` for anything else."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


# -- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRef:
    """The exact form a consent was printed (and signed) on: id, version and text hash."""

    template_id: str
    version: int
    text_hash: str  # sha256 hex of the template text


@dataclass(frozen=True)
class ScopeGrant:
    """One scope of a photo consent: granted or refused at signing, and when withdrawn."""

    scope: ConsentScope
    granted: bool
    granted_on: date | None = None
    withdrawn_on: date | None = None
    withdrawal_reason: str = ""
    id: str = ""
    version: int = 1

    def in_force_on(self, day: date) -> bool:
        return (
            self.granted
            and self.granted_on is not None
            and self.granted_on <= day
            and (self.withdrawn_on is None or day < self.withdrawn_on)
        )

    @property
    def withdrawable(self) -> bool:
        return self.granted and self.withdrawn_on is None


@dataclass(frozen=True)
class Consent:
    id: str
    patient_id: PatientId
    kind: ConsentKind
    template: TemplateRef
    consultation_id: str | None  # the consent discussion it belongs to, if recorded
    status: ConsentStatus
    prepared_on: date
    info: RecordInfo
    signed_on: date | None = None
    consent_taken_by_id: UserId | None = None
    witness_name: str = ""
    interpreter_name: str = ""
    signature_sha256: str | None = None  # the signature drawn on screen (PNG), sealed
    scan_sha256: str | None = None  # the scanned signed paper, sealed
    scan_format: AttachmentFormat | None = None
    scan_name: str = ""  # the scanned file's name, without its folder
    withdrawn_on: date | None = None
    withdrawal_reason: str = ""
    scopes: tuple[ScopeGrant, ...] = ()  # photo consent only, in PHOTO_SCOPES order

    @property
    def version(self) -> int:
        return self.info.version

    def in_force_on(self, day: date) -> bool:
        """Signed on or before ``day`` and not withdrawn by then."""
        return (
            self.status is not ConsentStatus.PREPARED
            and self.signed_on is not None
            and self.signed_on <= day
            and (self.withdrawn_on is None or day < self.withdrawn_on)
        )

    def grant(self, scope: ConsentScope) -> ScopeGrant | None:
        return next((g for g in self.scopes if g.scope is scope), None)

    def scopes_in_force_on(self, day: date) -> frozenset[ConsentScope]:
        if self.kind is not ConsentKind.PHOTO:
            return frozenset()
        return frozenset(g.scope for g in self.scopes if g.in_force_on(day))


@dataclass(frozen=True)
class DocumentRecord:
    """One line of the document log: a PDF generated, printed or saved for a patient."""

    id: str
    patient_id: PatientId
    kind: DocumentKind
    template: TemplateRef | None  # None for a progress report (no template)
    pdf_sha256: str
    action: DocumentAction
    created_by: UserId
    created_at: str


# -- eligibility and scopes ---------------------------------------------------------------------


def consent_discussion_on(discussions: Iterable[date | None], treated_on: date) -> date | None:
    """The consent discussion a treatment on ``treated_on`` follows: the latest on or before it."""
    earlier = [d for d in discussions if d is not None and d <= treated_on]
    return max(earlier, default=None)


def consent_blockers(
    consents: Sequence[Consent],
    discussed_on: date | None,
    treated_on: date,
    cooling_off_days: int,
) -> list[str]:
    """Why consent does not yet allow a treatment on ``treated_on`` (empty: it does).

    Needs a procedure consent in force that day, and the treatment at least
    ``cooling_off_days`` after the consent discussion ``discussed_on`` (see
    ``consent_discussion_on``): discussed on the 1st with 14 days, the 15th is the first day.
    """
    reasons: list[str] = []
    if not any(c.kind is ConsentKind.PROCEDURE and c.in_force_on(treated_on) for c in consents):
        reasons.append(NO_SIGNED_CONSENT)
    if discussed_on is None:
        reasons.append(NO_DISCUSSION)
    else:
        first_day = discussed_on + timedelta(days=cooling_off_days)
        if treated_on < first_day:
            reasons.append(
                f"Inside the {cooling_off_days}-day cooling-off period: the consent discussion "
                f"was on {format_uk(discussed_on)}; treatment is possible from "
                f"{format_uk(first_day)}."
            )
    return reasons


def photo_scopes_on(consents: Iterable[Consent], on: date) -> frozenset[ConsentScope]:
    """The photo scopes in force on ``on`` across all the patient's photo consents."""
    found: set[ConsentScope] = set()
    for consent in consents:
        found |= consent.scopes_in_force_on(on)
    return frozenset(found)


def widest_scope(scopes: Iterable[ConsentScope]) -> ConsentScope:
    """The widest of ``scopes``; clinical record only when there is none."""
    present = set(scopes)
    return max(present, key=PHOTO_SCOPES.index, default=ConsentScope.CLINICAL_RECORD)


def photo_consent_for(
    consents: Sequence[Consent], taken_on: date
) -> tuple[ConsentScope, date | None]:
    """The scope a photo taken on ``taken_on`` carries, and since when it is not for marketing
    (``None``: not blocked). A photo taken under a marketing grant that has since been withdrawn
    is blocked from the withdrawal date, even when imported after it."""
    scope = widest_scope(photo_scopes_on(consents, taken_on))
    withdrawn = [
        grant.withdrawn_on
        for consent in consents
        for grant in consent.scopes
        if grant.scope is ConsentScope.MARKETING
        and grant.in_force_on(taken_on)
        and grant.withdrawn_on is not None
    ]
    return scope, min(withdrawn, default=None)


# -- validation ---------------------------------------------------------------------------------


class ConsentStateError(UserError):
    """The step asked for does not follow from the consent's state (signing twice, withdrawing
    one never signed); nothing was changed."""


_TEMPLATE_ID = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def validate_template(template_id: str, version: int, text_hash: str) -> TemplateRef:
    errors: dict[str, str] = {}
    ident = template_id.strip()
    if not ident:
        errors["template_id"] = "is required"
    elif len(ident) > TEMPLATE_ID_MAX or not _TEMPLATE_ID.fullmatch(ident):
        errors["template_id"] = "is not a template id (lower-case letters, digits, - _ .)"
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        errors["template_version"] = "must be a whole number from 1"
    digest = text_hash.strip().lower()
    if not _SHA256.fullmatch(digest):
        errors["template_hash"] = "must be the sha256 of the template text (64 hex digits)"
    if errors:
        raise ValidationError(errors)
    return TemplateRef(ident, version, digest)


def clean_person_name(key: str, text: str, errors: dict[str, str]) -> str:
    """A witness's or interpreter's name: one line, NFC, at most ``NAME_MAX`` characters."""
    try:
        return clean_text(text or "", max_length=NAME_MAX)
    except TextError as exc:
        errors[key] = str(exc)
        return ""


def _day(key: str, value: date | str | None, today: date, errors: dict[str, str]) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[key] = "is required"
        return None
    if isinstance(value, str):
        try:
            value = parse_date(value)
        except DateError as exc:
            errors[key] = str(exc)
            return None
    if value > today:
        errors[key] = "is in the future"
        return None
    return value


@dataclass(frozen=True)
class Signing:
    signed_on: date
    witness_name: str
    interpreter_name: str
    scopes: Mapping[ConsentScope, bool]  # every photo scope, granted or refused; {} otherwise


def validate_signing(
    consent: Consent,
    *,
    signed_on: date | str | None,
    witness_name: str = "",
    interpreter_name: str = "",
    photo_scopes: Mapping[str, bool] | None = None,
    today: date,
) -> Signing:
    """Check a signing of ``consent``; ``ConsentStateError`` unless it is still prepared."""
    if consent.status is not ConsentStatus.PREPARED:
        when = f" on {format_uk(consent.signed_on)}" if consent.signed_on else ""
        raise ConsentStateError(
            f"This {consent.kind.label.lower()} is already recorded as signed{when}; "
            "nothing was changed."
        )
    errors: dict[str, str] = {}
    day = _day("signed_on", signed_on, today, errors)
    if day is not None and day < consent.prepared_on:
        errors["signed_on"] = f"is before the form was prepared ({format_uk(consent.prepared_on)})"
    witness = clean_person_name("witness_name", witness_name, errors)
    interpreter = clean_person_name("interpreter_name", interpreter_name, errors)
    scopes: dict[ConsentScope, bool] = {}
    if consent.kind is ConsentKind.PHOTO:
        given = dict(photo_scopes or {})
        unknown = [k for k in given if k not in {s.value for s in PHOTO_SCOPES}]
        if unknown:
            errors["photo_scopes"] = f"{unknown[0]!r} is not a photo consent scope"
        scopes = {scope: bool(given.get(scope.value, False)) for scope in PHOTO_SCOPES}
    elif photo_scopes:
        errors["photo_scopes"] = "are only for a photo consent"
    if errors:
        raise ValidationError(errors)
    assert day is not None
    return Signing(day, witness, interpreter, scopes)


@dataclass(frozen=True)
class Withdrawal:
    withdrawn_on: date
    reason: str
    scopes: frozenset[ConsentScope]  # the photo scopes withdrawn now (empty: procedure)
    whole: bool  # the consent as a whole is withdrawn (no granted scope left in force)


def validate_withdrawal(
    consent: Consent,
    *,
    withdrawn_on: date | str | None,
    reason: str,
    scopes: Iterable[str] | None = None,
    today: date,
) -> Withdrawal:
    """Check a withdrawal of ``consent`` (or, for a photo consent, of some of its scopes)."""
    if consent.status is ConsentStatus.PREPARED:
        raise ConsentStateError(
            f"This {consent.kind.label.lower()} was never signed, so there is nothing to "
            "withdraw; nothing was changed."
        )
    if consent.status is ConsentStatus.WITHDRAWN:
        when = f" on {format_uk(consent.withdrawn_on)}" if consent.withdrawn_on else ""
        raise ConsentStateError(
            f"This {consent.kind.label.lower()} was already withdrawn{when}; nothing was changed."
        )
    errors: dict[str, str] = {}
    day = _day("withdrawn_on", withdrawn_on, today, errors)
    if day is not None and consent.signed_on is not None and day < consent.signed_on:
        errors["withdrawn_on"] = (
            f"is before the consent was signed ({format_uk(consent.signed_on)})"
        )
    try:
        cleaned = clean_text(reason or "", max_length=NOTE_MAX, multiline=True)
    except TextError as exc:
        errors["withdrawal_reason"] = str(exc)
        cleaned = ""
    else:
        if len(cleaned) < WITHDRAWAL_REASON_MIN:
            errors["withdrawal_reason"] = (
                f"is required (at least {WITHDRAWAL_REASON_MIN} characters)"
            )
    chosen: frozenset[ConsentScope] = frozenset()
    whole = True
    if consent.kind is ConsentKind.PHOTO:
        open_scopes = {g.scope for g in consent.scopes if g.withdrawable}
        if scopes is None:
            chosen = frozenset(open_scopes)
        else:
            picked: set[ConsentScope] = set()
            for item in scopes:
                try:
                    scope = ConsentScope(item)
                except ValueError:
                    errors["scopes"] = f"{item!r} is not a photo consent scope"
                    continue
                if scope not in open_scopes:
                    errors["scopes"] = (
                        f"{SCOPE_LABELS[scope].lower()} is not granted and in force, so it "
                        "cannot be withdrawn"
                    )
                picked.add(scope)
            if not picked and "scopes" not in errors:
                errors["scopes"] = "choose at least one scope to withdraw"
            chosen = frozenset(picked)
        whole = not (open_scopes - chosen)
    elif scopes:
        errors["scopes"] = "are only for a photo consent"
    if errors:
        raise ValidationError(errors)
    assert day is not None
    return Withdrawal(day, cleaned, chosen, whole)


def scan_name(name: str) -> str:
    """A scan's file name as shown and kept: without its folders, one clean line."""
    shown = re.split(r"[\\/]", name or "")[-1].strip() or "The scan"
    try:
        return clean_text(shown, max_length=ATTACHMENT_NAME_MAX)
    except TextError:
        return "The scan"


def scan_too_large(name: str, size: int) -> str | None:
    """Why a scan of ``size`` bytes is refused before it is read (its real size and the
    limit), or None when it is not too large."""
    if size <= MAX_ATTACHMENT_BYTES:
        return None
    return (
        f"{scan_name(name)} is too large ({size / (1024 * 1024):.1f} MB; at most "
        f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB). Scan at a lower resolution."
    )


def check_scan(name: str, data: bytes) -> tuple[str, AttachmentFormat]:
    """The scanned signed form's file name (without folders) and format, or a
    ``ValidationError`` under ``scan`` naming the file."""
    shown = scan_name(name)
    if not data:
        raise ValidationError({"scan": f"{shown} is empty; scan the signed form again."})
    if too_large := scan_too_large(name, len(data)):
        raise ValidationError({"scan": too_large})
    kind = attachment_format(data)
    if kind is None:
        raise ValidationError(
            {"scan": f"{shown} is not a PDF, JPEG or PNG file; save the scan in one of those."}
        )
    return shown, kind


def check_signature(data: bytes) -> None:
    """A signature drawn on screen arrives as a PNG image."""
    if not data:
        raise ValidationError({"signature": "is empty; ask the patient to sign again"})
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"signature": "is too large to store"})
    if attachment_format(data) is not AttachmentFormat.PNG:
        raise ValidationError({"signature": "is not a PNG image"})


def check_cooling_off_days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValidationError({"cooling_off_days": "must be a whole number of days"})
    if not 0 <= days <= COOLING_OFF_DAYS_MAX:
        raise ValidationError(
            {"cooling_off_days": f"must be from 0 to {COOLING_OFF_DAYS_MAX} days"}
        )
    return days
