"""The clinical course of care: consultations, micrograft treatments and adverse events.

Field names, codes and bounds come from CLINICAL.md; the follow-ups a treatment schedules are
``domain.follow_ups`` (their names can still be imported from here). As elsewhere in
the domain, a form hands a ``validate_*`` function the raw text of each field (coded lists may
also come as a list of codes) and gets back a details object in stored form, or a
``ValidationError`` with one message per offending field. Checks that need the database (does
the site exist, is this user a clinician, what is the patient's date of birth) are the
service's, which adds its messages under the same field keys.

``eligibility_blockers`` is the check run before a treatment is saved: each reason it returns
blocks the save unless the clinician overrides it with a written reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

from clinicdesk.domain.checks import FieldChecker, written_reason
from clinicdesk.domain.classification import HairLossScale
from clinicdesk.domain.coded import Coded
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.follow_ups import FollowUp as FollowUp
from clinicdesk.domain.follow_ups import FollowUpKind as FollowUpKind
from clinicdesk.domain.follow_ups import FollowUpStatus as FollowUpStatus
from clinicdesk.domain.follow_ups import parse_appointment as parse_appointment
from clinicdesk.domain.ids import PatientId, SiteId, UserId
from clinicdesk.domain.medical import MedicalHistory, lab_warnings
from clinicdesk.domain.record_info import RecordInfo as RecordInfo
from clinicdesk.domain.text import NOTE_MAX, SHORT_TEXT_MAX, TextError, clean_text
from clinicdesk.errors import UserError, ValidationError

# The names imported ``as`` themselves live in ``domain.follow_ups`` and ``domain.record_info``;
# the user interface and the command line still import them from here.

E = TypeVar("E", bound=StrEnum)

LOT_MAX = 60
OVERRIDE_REASON_MIN = 10

# A form field's raw value: text, or for a coded list the list of codes (or one comma-separated
# text, as the command line gives it).
RawValue = str | Sequence[str] | bool | None
Raw = Mapping[str, RawValue]


# -- coded values --------------------------------------------------------------------------------


class MaterialRisk(Coded):
    """The risks on the consent form (CLINICAL.md "Consent"), as ticked in the discussion."""

    PAIN = "pain"
    BLEEDING = "bleeding"
    BRUISING = "bruising"
    INFECTION = "infection"
    DONOR_SCARRING = "donor_scarring", "Donor-site scarring / keloid"
    SWELLING = "swelling"
    HEADACHE = "headache"
    ANAESTHETIC_REACTION = "anaesthetic_reaction", "Reaction to the anaesthetic"
    SHEDDING = "shedding", "Temporary shedding"
    FAILURE_OF_AIM = "failure_of_aim", "Failure to achieve the desired aim"


class Alternative(Coded):
    """The reasonable alternatives on the consent form (CLINICAL.md "Consent")."""

    MINOXIDIL = "minoxidil"
    FINASTERIDE_DUTASTERIDE = "finasteride_dutasteride", "Finasteride / dutasteride"
    ANTI_ANDROGENS = "anti_androgens", "Anti-androgens"
    PRP = "prp", "PRP"
    LASER = "laser", "Low-level laser"
    TRANSPLANT = "transplant", "Hair transplant"
    CAMOUFLAGE = "camouflage"
    NO_TREATMENT = "no_treatment"


class TreatedZone(Coded):
    FRONTAL = "frontal"
    MID_SCALP = "mid_scalp", "Mid-scalp"
    VERTEX = "vertex"
    TEMPORAL_LEFT = "temporal_left", "Temporal (left)"
    TEMPORAL_RIGHT = "temporal_right", "Temporal (right)"


class DoseUnit(Coded):
    ML = "mL", "mL"
    MG = "mg", "mg"


class AdverseEventType(Coded):
    DONOR_SITE_INFECTION = "donor_site_infection", "Donor-site infection"
    SCARRING_KELOID = "scarring_keloid", "Scarring / keloid"
    SHEDDING = "shedding"
    HEADACHE = "headache"
    ANAESTHETIC_REACTION = "anaesthetic_reaction"
    OTHER = "other"


class Severity(Coded):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class AdverseEventOutcome(Coded):
    ONGOING = "ongoing"
    RESOLVED = "resolved"
    RESOLVED_WITH_SEQUELAE = "resolved_with_sequelae"


# -- records --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsultationDetails:
    consulted_on: date
    site_id: SiteId
    clinician_id: UserId
    presenting_complaint: str = ""
    history: str = ""
    examination: str = ""
    classification_scale: HairLossScale | None = None
    classification_grade: str = ""
    plan: str = ""
    risks_discussed: tuple[MaterialRisk, ...] = ()
    alternatives_discussed: tuple[Alternative, ...] = ()
    patient_questions: str = ""
    patient_priorities: str = ""
    discussed_on: date | None = None
    decided_on: date | None = None

    @property
    def classification_label(self) -> str:
        if self.classification_scale is None:
            return ""
        return f"{self.classification_scale.label} {self.classification_grade}"


@dataclass(frozen=True)
class TreatmentDetails:
    treated_on: date
    site_id: SiteId
    clinician_id: UserId
    consent_taken_by_id: UserId
    punches: int
    punch_diameter_mm: float
    donor_site: str
    kit_name: str
    kit_lot: str
    anaesthetic_name: str
    anaesthetic_dose: float
    anaesthetic_dose_unit: DoseUnit
    anaesthetic_lot: str
    suspension_volume_ml: float
    treated_zones: tuple[TreatedZone, ...]
    injection_points: int
    duration_minutes: int
    haemostasis: str = ""
    aftercare_sheet_given: bool = False
    immediate_complications: str = ""


@dataclass(frozen=True)
class AdverseEventDetails:
    treatment_id: str
    onset_on: date
    event_type: AdverseEventType
    severity: Severity
    outcome: AdverseEventOutcome
    description: str = ""
    action_taken: str = ""
    outcome_on: date | None = None


@dataclass(frozen=True)
class Consultation:
    id: str
    patient_id: PatientId
    details: ConsultationDetails
    info: RecordInfo

    @property
    def version(self) -> int:
        return self.info.version


@dataclass(frozen=True)
class TreatmentOverride:
    """An eligibility override: what blocked the save and the clinician's written reason."""

    blocking_reasons: tuple[str, ...]
    reason: str
    by: UserId
    at: str


