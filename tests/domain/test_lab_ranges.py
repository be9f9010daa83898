"""Each lab test has a unit and a usual adult range; a result outside it is flagged in words."""

from __future__ import annotations

import pytest

from clinicdesk.domain.medical import LabTest, lab_flag, reference_range, reference_text


def test_every_test_has_a_unit_and_a_usual_range() -> None:
    for test in LabTest:
        assert test.unit
        usual = reference_range(test)
        assert test.bounds[0] <= usual.low < usual.high <= test.bounds[1]


@pytest.mark.parametrize(
    ("test", "value", "sex", "flag"),
    [
        (LabTest.FERRITIN, 12, "F", "Low (below 15)"),
        (LabTest.FERRITIN, 20, "F", ""),
        (LabTest.FERRITIN, 20, "M", "Low (below 30)"),
        (LabTest.FERRITIN, 20, None, ""),  # sex not known: only outside every range is flagged
        (LabTest.FERRITIN, 12, "X", "Low (below 15)"),
        (LabTest.TSH, 5.6, "F", "High (above 4.2)"),
        (LabTest.TSH, 0.27, "M", ""),  # the limits themselves are within
        (LabTest.TESTOSTERONE, 3.1, "F", "High (above 1.67)"),
        (LabTest.VITAMIN_D, 22, None, "Low (below 50)"),
    ],
)
def test_results_outside_the_usual_range_are_flagged_in_words(
    test: LabTest, value: float, sex: str | None, flag: str
) -> None:
    assert lab_flag(test, value, sex) == flag


def test_the_range_text_names_the_sex_when_the_ranges_differ() -> None:
    assert reference_text(LabTest.TSH) == "0.27–4.2 mU/L"
    assert reference_text(LabTest.FERRITIN, "F") == "women 15–150 µg/L"
    assert reference_text(LabTest.FERRITIN) == "men 30–400, women 15–150 µg/L"
