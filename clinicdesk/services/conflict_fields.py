"""The fields of a parked sync conflict as the record's own tab shows them.

A parked conflict holds each side's value as the database stores it (ISO dates, codes, JSON
lists of codes, 0/1, user and site ids). The Conflicts screen shows and takes them as the
record's tab does: dates the UK way, coded values by their labels, clinicians and sites by
name, a tick box as Yes or No. ``Field`` turns a stored value into the form's value (what
``validate_*`` takes), that into the text shown, and text typed back into the form's value.

``RECORD_FIELDS`` lists, for each table whose records a service can change field by field,
the columns the Conflicts screen can settle (the columns a conflict may name, keyed by the
form's key where it differs). ``TABS`` says where any record is changed by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from clinicdesk.domain.assessments import MEASURES
from clinicdesk.domain.classification import HairLossScale
from clinicdesk.domain.clinical import (
    AdverseEventOutcome,
    AdverseEventType,
    Alternative,
    DoseUnit,
    MaterialRisk,
    RawValue,
    Severity,
    TreatedZone,
)
from clinicdesk.domain.coded import Coded
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.patient import PATIENT_FIELDS, Sex


class Kind(Enum):
    TEXT = "text"
    DATE = "date"
    NUMBER = "number"
    CODE = "code"  # one of ``enum``
    CODES = "codes"  # a list of ``enum`` (stored as JSON)
    FLAG = "flag"  # a tick box
    CLINICIAN = "clinician"  # a user id
    SITE = "site"  # a site id
    TREATMENT = "treatment"  # one of the patient's treatments


@dataclass(frozen=True)
class Names:
    """What ids are shown as: clinicians' and sites' names, treatments by their date."""

    clinicians: Mapping[str, str]  # id -> name (every clinician, active or not)
    active_clinicians: Sequence[str]  # ids, in the order a form lists them
    sites: Mapping[str, str]
    treatments: Mapping[str, str]  # id -> "Treatment of 10/03/2025"


def _match(text: str, choices: Mapping[str, str]) -> str | None:
    """The id (or code) whose name (or label) or id is ``text``, case aside."""
    wanted = text.strip().casefold()
    for key, name in choices.items():
        if wanted in (name.casefold(), key.casefold()):
            return key
    return None


@dataclass(frozen=True)
class Field:
    column: str  # in the table
    label: str  # as the record's tab labels it
    kind: Kind = Kind.TEXT
    key: str = ""  # the form's key, when not the column's name
    enum: type[Coded] | None = None

    @property
    def form_key(self) -> str:
        return self.key or self.column

    def _labels(self) -> dict[str, str]:
        assert self.enum is not None
        return dict(self.enum.choices())

    def _ids(self, names: Names) -> Mapping[str, str]:
        if self.kind is Kind.CLINICIAN:
            return names.clinicians
        if self.kind is Kind.SITE:
            return names.sites
        return names.treatments

    def form_value(self, stored: Any) -> RawValue:
        """The stored value as the record's form holds it."""
        if stored is None:
            return False if self.kind is Kind.FLAG else [] if self.kind is Kind.CODES else ""
        if self.kind is Kind.DATE:
            return format_uk(date.fromisoformat(str(stored)[:10]))
        if self.kind is Kind.NUMBER:
            return f"{float(stored):g}"
        if self.kind is Kind.CODES:
            codes = json.loads(stored) if isinstance(stored, str) else stored
            return [str(c) for c in codes]
        if self.kind is Kind.FLAG:
            return bool(stored) and str(stored).casefold() not in ("0", "false", "")
        return str(stored)

    def shown(self, value: RawValue, names: Names) -> str:
        """A form value as the record's tab shows it."""
        if self.kind is Kind.FLAG:
            return "Yes" if value is True else "No"
        if self.kind is Kind.CODES:
            labels = self._labels()
            items = (
                [value]
                if isinstance(value, str)
                else []
                if isinstance(value, bool)
                else list(value or [])
            )
            return ", ".join(labels.get(str(v), str(v)) for v in items if str(v))
        text = "" if value is None or isinstance(value, bool) else str(value)
        if self.kind is Kind.CODE:
            return self._labels().get(text, text)
        if self.kind in (Kind.CLINICIAN, Kind.SITE, Kind.TREATMENT):
            return self._ids(names).get(text, text)
        return text

    def typed(self, text: str, names: Names) -> RawValue:
        """Text shown or typed on the Conflicts screen, back as the form's value. Text that
        names nothing on the list is passed on as it is, for the record's own checks to name."""
        if self.kind is Kind.FLAG:
            answer = text.strip().casefold()
            if answer in ("yes", "y", "true", "1"):
                return True
            if answer in ("no", "n", "false", "0", ""):
                return False
            return text  # refused below (``check_flag``)
        if self.kind is Kind.CODES:
            labels = self._labels()
            parts = [p for p in (p.strip() for p in text.replace(";", ",").split(",")) if p]
            return [_match(p, labels) or p for p in parts]
        if self.kind is Kind.CODE:
            return _match(text, self._labels()) or text
        if self.kind in (Kind.CLINICIAN, Kind.SITE, Kind.TREATMENT):
            return _match(text, self._ids(names)) or text
        return text

    def options(self, names: Names) -> list[str]:
        """Further values to pick from (the form's list), beyond the two sides'."""
        if self.kind is Kind.FLAG:
            return ["Yes", "No"]
        if self.kind is Kind.CODE:
            return list(self._labels().values())
        if self.kind is Kind.CLINICIAN:
            return [names.clinicians[i] for i in names.active_clinicians]
        if self.kind in (Kind.SITE, Kind.TREATMENT):
            return list(self._ids(names).values())
        return []