@dataclass(frozen=True)
class Treatment:
    id: str
    patient_id: PatientId
    details: TreatmentDetails
    info: RecordInfo
    overrides: tuple[TreatmentOverride, ...] = ()

    @property
    def version(self) -> int:
        return self.info.version


@dataclass(frozen=True)
class AdverseEvent:
    id: str
    patient_id: PatientId
    details: AdverseEventDetails
    info: RecordInfo

    @property
    def version(self) -> int:
        return self.info.version


# -- eligibility ----------------------------------------------------------------------------------


def eligibility_blockers(
    history: MedicalHistory,
    treated_on: date,
    *,
    consent_blockers: Sequence[str] = (),
) -> list[str]:
    """Why a treatment on ``treated_on`` should not go ahead, one plain sentence per reason.

    Open red flags and missing or stale ferritin/TSH (CLINICAL.md) block. ``consent_blockers``
    is the hook for the documents issue: it passes its reasons (no signed consent, cooling-off
    period not over) and they block in the same way. An empty list means eligible.
    """
    reasons = [
        f"Red flag: {flag.code.label}" + (f" ({flag.note})" if flag.note else "") + "."
        for flag in history.red_flags
    ]
    reasons.extend(f"{warning}." for warning in lab_warnings(history, treated_on))
    reasons.extend(consent_blockers)
    return reasons


class EligibilityBlocked(UserError):
    """The treatment was not saved: ``reasons`` block it unless overridden with a reason."""

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__(
            "This treatment cannot be saved yet: "
            + " ".join(self.reasons)
            + f" To go ahead, give a reason for the override (at least {OVERRIDE_REASON_MIN}"
            " characters)."
        )


def validate_override_reason(text: str | None) -> str:
    """The written reason for overriding the eligibility check ("" when none was given)."""
    return written_reason("override_reason", text, OVERRIDE_REASON_MIN)


# -- validation -----------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")


def clean_lot(text: str) -> str:
    """A lot number as stored and matched: trimmed, inner whitespace runs made one space."""
    return _WHITESPACE.sub(" ", clean_text(text, max_length=LOT_MAX))


def lot_key(text: str) -> str:
    """What two lot numbers are compared by: the cleaned text, case-insensitively."""
    return clean_lot(text).casefold()


