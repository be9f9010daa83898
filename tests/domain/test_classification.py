"""Hair-loss classification: coded grades per scale, never free text."""

from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.domain.classification import HairLossScale, validate_classification
from clinicdesk.errors import ValidationError

TODAY = date(2026, 6, 1)

VALID = [
    ("norwood_hamilton", g)
    for g in ("I", "II", "IIa", "III", "IIIa", "III vertex", "IV", "IVa", "V", "Va", "VI", "VII")
] + [
    *[("ludwig", g) for g in ("I", "II", "III")],
    *[("sinclair", g) for g in ("1", "2", "3", "4", "5")],
    *[("savin", g) for g in ("1", "2", "3", "4", "5", "6", "7", "8", "Frontal")],
]

INVALID = [
    ("norwood_hamilton", "VIII"),
    ("norwood_hamilton", "IIIv"),
    ("norwood_hamilton", "3"),
    ("norwood_hamilton", ""),
    ("ludwig", "IV"),
    ("ludwig", "IIa"),
    ("sinclair", "0"),
    ("sinclair", "6"),
    ("sinclair", "I"),
    ("savin", "9"),
    ("savin", "III vertex"),
]


@pytest.mark.parametrize(("scale", "grade"), VALID)
def test_every_grade_of_each_scale_is_accepted(scale: str, grade: str) -> None:
    result = validate_classification(scale, grade, "01/05/2026", today=TODAY)
    assert (result.scale.value, result.grade) == (scale, grade)
    assert result.assessed_on == date(2026, 5, 1)


def test_scales_hold_exactly_the_grades_of_the_clinical_brief() -> None:
    assert {s: len(s.grades) for s in HairLossScale} == {
        HairLossScale.NORWOOD_HAMILTON: 12,
        HairLossScale.LUDWIG: 3,
        HairLossScale.SINCLAIR: 5,
        HairLossScale.SAVIN: 9,
    }


@pytest.mark.parametrize(("scale", "grade"), INVALID)
def test_a_grade_from_another_scale_is_refused(scale: str, grade: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_classification(scale, grade, "01/05/2026", today=TODAY)
    assert list(caught.value.errors) == ["grade"]
    assert HairLossScale(scale).label in caught.value.errors["grade"]


def test_label_reads_like_a_clinician_writes_it() -> None:
    result = validate_classification("norwood_hamilton", "III vertex", "2026-05-01", today=TODAY)
    assert result.label == "Norwood-Hamilton III vertex"


def test_unknown_scale_future_date_and_long_note_are_all_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_classification("hamilton", "III", "02/06/2026", "n" * 201, today=TODAY)
    assert set(caught.value.errors) == {"scale", "assessed_on", "note"}


def test_impossible_assessment_date_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_classification("ludwig", "II", "30/02/2026", today=TODAY)
    assert "not a real date" in caught.value.errors["assessed_on"]