def _fields(*fields: Field) -> dict[str, Field]:
    return {f.column: f for f in fields}


T, D, N = Kind.TEXT, Kind.DATE, Kind.NUMBER

# As the Demographics tab labels them.
PATIENT_LABELS = {
    "title": "Title",
    "first_name": "First name",
    "last_name": "Last name",
    "preferred_name": "Preferred name",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "nhs_number": "NHS number",
    "phone": "Phone",
    "email": "Email",
    "address_line1": "Address",
    "address_line2": "Address (line 2)",
    "town": "Town",
    "postcode": "Postcode",
    "gp_practice": "GP practice",
    "emergency_contact_name": "Emergency contact",
    "emergency_contact_phone": "Emergency phone",
    "interpreter_language": "Interpreter (language)",
    "home_site_id": "Home site",
}
_PATIENT_KINDS = {"date_of_birth": D, "home_site_id": Kind.SITE, "sex": Kind.CODE}
PATIENT = _fields(
    *(
        Field(
            name,
            PATIENT_LABELS.get(name, name.replace("_", " ").capitalize()),
            _PATIENT_KINDS.get(name, T),
            enum=Sex if name == "sex" else None,
        )
        for name in PATIENT_FIELDS
    )
)

CONSULTATION = _fields(
    Field("consulted_on", "Date", D),
    Field("consultation_site_id", "Site", Kind.SITE, key="site_id"),
    Field("clinician_id", "Clinician", Kind.CLINICIAN),
    Field("presenting_complaint", "Presenting complaint"),
    Field("history", "History"),
    Field("examination", "Examination"),
    Field("classification_scale", "Classification", Kind.CODE, enum=HairLossScale),
    Field("classification_grade", "Grade"),
    Field("plan", "Plan"),
    Field("risks_discussed", "Material risks discussed", Kind.CODES, enum=MaterialRisk),
    Field("alternatives_discussed", "Alternatives discussed", Kind.CODES, enum=Alternative),
    Field("patient_questions", "Patient's questions"),
    Field("patient_priorities", "Patient's priorities"),
    Field("discussed_on", "Date of discussion", D),
    Field("decided_on", "Date of decision", D),
)

TREATMENT = _fields(
    Field("treated_on", "Date", D),
    Field("treatment_site_id", "Site", Kind.SITE, key="site_id"),
    Field("clinician_id", "Treating clinician", Kind.CLINICIAN),
    Field("consent_taken_by_id", "Consent taken by", Kind.CLINICIAN),
    Field("punches", "Number of punches"),
    Field("punch_diameter_mm", "Punch diameter (mm)", N),
    Field("donor_site", "Donor site"),
    Field("kit_name", "Device kit"),
    Field("kit_lot", "Kit lot number"),
    Field("anaesthetic_name", "Anaesthetic"),
    Field("anaesthetic_dose", "Dose", N),
    Field("anaesthetic_dose_unit", "Dose unit", Kind.CODE, enum=DoseUnit),
    Field("anaesthetic_lot", "Anaesthetic lot number"),
    Field("suspension_volume_ml", "Suspension volume (mL)", N),
    Field("treated_zones", "Treated zones", Kind.CODES, enum=TreatedZone),
    Field("injection_points", "Injection points"),
    Field("duration_minutes", "Duration (minutes)"),
    Field("haemostasis", "Haemostasis / closure"),
    Field("aftercare_sheet_given", "Aftercare sheet given", Kind.FLAG),
    Field("immediate_complications", "Immediate complications"),
)