@dataclass
class _Checker:
    """Collects per-field messages while converting raw form values."""

    raw: Raw
    today: date
    fields: FieldChecker = field(default_factory=FieldChecker)

    @property
    def errors(self) -> dict[str, str]:
        return self.fields.errors

    def _text_of(self, key: str) -> str:
        value = self.raw.get(key)
        if value is None or isinstance(value, bool):
            return ""
        if isinstance(value, str):
            return value
        return ",".join(value)

    def text(self, key: str, *, required: bool = False, note: bool = False) -> str:
        return self.fields.text(
            key,
            self._text_of(key),
            max_length=NOTE_MAX if note else SHORT_TEXT_MAX,
            multiline=note,
            required=required,
        )

    def lot(self, key: str) -> str:
        try:
            value = clean_lot(self._text_of(key))
        except TextError as exc:
            self.errors[key] = str(exc)
            return ""
        if not value:
            self.errors[key] = "is required (copy it from the label)"
        return value

    def ident(self, key: str) -> str:
        value = self._text_of(key).strip()
        if not value:
            self.errors[key] = "is required"
        return value

    def date(self, key: str, *, required: bool = False, past: bool = True) -> date | None:
        today = self.today if past else None
        return self.fields.date(key, self._text_of(key), required=required, today=today)

    def number(self, key: str, low: float, high: float, unit: str = "") -> float | None:
        text = self._text_of(key).replace(",", ".")
        return self.fields.number(key, text, (low, high), unit)

    def whole(self, key: str, low: int, high: int, unit: str = "") -> int | None:
        text = self._text_of(key).strip()
        if not text:
            self.errors[key] = "is required"
            return None
        if not re.fullmatch(r"\d+", text):
            self.errors[key] = "must be a whole number"
            return None
        value = int(text)
        if not low <= value <= high:
            suffix = f" {unit}" if unit else ""
            self.errors[key] = f"must be between {low} and {high}{suffix}"
            return None
        return value

    def choice(self, key: str, enum: type[E], default: E | None = None) -> E | None:
        return self.fields.choice(key, self._text_of(key), enum, default=default)

    def codes(self, key: str, enum: type[E]) -> tuple[E, ...]:
        value = self.raw.get(key)
        if value is None or isinstance(value, bool):
            items: list[str] = []
        elif isinstance(value, str):
            items = value.split(",")
        else:
            items = list(value)
        out: list[E] = []
        for item in (i.strip() for i in items):
            if not item:
                continue
            try:
                code = enum(item)
            except ValueError:
                self.errors[key] = f"{item!r} is not one of the listed choices"
                continue
            if code not in out:
                out.append(code)
        # Keep the list's own order, so the stored value does not depend on click order.
        order = list(enum)
        return tuple(sorted(out, key=order.index))

    def flag(self, key: str) -> bool:
        value = self.raw.get(key)
        if isinstance(value, bool):
            return value
        return self._text_of(key).strip().lower() in ("1", "true", "yes", "y", "on")


def validate_consultation(raw: Raw, *, today: date) -> ConsultationDetails:
    c = _Checker(raw, today)
    consulted_on = c.date("consulted_on", required=True)
    site_id = c.ident("site_id")
    clinician_id = c.ident("clinician_id")
    scale: HairLossScale | None = None
    grade = c.text("classification_grade")
    if c._text_of("classification_scale").strip():
        scale = c.choice("classification_scale", HairLossScale)
        if scale is not None and grade not in scale.grades:
            c.errors["classification_grade"] = f"is not a {scale.label} grade"
    elif grade:
        c.errors["classification_scale"] = "is required with a grade"
    presenting_complaint = c.text("presenting_complaint", required=True, note=True)
    risks = c.codes("risks_discussed", MaterialRisk)
    alternatives = c.codes("alternatives_discussed", Alternative)
    questions = c.text("patient_questions", note=True)
    priorities = c.text("patient_priorities", note=True)
    # The discussion date starts the cooling-off period, so it is never assumed: a consent
    # discussion is recorded with its date, what was discussed and (Montgomery) the risks and
    # alternatives; no date means no consent discussion and no cooling-off period.
    discussed_on = c.date("discussed_on")
    decided_on = c.date("decided_on")
    discussion = bool(risks or alternatives or questions or priorities or decided_on)
    if discussed_on is None and "discussed_on" not in c.errors and discussion:
        c.errors["discussed_on"] = "is required when a consent discussion is recorded"
    if discussed_on is not None:
        if not risks and "risks_discussed" not in c.errors:
            c.errors["risks_discussed"] = "needs the material risks discussed (at least one)"
        if not alternatives and "alternatives_discussed" not in c.errors:
            c.errors["alternatives_discussed"] = (
                "needs the alternatives discussed (at least one; no treatment is one)"
            )
    if discussed_on and decided_on and decided_on < discussed_on:
        c.errors["decided_on"] = "is before the date of the consent discussion"
    details = ConsultationDetails(
        consulted_on=consulted_on or today,
        site_id=SiteId(site_id),
        clinician_id=UserId(clinician_id),
        presenting_complaint=presenting_complaint,
        history=c.text("history", note=True),
        examination=c.text("examination", note=True),
        classification_scale=scale,
        classification_grade=grade if scale else "",
        plan=c.text("plan", note=True),
        risks_discussed=risks,
        alternatives_discussed=alternatives,
        patient_questions=questions,
        patient_priorities=priorities,
        discussed_on=discussed_on,
        decided_on=decided_on,
    )
    if c.errors:
        raise ValidationError(c.errors)
    return details


