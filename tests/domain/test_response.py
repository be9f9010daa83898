"""Response categories (CLINICAL.md), checked by hand at the edges of the threshold and of
the 5-8 month window."""

from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.domain.assessments import Region, RegionMeasurement
from clinicdesk.domain.response import (
    DEFAULT_THRESHOLD_PERCENT,
    ResponseCategory,
    end_point_window,
    main_region,
    patient_response,
    plain_rule_text,
    primary_end_point,
    region_category,
    rule_text,
    threshold_percent,
    validate_threshold_percent,
)
from clinicdesk.errors import ValidationError
from tests.domain.test_assessments import assessment

TREATED = date(2025, 1, 15)


def region(
    terminal: float, diameter: float = 60.0, where: Region = Region.FRONTAL
) -> RegionMeasurement:
    return RegionMeasurement(
        where,
        total_density=terminal + 40,
        terminal_density=terminal,
        vellus_density=40,
        mean_diameter_um=diameter,
        thin_hairs_pct=25,
        fu_density=60,
        hairs_per_fu=2,
        measurement_site="8 cm",
    )


@pytest.mark.parametrize(
    ("terminal", "diameter", "expected"),
    [
        (105.0, 60.0, ResponseCategory.RESPONDED),  # +5.0% exactly: reaches the threshold
        (104.9, 60.0, ResponseCategory.NOT_RESPONDED),  # +4.9%
        (120.0, 57.0, ResponseCategory.RESPONDED),  # diameter -5.0% exactly: not "more than"
        (120.0, 56.9, ResponseCategory.NOT_RESPONDED),  # diameter -5.17%
        (90.0, 70.0, ResponseCategory.NOT_RESPONDED),  # fewer hairs, thicker
    ],
)
def test_a_region_at_the_edges_of_the_threshold(
    terminal: float, diameter: float, expected: ResponseCategory
) -> None:
    assert region_category(region(100.0), region(terminal, diameter), 5.0) is expected


def test_a_region_missing_at_either_visit_is_not_measured() -> None:
    assert region_category(None, region(120), 5.0) is ResponseCategory.NOT_MEASURED
    assert region_category(region(100), None, 5.0) is ResponseCategory.NOT_MEASURED


def test_the_window_is_five_to_eight_calendar_months() -> None:
    assert end_point_window(date(2025, 1, 31)) == (date(2025, 6, 30), date(2025, 9, 30))


def test_the_end_point_is_the_visit_nearest_six_months_inside_the_window() -> None:
    early = assessment(date(2025, 6, 14))  # one day before the window opens
    late = assessment(date(2025, 9, 16))  # one day after it closes
    assert primary_end_point([early, late], TREATED) is None
    first_day = assessment(date(2025, 6, 15))
    last_day = assessment(date(2025, 9, 15))
    assert primary_end_point([early, last_day], TREATED) is last_day
    assert primary_end_point([first_day, last_day, late], TREATED) is first_day  # 31 vs 61 days
    on_time = assessment(date(2025, 7, 20))
    assert primary_end_point([first_day, on_time, last_day], TREATED) is on_time


def test_the_main_region_is_frontal_when_treated_else_the_first_zone() -> None:
    assert main_region(["vertex", "frontal"]) is Region.FRONTAL
    assert main_region(["vertex", "mid_scalp"]) is Region.VERTEX
    assert main_region([]) is None


def test_a_patient_takes_the_main_regions_category() -> None:
    baseline = assessment(TREATED, region(100), region(100, where=Region.VERTEX))
    six = assessment(date(2025, 7, 15), region(103), region(130, where=Region.VERTEX))
    result = patient_response(
        [six, baseline], TREATED, ["vertex", "frontal"], 5.0, date(2026, 1, 1)
    )
    assert result.category is ResponseCategory.NOT_RESPONDED
    assert result.region(Region.VERTEX).category is ResponseCategory.RESPONDED  # type: ignore[union-attr]
    assert result.end_point is six and result.baseline is baseline
    assert result.region(Region.FRONTAL).density.percent == pytest.approx(3.0)  # type: ignore[union-attr]


def test_before_the_window_closes_it_is_too_early_and_after_it_no_visit() -> None:
    baseline = assessment(TREATED, region(100))
    three = assessment(date(2025, 4, 15), region(150))
    early = patient_response([baseline, three], TREATED, ["frontal"], 5.0, date(2025, 9, 15))
    assert early.category is ResponseCategory.TOO_EARLY
    assert early.due == date(2025, 7, 15)
    lost = patient_response([baseline, three], TREATED, ["frontal"], 5.0, date(2025, 9, 16))
    assert lost.category is ResponseCategory.NO_END_POINT_VISIT
    assert not lost.category.evaluable


def test_the_threshold_setting() -> None:
    assert threshold_percent(None) == DEFAULT_THRESHOLD_PERCENT
    assert threshold_percent("rubbish") == DEFAULT_THRESHOLD_PERCENT
    assert threshold_percent("7.5") == 7.5
    assert validate_threshold_percent(" 10 % ") == 10.0
    for bad in ("ten", "-1", "101", "nan"):
        with pytest.raises(ValidationError) as caught:
            validate_threshold_percent(bad)
        assert "response_threshold_percent" in caught.value.errors


def test_the_rule_is_printed_with_the_clinic_s_threshold_in_both_wordings() -> None:
    assert "risen by at least 7.5% from the baseline" in rule_text(7.5)
    assert "not fallen by more than 7.5%" in rule_text(7.5)
    plain = plain_rule_text(7.5)
    assert "gone up by at least 7.5%" in plain and "more than 7.5% thinner" in plain
    for jargon in ("baseline", "terminal", "diameter"):
        assert jargon not in plain
