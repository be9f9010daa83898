"""The patient record and its validation.

A form (or the CLI) hands ``validate_patient`` the raw text of each field; it returns a
``PatientDetails`` with every value in its stored form, or raises ``ValidationError`` with one
message per offending field, so a screen can show each message beside its field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date

from clinicdesk.domain.checks import written_reason
from clinicdesk.domain.coded import Coded
from clinicdesk.domain.dates import DateError, age_on, format_uk, parse_date
from clinicdesk.domain.identifiers import (
    normalise_email,
    normalise_nhs_number,
    normalise_phone,
    normalise_postcode,
)
from clinicdesk.domain.ids import PatientId, SiteId, UserId
from clinicdesk.domain.text import NAME_MAX, TextError, clean_text
from clinicdesk.errors import ValidationError

OLDEST_AGE = 125
# Registering a second live record with an NHS number another patient already has needs a
# written reason of at least this many characters (it goes into the audit trail).
DUPLICATE_REASON_MIN = 10
# "Interpreter needed: language" is a language's name, not a note.
LANGUAGE_MAX = 60


class Sex(Coded):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "X", "Other / not stated"


TITLES = ("", "Mr", "Mrs", "Miss", "Ms", "Mx", "Dr", "Prof")


@dataclass(frozen=True)
class PatientDetails:
    """What a user types about a patient, validated and in stored form."""

    first_name: str
    last_name: str
    date_of_birth: date
    sex: Sex
    title: str = ""
    preferred_name: str = ""
    phone: str = ""
    email: str = ""
    address_line1: str = ""
    address_line2: str = ""
    town: str = ""
    postcode: str = ""
    gp_practice: str = ""
    nhs_number: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    home_site_id: SiteId | None = None
    # The language an interpreter is needed for ("" when none is): printed on consent forms.
    interpreter_language: str = ""

    def as_form(self) -> dict[str, str]:
        """Field texts as a form shows them (dates the UK way)."""
        form: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, date):
                form[field.name] = format_uk(value)
            elif value is None:
                form[field.name] = ""
            else:
                form[field.name] = str(value)
        return form


PATIENT_FIELDS = tuple(field.name for field in fields(PatientDetails))


@dataclass(frozen=True)
class Patient:
    """A stored patient: the details plus the record's bookkeeping."""

    id: PatientId
    details: PatientDetails
    version: int
    site_id: SiteId
    created_at: str
    updated_at: str
    created_by: UserId
    updated_by: UserId
    deleted_at: str | None = None
    # The clinic's own number ("M-00123", ``domain.patient_numbers``), given at registration.
    patient_number: str = ""

    @property
    def archived(self) -> bool:
        return self.deleted_at is not None

    @property
    def display_name(self) -> str:
        d = self.details
        first = d.preferred_name or d.first_name
        return f"{first} {d.last_name}".strip()

    def age(self, today: date) -> int:
        return age_on(self.details.date_of_birth, today)


@dataclass(frozen=True)
class PatientSummary:
    """One row of the patient list or of search results."""

    id: PatientId
    first_name: str
    last_name: str
    preferred_name: str
    date_of_birth: date
    sex: Sex
    nhs_number: str
    phone: str
    postcode: str
    archived: bool
    patient_number: str = ""
    interpreter_language: str = ""


def _name(required: bool) -> Callable[[str], str]:
    def check(text: str) -> str:
        value = clean_text(text, max_length=NAME_MAX)
        if required and not value:
            raise ValueError("is required")
        return value

    return check


def _optional(normalise: Callable[[str], str]) -> Callable[[str], str]:
    def check(text: str) -> str:
        value = clean_text(text)
        return normalise(value) if value else ""

    return check


def _title(text: str) -> str:
    value = clean_text(text, max_length=20)
    return value


def _plain(text: str) -> str:
    return clean_text(text)


def _language(text: str) -> str:
    """A language to interpret into, in a few words ("Polish", "British Sign Language");
    "" when no interpreter is needed."""
    return clean_text(text, max_length=LANGUAGE_MAX)


def validate_patient(raw: Mapping[str, str | None], *, today: date) -> PatientDetails:
    """Check every field of a patient form; raise ``ValidationError`` naming each bad one."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}

    def text_of(name: str) -> str:
        value = raw.get(name)
        return "" if value is None else str(value)

    checks: dict[str, Callable[[str], str]] = {
        "title": _title,
        "first_name": _name(required=True),
        "last_name": _name(required=True),
        "preferred_name": _name(required=False),
        "phone": _optional(normalise_phone),
        "email": _optional(normalise_email),
        "address_line1": _plain,
        "address_line2": _plain,
        "town": _plain,
        "postcode": _optional(normalise_postcode),
        "gp_practice": _plain,
        "nhs_number": _optional(normalise_nhs_number),
        "emergency_contact_name": _name(required=False),
        "emergency_contact_phone": _optional(normalise_phone),
        "interpreter_language": _language,
    }
    for name, check in checks.items():
        try:
            values[name] = check(text_of(name))
        except (TextError, ValueError) as exc:
            errors[name] = str(exc)

    dob_text = text_of("date_of_birth").strip()
    if not dob_text:
        errors["date_of_birth"] = "is required"
    else:
        try:
            dob = parse_date(dob_text)
        except DateError as exc:
            errors["date_of_birth"] = str(exc)
        else:
            if dob > today:
                errors["date_of_birth"] = "is in the future"
            elif age_on(dob, today) > OLDEST_AGE:
                errors["date_of_birth"] = f"gives an age over {OLDEST_AGE}; check the year"
            else:
                values["date_of_birth"] = dob

    sex_text = text_of("sex").strip().upper()
    try:
        values["sex"] = Sex(sex_text[:1]) if sex_text else None
        if values["sex"] is None:
            errors["sex"] = "is required (F, M or X)"
    except ValueError:
        errors["sex"] = "must be F (female), M (male) or X (other / not stated)"

    site = text_of("home_site_id").strip()
    values["home_site_id"] = SiteId(site) if site else None

    if errors:
        raise ValidationError(errors)
    return PatientDetails(**values)  # type: ignore[arg-type]


def validate_duplicate_reason(text: str | None) -> str:
    """The written reason for giving a second live record an NHS number another patient
    already has ("" when none was given)."""
    return written_reason("duplicate_reason", text, DUPLICATE_REASON_MIN)
