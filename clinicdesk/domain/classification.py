"""Hair-loss classification: a coded scale and grade, never free text (CLINICAL.md).

A scale is a descriptor; measurements are the outcome. A patient may have several entries over
time and, for women, more than one scale (Ludwig and Sinclair, optionally Savin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinicdesk.domain.coded import Coded
from clinicdesk.domain.dates import DateError, parse_date
from clinicdesk.domain.text import SHORT_TEXT_MAX, TextError, clean_text
from clinicdesk.errors import ValidationError


class HairLossScale(Coded):
    NORWOOD_HAMILTON = "norwood_hamilton", "Norwood-Hamilton"
    LUDWIG = "ludwig"
    SINCLAIR = "sinclair"
    SAVIN = "savin"

    @property
    def grades(self) -> tuple[str, ...]:
        return GRADES[self]


GRADES: dict[HairLossScale, tuple[str, ...]] = {
    HairLossScale.NORWOOD_HAMILTON: (
        "I",
        "II",
        "IIa",
        "III",
        "IIIa",
        "III vertex",
        "IV",
        "IVa",
        "V",
        "Va",
        "VI",
        "VII",
    ),
    HairLossScale.LUDWIG: ("I", "II", "III"),
    HairLossScale.SINCLAIR: ("1", "2", "3", "4", "5"),
    HairLossScale.SAVIN: ("1", "2", "3", "4", "5", "6", "7", "8", "Frontal"),
}


@dataclass(frozen=True)
class Classification:
    scale: HairLossScale
    grade: str
    assessed_on: date
    note: str = ""
    id: str | None = None
    version: int = 0

    @property
    def label(self) -> str:
        return f"{self.scale.label} {self.grade}"


def validate_classification(
    scale: str, grade: str, assessed_on: str, note: str = "", *, today: date
) -> Classification:
    errors: dict[str, str] = {}
    parsed_scale: HairLossScale | None = None
    try:
        parsed_scale = HairLossScale(scale)
    except ValueError:
        errors["scale"] = "must be chosen from the list"
    if parsed_scale and grade not in parsed_scale.grades:
        errors["grade"] = f"is not a {parsed_scale.label} grade"
    when: date | None = None
    try:
        when = parse_date(assessed_on)
        if when > today:
            errors["assessed_on"] = "is in the future"
    except DateError as exc:
        errors["assessed_on"] = str(exc)
    try:
        clean_note = clean_text(note, max_length=SHORT_TEXT_MAX)
    except TextError as exc:
        errors["note"] = str(exc)
    if errors:
        raise ValidationError(errors)
    assert parsed_scale is not None and when is not None
    return Classification(parsed_scale, grade, when, clean_note)
