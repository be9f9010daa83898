"""Medical history: hair treatments, red flags, allergies, medications, labs, other factors.

Everything a clinician would filter or warn on is coded (an enum); free text is only for notes.
Lists hold items that keep their id across saves, so a save changes only what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from clinicdesk.domain.checks import FieldChecker
from clinicdesk.domain.coded import Coded
from clinicdesk.domain.dates import BEFORE_BIRTH
from clinicdesk.domain.text import NOTE_MAX
from clinicdesk.errors import ValidationError


class HairTreatmentDrug(Coded):
    TOPICAL_MINOXIDIL = "topical_minoxidil", "Minoxidil (topical)"
    ORAL_MINOXIDIL = "oral_minoxidil", "Minoxidil (oral)"
    FINASTERIDE = "finasteride"
    DUTASTERIDE = "dutasteride"
    ANTI_ANDROGEN = "anti_androgen", "Spironolactone / anti-androgen"
    PRP = "prp", "PRP"
    LOW_LEVEL_LASER = "low_level_laser", "Low-level laser"
    TRANSPLANT = "transplant", "Hair transplant"
    MICROGRAFTING = "micrografting", "Previous micrografting"
    OTHER = "other"


class TreatmentResponse(Coded):
    NOT_KNOWN = "not_known", "Not known yet"
    NONE = "none", "No response"
    PARTIAL = "partial", "Partial response"
    GOOD = "good", "Good response"
    WORSE = "worse"


class RedFlagCode(Coded):
    ANTICOAGULANT = "anticoagulant", "Anticoagulant / antiplatelet"
    BLEEDING_DISORDER = "bleeding_disorder"
    PREGNANCY = "pregnancy", "Pregnant or breastfeeding"
    SCALP_INFECTION = "scalp_infection", "Active scalp infection or scalp disease"
    SCARRING_ALOPECIA = "scarring_alopecia"
    KELOID = "keloid", "Keloid tendency"
    ANAESTHETIC_ALLERGY = "anaesthetic_allergy", "Allergy to local anaesthetic"
    CHLORHEXIDINE_ALLERGY = "chlorhexidine_allergy", "Allergy to chlorhexidine"
    LATEX_ALLERGY = "latex_allergy", "Allergy to latex"
    UNCONTROLLED_THYROID = "uncontrolled_thyroid", "Uncontrolled thyroid disease"
    INFECTION_STATUS = "infection_status", "Infection status relevant to tissue handling"


class LabTest(Coded):
    FERRITIN = "ferritin"
    TSH = "tsh", "TSH"
    VITAMIN_D = "vitamin_d", "Vitamin D (25-OH)"
    TESTOSTERONE = "testosterone"
    SHBG = "shbg", "SHBG"
    DHEAS = "dheas", "DHEAS"

    @property
    def unit(self) -> str:
        return _LAB_INFO[self][0]

    @property
    def bounds(self) -> tuple[float, float]:
        return _LAB_INFO[self][1]


_LAB_INFO: dict[LabTest, tuple[str, tuple[float, float]]] = {
    LabTest.FERRITIN: ("µg/L", (0.0, 5000.0)),
    LabTest.TSH: ("mU/L", (0.0, 200.0)),
    LabTest.VITAMIN_D: ("nmol/L", (0.0, 1000.0)),
    LabTest.TESTOSTERONE: ("nmol/L", (0.0, 100.0)),
    LabTest.SHBG: ("nmol/L", (0.0, 500.0)),
    LabTest.DHEAS: ("µmol/L", (0.0, 50.0)),
}


@dataclass(frozen=True)
class ReferenceRange:
    low: float
    high: float

    @property
    def text(self) -> str:
        return f"{self.low:g}–{self.high:g}"


# Typical adult reference ranges printed by UK laboratories (CLINICAL.md names the tests, not
# their ranges). They are a reading aid on screen, not a diagnosis: the range printed on the
# patient's own laboratory report wins, so the screen says "usual range", never "normal".
# Keyed by sex where the ranges differ (Sex values "M" and "F"), "" where they do not.
_REFERENCE_RANGES: dict[LabTest, dict[str, ReferenceRange]] = {
    LabTest.FERRITIN: {"M": ReferenceRange(30, 400), "F": ReferenceRange(15, 150)},
    LabTest.TSH: {"": ReferenceRange(0.27, 4.2)},
    LabTest.VITAMIN_D: {"": ReferenceRange(50, 175)},
    LabTest.TESTOSTERONE: {"M": ReferenceRange(8.6, 29), "F": ReferenceRange(0.29, 1.67)},
    LabTest.SHBG: {"M": ReferenceRange(18, 54), "F": ReferenceRange(18, 144)},
    LabTest.DHEAS: {"M": ReferenceRange(2.2, 15.2), "F": ReferenceRange(0.9, 11.7)},
}
_SEX_WORDS = {"M": "men", "F": "women"}


def reference_range(test: LabTest, sex: str | None = None) -> ReferenceRange:
    """The usual range of ``test`` for a patient of ``sex`` ("M", "F"; anything else or None:
    the span of every range given, so a value is flagged only when it is outside all of them)."""
    ranges = _REFERENCE_RANGES[test]
    if "" in ranges:
        return ranges[""]
    if sex in ranges:
        return ranges[sex]
    return ReferenceRange(min(r.low for r in ranges.values()), max(r.high for r in ranges.values()))


def reference_text(test: LabTest, sex: str | None = None) -> str:
    """The usual range as shown beside a result: ``0.27–4.2 mU/L``, ``women 15–150 µg/L``,
    or both sexes' ranges when the patient's sex does not choose one."""
    ranges = _REFERENCE_RANGES[test]
    if "" in ranges:
        return f"{ranges[''].text} {test.unit}"
    if sex in ranges:
        return f"{_SEX_WORDS[sex]} {ranges[sex].text} {test.unit}"
    both = ", ".join(f"{_SEX_WORDS[key]} {r.text}" for key, r in ranges.items())
    return f"{both} {test.unit}"


def lab_flag(test: LabTest, value: float, sex: str | None = None) -> str:
    """``Low (below 30)``, ``High (above 4.2)`` or "" within the usual range (in the test's
    unit): words, so the flag does not depend on colour."""
    usual = reference_range(test, sex)
    if value < usual.low:
        return f"Low (below {usual.low:g})"
    if value > usual.high:
        return f"High (above {usual.high:g})"
    return ""


LAB_MAX_AGE = timedelta(days=183)  # "missing or older than 6 months at treatment"


@dataclass(frozen=True)
class HairTreatment:
    drug: HairTreatmentDrug
    dose: str = ""
    started_on: date | None = None
    stopped_on: date | None = None
    response: TreatmentResponse = TreatmentResponse.NOT_KNOWN
    side_effects: str = ""
    id: str | None = None

    @property
    def current(self) -> bool:
        return self.stopped_on is None


@dataclass(frozen=True)
class RedFlag:
    code: RedFlagCode
    note: str = ""
    id: str | None = None


@dataclass(frozen=True)
class Allergy:
    substance: str
    reaction: str = ""
    id: str | None = None


@dataclass(frozen=True)
class Medication:
    name: str
    dose: str = ""
    id: str | None = None


@dataclass(frozen=True)
class LabResult:
    test: LabTest
    value: float
    taken_on: date
    id: str | None = None

    @property
    def unit(self) -> str:
        return self.test.unit


@dataclass(frozen=True)
class MedicalHistory:
    """Everything of the medical history. ``version`` is 0 until first saved."""

    treatments: tuple[HairTreatment, ...] = ()
    red_flags: tuple[RedFlag, ...] = ()
    allergies: tuple[Allergy, ...] = ()
    medications: tuple[Medication, ...] = ()
    labs: tuple[LabResult, ...] = ()
    pcos: bool = False
    iron_deficiency: bool = False
    telogen_triggers: str = ""
    family_history: str = ""
    age_at_onset: int | None = None
    expectations: str = ""
    body_dysmorphic_concern: bool = False
    notes: str = ""
    version: int = 0

    def has_flag(self, code: RedFlagCode) -> bool:
        return any(flag.code == code for flag in self.red_flags)


@dataclass(frozen=True)
class BannerItem:
    """One warning for the red-flag banner that every role sees."""

    text: str
    severity: str = "warning"  # "danger" for allergies and bleeding risk


def banner_items(history: MedicalHistory) -> list[BannerItem]:
    """The warnings to show above a patient record: allergies, bleeding risk, pregnancy first."""
    items: list[BannerItem] = []
    for allergy in history.allergies:
        text = f"Allergy: {allergy.substance}"
        if allergy.reaction:
            text += f" ({allergy.reaction})"
        items.append(BannerItem(text, "danger"))
    first = (RedFlagCode.ANTICOAGULANT, RedFlagCode.BLEEDING_DISORDER, RedFlagCode.PREGNANCY)
    ordered = sorted(history.red_flags, key=lambda f: (f.code not in first, f.code.label))
    for flag in ordered:
        text = flag.code.label + (f": {flag.note}" if flag.note else "")
        severity = "danger" if flag.code in first[:2] or "allergy" in flag.code.value else "warning"
        items.append(BannerItem(text, severity))
    return items


def lab_warnings(history: MedicalHistory, on: date) -> list[str]:
    """Ferritin and TSH must be present and under 6 months old at treatment (CLINICAL.md)."""
    warnings = []
    for test in (LabTest.FERRITIN, LabTest.TSH):
        dates = [lab.taken_on for lab in history.labs if lab.test == test and lab.taken_on <= on]
        if not dates:
            warnings.append(f"No {test.label} result on record")
        elif on - max(dates) > LAB_MAX_AGE:
            warnings.append(f"{test.label} result is older than 6 months")
    return warnings


def dates_before_birth(history: MedicalHistory, date_of_birth: date) -> dict[str, str]:
    """Treatment and lab dates earlier than ``date_of_birth``, keyed like the form's cells.

    A list's index is the item's position in ``history`` (the form builds the lists in row
    order), so ``treatments[1].started_on`` marks the second treatment row.
    """
    errors: dict[str, str] = {}
    for i, treatment in enumerate(history.treatments):
        for name, value in (
            ("started_on", treatment.started_on),
            ("stopped_on", treatment.stopped_on),
        ):
            if value is not None and value < date_of_birth:
                errors[f"treatments[{i}].{name}"] = BEFORE_BIRTH
    for i, lab in enumerate(history.labs):
        if lab.taken_on < date_of_birth:
            errors[f"labs[{i}].taken_on"] = BEFORE_BIRTH
    return errors


# A blank code is refused in the same words as an unknown one.
_NOT_CHOSEN = "must be chosen from the list"

RawRows = Sequence[Mapping[str, str | None]]
_Row = TypeVar("_Row", Allergy, Medication)


def _named_rows(
    c: FieldChecker,
    list_name: str,
    rows: RawRows,
    columns: tuple[str, str],
    make: Callable[[str, str, str | None], _Row],
) -> list[_Row]:
    """The rows of a list whose items are a required name and a short note (allergies:
    substance and reaction; medications: name and dose), each keeping its id."""
    name_column, note_column = columns
    out = []
    for i, row in enumerate(rows):
        key = f"{list_name}[{i}]"
        name = c.text(f"{key}.{name_column}", row.get(name_column), required=True)
        note = c.text(f"{key}.{note_column}", row.get(note_column))
        if name:
            out.append(make(name, note, row.get("id") or None))
    return out


def validate_medical_history(
    *,
    treatments: RawRows = (),
    red_flags: RawRows = (),
    allergies: RawRows = (),
    medications: RawRows = (),
    labs: RawRows = (),
    other: Mapping[str, str | bool | None] | None = None,
    today: date,
    version: int = 0,
) -> MedicalHistory:
    """Turn the text of a medical-history form into a ``MedicalHistory``.

    Field keys in the errors look like ``treatments[1].started_on`` so a form can mark the cell.
    """
    c = FieldChecker()
    out_treatments = []
    for i, row in enumerate(treatments):
        key = f"treatments[{i}]"
        drug = c.choice(f"{key}.drug", row.get("drug"), HairTreatmentDrug, blank=_NOT_CHOSEN)
        started = c.date(f"{key}.started_on", row.get("started_on"), today=today)
        stopped = c.date(f"{key}.stopped_on", row.get("stopped_on"), today=today)
        if started and stopped and stopped < started:
            c.errors[f"{key}.stopped_on"] = "is before the start date"
        response = c.choice(
            f"{key}.response",
            row.get("response") or TreatmentResponse.NOT_KNOWN,
            TreatmentResponse,
            blank=_NOT_CHOSEN,
        )
        dose = c.text(f"{key}.dose", row.get("dose"))
        side = c.text(f"{key}.side_effects", row.get("side_effects"))
        if drug and response:
            out_treatments.append(
                HairTreatment(drug, dose, started, stopped, response, side, row.get("id") or None)
            )
    out_flags = []
    seen_flags: set[RedFlagCode] = set()
    for i, row in enumerate(red_flags):
        key = f"red_flags[{i}]"
        code = c.choice(f"{key}.code", row.get("code"), RedFlagCode, blank=_NOT_CHOSEN)
        note = c.text(f"{key}.note", row.get("note"))
        if code in seen_flags:
            c.errors[f"{key}.code"] = "is listed twice"
        elif code:
            seen_flags.add(code)
            out_flags.append(RedFlag(code, note, row.get("id") or None))
    out_allergies = _named_rows(c, "allergies", allergies, ("substance", "reaction"), Allergy)
    out_medications = _named_rows(c, "medications", medications, ("name", "dose"), Medication)
    out_labs = []
    for i, row in enumerate(labs):
        key = f"labs[{i}]"
        test = c.choice(f"{key}.test", row.get("test"), LabTest, blank=_NOT_CHOSEN)
        taken = c.date(f"{key}.taken_on", row.get("taken_on"), required=True, today=today)
        bounds, unit = (test.bounds, test.unit) if test else (None, "")
        value = c.number(f"{key}.value", row.get("value"), bounds, unit)
        if test and taken and value is not None:
            out_labs.append(LabResult(test, value, taken, row.get("id") or None))

    other = other or {}

    def flag(name: str) -> bool:
        value = other.get(name)
        return bool(value) and value not in ("0", "false", "False")

    onset: int | None = None
    onset_text = str(other.get("age_at_onset") or "").strip()
    if onset_text:
        if onset_text.isdigit() and 0 < int(onset_text) <= 120:
            onset = int(onset_text)
        else:
            c.errors["age_at_onset"] = "must be an age in years, 1 to 120"

    def long_text(name: str, multiline: bool = True) -> str:
        value = other.get(name)
        return c.text(
            name, value if isinstance(value, str) else "", max_length=NOTE_MAX, multiline=multiline
        )

    history = MedicalHistory(
        treatments=tuple(out_treatments),
        red_flags=tuple(out_flags),
        allergies=tuple(out_allergies),
        medications=tuple(out_medications),
        labs=tuple(out_labs),
        pcos=flag("pcos"),
        iron_deficiency=flag("iron_deficiency"),
        telogen_triggers=long_text("telogen_triggers"),
        family_history=long_text("family_history"),
        age_at_onset=onset,
        expectations=long_text("expectations"),
        body_dysmorphic_concern=flag("body_dysmorphic_concern"),
        notes=long_text("notes"),
        version=version,
    )
    if c.errors:
        raise ValidationError(c.errors)
    return history