# Bounds of a treatment record's numbers (CLINICAL.md: "typically 2-5 punches of about 2.5 mm").
PUNCHES = (1, 10)
PUNCH_DIAMETER_MM = (1.0, 4.0)
ANAESTHETIC_DOSE = {DoseUnit.ML: (0.1, 50.0), DoseUnit.MG: (1.0, 500.0)}
SUSPENSION_VOLUME_ML = (0.1, 20.0)
INJECTION_POINTS = (1, 500)
DURATION_MINUTES = (1, 480)


def validate_treatment(raw: Raw, *, today: date) -> TreatmentDetails:
    c = _Checker(raw, today)
    treated_on = c.date("treated_on", required=True)
    site_id = c.ident("site_id")
    clinician_id = c.ident("clinician_id")
    consent_by = c.ident("consent_taken_by_id")
    punches = c.whole("punches", *PUNCHES)
    diameter = c.number("punch_diameter_mm", *PUNCH_DIAMETER_MM, unit="mm")
    donor_site = c.text("donor_site", required=True)
    kit_name = c.text("kit_name", required=True)
    kit_lot = c.lot("kit_lot")
    anaesthetic_name = c.text("anaesthetic_name", required=True)
    unit = c.choice("anaesthetic_dose_unit", DoseUnit, DoseUnit.ML)
    dose = c.number("anaesthetic_dose", *ANAESTHETIC_DOSE[unit or DoseUnit.ML], unit=unit or "")
    anaesthetic_lot = c.lot("anaesthetic_lot")
    volume = c.number("suspension_volume_ml", *SUSPENSION_VOLUME_ML, unit="mL")
    zones = c.codes("treated_zones", TreatedZone)
    if not zones and "treated_zones" not in c.errors:
        c.errors["treated_zones"] = "needs at least one zone"
    points = c.whole("injection_points", *INJECTION_POINTS)
    duration = c.whole("duration_minutes", *DURATION_MINUTES, unit="minutes")
    haemostasis = c.text("haemostasis", note=True)
    aftercare = c.flag("aftercare_sheet_given")
    complications = c.text("immediate_complications", note=True)
    if c.errors:
        raise ValidationError(c.errors)
    assert treated_on and punches and diameter and unit and dose and volume and points
    assert duration
    return TreatmentDetails(
        treated_on=treated_on,
        site_id=SiteId(site_id),
        clinician_id=UserId(clinician_id),
        consent_taken_by_id=UserId(consent_by),
        punches=punches,
        punch_diameter_mm=diameter,
        donor_site=donor_site,
        kit_name=kit_name,
        kit_lot=kit_lot,
        anaesthetic_name=anaesthetic_name,
        anaesthetic_dose=dose,
        anaesthetic_dose_unit=unit,
        anaesthetic_lot=anaesthetic_lot,
        suspension_volume_ml=volume,
        treated_zones=zones,
        injection_points=points,
        duration_minutes=duration,
        haemostasis=haemostasis,
        aftercare_sheet_given=aftercare,
        immediate_complications=complications,
    )