ADVERSE_EVENT = _fields(
    Field("treatment_id", "After the treatment of", Kind.TREATMENT),
    Field("onset_on", "Onset", D),
    Field("event_type", "Type", Kind.CODE, enum=AdverseEventType),
    Field("severity", "Severity", Kind.CODE, enum=Severity),
    Field("description", "Description"),
    Field("action_taken", "Action taken"),
    Field("outcome", "Outcome", Kind.CODE, enum=AdverseEventOutcome),
    Field("outcome_on", "Resolved on", D),
)

ASSESSMENT = _fields(
    Field("visit_date", "Visit date", D),
    Field("pull_test_pulled", "Pull test (hairs pulled)"),
    Field("pull_test_of", "Pull test (hairs held)"),
    Field("satisfaction", "Satisfaction (0-10)"),
    Field("global_photo_score", "Global photographic score"),
    Field("photo_score_blinded", "Scored blinded", Kind.FLAG),
    Field("notes", "Notes"),
)

ASSESSMENT_REGION = _fields(
    Field("measurement_site", "Measurement site"),
    *(Field(m.name, m.label, N) for m in MEASURES),
)

RECORD_FIELDS: dict[str, dict[str, Field]] = {
    "patients": PATIENT,
    "consultations": CONSULTATION,
    "treatments": TREATMENT,
    "adverse_events": ADVERSE_EVENT,
    "assessments": ASSESSMENT,
    "assessment_regions": ASSESSMENT_REGION,
}

# What each kind of record is called on the Conflicts screen, and the tab it is changed in.
NOUNS = {
    "patients": "Patient details",
    "consultations": "Consultation",
    "treatments": "Treatment",
    "adverse_events": "Adverse event",
    "follow_ups": "Follow-up",
    "assessments": "Assessment",
    "assessment_regions": "Assessment (region)",
    "medical_histories": "Medical history",
    "allergies": "Allergy",
    "medications": "Medication",
    "red_flags": "Red flag",
    "hair_treatments": "Hair-loss treatment",
    "lab_results": "Lab result",
    "classifications": "Classification",
    "photos": "Photo",
    "photo_grades": "Photo grade",
    "consents": "Consent",
    "photo_consent_scopes": "Photo consent",
    "documents": "Document",
    "erasure_requests": "Erasure request",
    "sites": "Site",
    "users": "User",
    "settings": "Clinic setting",
}

TABS = {
    "patients": "the record's Demographics tab",
    "consultations": "the record's Timeline tab",
    "treatments": "the record's Timeline tab",
    "adverse_events": "the record's Timeline tab",
    "follow_ups": "the record's Timeline tab (or Clinic > Follow-ups due)",
    "assessments": "the record's Measurements tab",
    "assessment_regions": "the record's Measurements tab",
    "medical_histories": "the record's Medical history tab",
    "allergies": "the record's Medical history tab",
    "medications": "the record's Medical history tab",
    "red_flags": "the record's Medical history tab",
    "hair_treatments": "the record's Medical history tab",
    "lab_results": "the record's Medical history tab",
    "classifications": "the record's Classification tab",
    "photos": "the record's Photos tab",
    "photo_grades": "Clinic > Grade photos (blinded)",
    "consents": "the record's Documents tab",
    "photo_consent_scopes": "the record's Documents tab",
    "documents": "the record's Documents tab",
    "erasure_requests": "Admin > Erasure request for this patient",
    "sites": "Admin > Clinic details",
    "users": "Admin > Users",
    "settings": "the Admin menu",
}


def noun(table: str) -> str:
    return NOUNS.get(table, table.replace("_", " ").capitalize())


def tab(table: str) -> str:
    return TABS.get(table, "the screen where it is made")