def validate_adverse_event(raw: Raw, *, today: date) -> AdverseEventDetails:
    c = _Checker(raw, today)
    treatment_id = c.ident("treatment_id")
    onset_on = c.date("onset_on", required=True)
    event_type = c.choice("event_type", AdverseEventType)
    severity = c.choice("severity", Severity)
    outcome = c.choice("outcome", AdverseEventOutcome, AdverseEventOutcome.ONGOING)
    description = c.text("description", note=True)
    if event_type is AdverseEventType.OTHER and not description:
        c.errors["description"] = "is required when the type is Other"
    action_taken = c.text("action_taken", note=True)
    outcome_on = c.date("outcome_on")
    if outcome_on and onset_on and outcome_on < onset_on:
        c.errors["outcome_on"] = "is before the onset"
    if outcome is AdverseEventOutcome.ONGOING and outcome_on:
        c.errors["outcome_on"] = "is only for a resolved event"
    if c.errors:
        raise ValidationError(c.errors)
    assert onset_on and event_type and severity and outcome
    return AdverseEventDetails(
        treatment_id=treatment_id,
        onset_on=onset_on,
        event_type=event_type,
        severity=severity,
        outcome=outcome,
        description=description,
        action_taken=action_taken,
        outcome_on=outcome_on,
    )


def clean_notes(text: str | None, key: str = "notes") -> str:
    try:
        return clean_text(text or "", max_length=NOTE_MAX, multiline=True)
    except TextError as exc:
        raise ValidationError({key: str(exc)}) from None


# -- a stored record as its form shows it ---------------------------------------------------------
# What each tab's form is filled with when a record is opened (dates the UK way, coded lists as
# their codes), and what ``validate_*`` takes back: the Conflicts screen fills the same form.


def _day_text(value: date | None) -> str:
    return format_uk(value) if value else ""


def _number_text(value: float) -> str:
    return f"{value:g}"


def consultation_form(details: ConsultationDetails) -> dict[str, RawValue]:
    return {
        "consulted_on": _day_text(details.consulted_on),
        "site_id": details.site_id,
        "clinician_id": details.clinician_id,
        "presenting_complaint": details.presenting_complaint,
        "history": details.history,
        "examination": details.examination,
        "classification_scale": details.classification_scale or "",
        "classification_grade": details.classification_grade,
        "plan": details.plan,
        "risks_discussed": [r.value for r in details.risks_discussed],
        "alternatives_discussed": [a.value for a in details.alternatives_discussed],
        "patient_questions": details.patient_questions,
        "patient_priorities": details.patient_priorities,
        "discussed_on": _day_text(details.discussed_on),
        "decided_on": _day_text(details.decided_on),
    }


def treatment_form(details: TreatmentDetails) -> dict[str, RawValue]:
    return {
        "treated_on": _day_text(details.treated_on),
        "site_id": details.site_id,
        "clinician_id": details.clinician_id,
        "consent_taken_by_id": details.consent_taken_by_id,
        "punches": str(details.punches),
        "punch_diameter_mm": _number_text(details.punch_diameter_mm),
        "donor_site": details.donor_site,
        "kit_name": details.kit_name,
        "kit_lot": details.kit_lot,
        "anaesthetic_name": details.anaesthetic_name,
        "anaesthetic_dose": _number_text(details.anaesthetic_dose),
        "anaesthetic_dose_unit": details.anaesthetic_dose_unit.value,
        "anaesthetic_lot": details.anaesthetic_lot,
        "suspension_volume_ml": _number_text(details.suspension_volume_ml),
        "treated_zones": [z.value for z in details.treated_zones],
        "injection_points": str(details.injection_points),
        "duration_minutes": str(details.duration_minutes),
        "haemostasis": details.haemostasis,
        "aftercare_sheet_given": details.aftercare_sheet_given,
        "immediate_complications": details.immediate_complications,
    }


def adverse_event_form(details: AdverseEventDetails) -> dict[str, RawValue]:
    return {
        "treatment_id": details.treatment_id,
        "onset_on": _day_text(details.onset_on),
        "event_type": details.event_type.value,
        "severity": details.severity.value,
        "outcome": details.outcome.value,
        "description": details.description,
        "action_taken": details.action_taken,
        "outcome_on": _day_text(details.outcome_on),
    }
