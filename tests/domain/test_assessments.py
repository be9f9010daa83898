"""Assessments: bounds per field, derived values and change against baseline, checked by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from clinicdesk.domain.assessments import (
    MEASURES,
    NOT_AVAILABLE,
    Assessment,
    AssessmentDetails,
    Change,
    Region,
    RegionMeasurement,
    baseline_assessment,
    changes_from_baseline,
    format_change,
    parse_region,
    validate_assessment,
)
from clinicdesk.domain.ids import PatientId, SiteId, UserId
from clinicdesk.domain.measurement_table import chart_series, measurement_table
from clinicdesk.errors import ValidationError

TODAY = date(2025, 6, 1)


def region_row(region: str = "frontal", **overrides: str) -> dict[str, str]:
    row = {
        "region": region,
        "measurement_site": "8 cm from glabella along midline",
        "total_density": "120",
        "terminal_density": "80",
        "vellus_density": "40",
        "mean_diameter_um": "60",
        "thin_hairs_pct": "25",
        "fu_density": "60",
        "hairs_per_fu": "2.0",
        "anagen_pct": "",
        "telogen_pct": "",
        "yellow_dots": "",
        "hair_mass": "",
    }
    row.update(overrides)
    return row


def measured(
    region: Region, total: float, diameter: float = 60.0, **kw: float
) -> RegionMeasurement:
    values: dict[str, Any] = {
        "terminal_density": total * 2 / 3,
        "vellus_density": total / 3,
        "thin_hairs_pct": 25.0,
        "fu_density": 60.0,
        "hairs_per_fu": 2.0,
    }
    values.update(kw)
    return RegionMeasurement(
        region, total_density=total, mean_diameter_um=diameter, measurement_site="8 cm", **values
    )


def assessment(day: date, *regions: RegionMeasurement, ident: str = "") -> Assessment:
    return Assessment(
        id=ident or f"a-{day.isoformat()}",
        patient_id=PatientId("p"),
        details=AssessmentDetails(day, tuple(regions)),
        version=1,
        site_id=SiteId("s"),
        created_at=f"{day.isoformat()}T10:00:00.000Z",
        updated_at="",
        created_by=UserId("u"),
        updated_by=UserId("u"),
    )


# -- validation ---------------------------------------------------------------------------


def test_a_valid_form_becomes_typed_details() -> None:
    details = validate_assessment(
        {
            "visit_date": "12/03/2025",
            "pull_test_pulled": "4",
            "satisfaction": "7",
            "global_photo_score": "+2",
            "photo_score_blinded": "1",
            "notes": "Line one\r\nLine two",
        },
        [region_row("occipital"), region_row("Mid-scalp", anagen_pct="80", telogen_pct="20")],
        today=TODAY,
    )
    assert details.visit_date == date(2025, 3, 12)
    assert [m.region for m in details.regions] == [Region.MID_SCALP, Region.OCCIPITAL]
    assert details.pull_test_pulled == 4 and details.pull_test_of == 60
    assert details.satisfaction == 7 and details.global_photo_score == 2
    assert details.photo_score_blinded
    assert details.notes == "Line one\nLine two"
    mid = details.region(Region.MID_SCALP)
    assert mid is not None and mid.anagen_pct == 80.0 and mid.yellow_dots is None
    assert mid.measurement_site == "8 cm from glabella along midline"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("total_density", "601", "must be between 0 and 600 hairs/cm²"),
        ("total_density", "-1", "must be between 0 and 600 hairs/cm²"),
        ("terminal_density", "700", "must be between 0 and 600 hairs/cm²"),
        ("vellus_density", "601", "must be between 0 and 600 hairs/cm²"),
        ("mean_diameter_um", "4.9", "must be between 5 and 150 µm"),
        ("mean_diameter_um", "151", "must be between 5 and 150 µm"),
        ("thin_hairs_pct", "100.1", "must be between 0 and 100%"),
        ("fu_density", "301", "must be between 0 and 300 FU/cm²"),
        ("hairs_per_fu", "0.9", "must be between 1 and 5 hairs/FU"),
        ("hairs_per_fu", "5.1", "must be between 1 and 5 hairs/FU"),
        ("anagen_pct", "101", "must be between 0 and 100%"),
        ("telogen_pct", "-5", "must be between 0 and 100%"),
        ("yellow_dots", "201", "must be between 0 and 200 /cm²"),
        ("hair_mass", "-0.1", "must be between 0 and 200"),
        ("hair_mass", "250", "must be between 0 and 200"),
        ("total_density", "12,5", "must be a number (with a decimal point, for example 12.5)"),
        ("total_density", "nan", "must be a number (with a decimal point, for example 12.5)"),
        ("total_density", "", "is required"),
        ("mean_diameter_um", "  ", "is required"),
    ],
)
def test_each_field_is_bounded_with_a_message_naming_the_range(
    field: str, value: str, message: str
) -> None:
    overrides = {field: value}
    if field in ("terminal_density", "vellus_density"):
        overrides["total_density"] = "600"
    with pytest.raises(ValidationError) as caught:
        validate_assessment({"visit_date": "2025-03-12"}, [region_row(**overrides)], today=TODAY)
    assert caught.value.errors == {f"regions[frontal].{field}": message}


def test_bounds_are_inclusive() -> None:
    details = validate_assessment(
        {"visit_date": "2025-03-12"},
        [
            region_row(
                total_density="600",
                terminal_density="600",
                vellus_density="0",
                mean_diameter_um="150",
                hairs_per_fu="5",
                thin_hairs_pct="0",
                hair_mass="200",
            )
        ],
        today=TODAY,
    )
    assert details.regions[0].vellus_density == 0.0


def test_terminal_plus_vellus_may_not_exceed_total_beyond_rounding() -> None:
    # 80.3 + 40.3 = 120.6 over 120.0 is rounding (within 1 hair/cm²): accepted.
    validate_assessment(
        {"visit_date": "2025-03-12"},
        [region_row(terminal_density="80.3", vellus_density="40.3")],
        today=TODAY,
    )
    with pytest.raises(ValidationError) as caught:
        validate_assessment(
            {"visit_date": "2025-03-12"},
            [region_row(terminal_density="90", vellus_density="40")],
            today=TODAY,
        )
    assert caught.value.errors == {
        "regions[frontal].terminal_density": (
            "terminal + vellus density (130) must not exceed the total density (120 hairs/cm²)"
        )
    }


def test_anagen_plus_telogen_may_not_exceed_100() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_assessment(
            {"visit_date": "2025-03-12"},
            [region_row(anagen_pct="85", telogen_pct="20")],
            today=TODAY,
        )
    assert caught.value.errors == {
        "regions[frontal].telogen_pct": "anagen % + telogen % (105) must not exceed 100%"
    }


def test_visit_fields_and_regions_are_all_reported_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_assessment(
            {
                "visit_date": "31/02/2025",
                "pull_test_pulled": "61",
                "satisfaction": "11",
                "global_photo_score": "4",
            },
            [region_row("frontal"), region_row("frontal"), region_row("crown")],
            today=TODAY,
        )
    errors = caught.value.errors
    assert errors["visit_date"] == "is not a real date (check the day and month)"
    assert errors["pull_test_pulled"] == "must be a whole number from 0 to 60 hairs"
    assert errors["satisfaction"] == "must be a whole number from 0 to 10"
    assert errors["global_photo_score"] == "must be a whole number from -3 to 3"
    assert errors["regions[frontal].region"] == "is listed twice"
    assert errors["regions[2].region"].startswith("must be one of: Frontal, Mid-scalp")


def test_a_future_visit_and_more_hairs_pulled_than_held_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_assessment(
            {"visit_date": "02/06/2025", "pull_test_pulled": "30", "pull_test_of": "20"},
            [],
            today=TODAY,
        )
    assert caught.value.errors == {
        "visit_date": "is in the future",
        "pull_test_pulled": "cannot be more than the hairs held (20)",
    }


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("frontal", Region.FRONTAL),
        ("Mid-scalp", Region.MID_SCALP),
        ("mid scalp", Region.MID_SCALP),
        ("TEMPORAL LEFT", Region.TEMPORAL_LEFT),
        ("temporal_right", Region.TEMPORAL_RIGHT),
        ("Occipital (reference)", Region.OCCIPITAL),
    ],
)
def test_regions_are_read_from_codes_and_labels(text: str, region: Region) -> None:
    assert parse_region(text) is region


# -- derived values -----------------------------------------------------------------------


def test_terminal_vellus_ratio_and_division_by_zero() -> None:
    # 80 / 40 = 2.0; no vellus hairs: the ratio is undefined, not infinite.
    assert (
        measured(Region.FRONTAL, 120, terminal_density=80, vellus_density=40).terminal_vellus_ratio
        == 2.0
    )
    assert (
        measured(Region.FRONTAL, 80, terminal_density=80, vellus_density=0).terminal_vellus_ratio
        is None
    )


def test_frontal_occipital_diameter_ratio() -> None:
    # 54 / 72 = 0.75 (miniaturised frontal hair against the donor area).
    visit = AssessmentDetails(
        date(2025, 1, 1),
        (measured(Region.FRONTAL, 120, 54.0), measured(Region.OCCIPITAL, 200, 72.0)),
    )
    assert visit.frontal_occipital_diameter_ratio == pytest.approx(0.75)
    only_frontal = AssessmentDetails(date(2025, 1, 1), (measured(Region.FRONTAL, 120, 54.0),))
    assert only_frontal.frontal_occipital_diameter_ratio is None


def test_change_absolute_and_percent_with_hand_checked_numbers() -> None:
    # 120 -> 127.1: +7.1 hairs/cm², 7.1 / 120 = 5.9166..%.
    change = Change(120.0, 127.1)
    assert change.absolute == pytest.approx(7.1)
    assert change.percent == pytest.approx(5.91667, abs=1e-4)
    assert format_change(change) == "+7.1 (+5.9%)"
    # 60 -> 58.5 µm: -1.5, -2.5%.
    assert format_change(Change(60.0, 58.5)) == "-1.5 (-2.5%)"
    # A zero baseline has no percentage; a missing value no change at all.
    assert Change(0.0, 3.0).percent is None
    assert format_change(Change(0.0, 3.0)) == f"+3.0 ({NOT_AVAILABLE})"
    assert format_change(Change(None, 3.0)) == NOT_AVAILABLE


def test_a_percentage_measure_changes_in_percentage_points() -> None:
    # Thin hairs 18% -> 21%: 3 percentage points, never "+16.7%" (a per cent of a per cent).
    assert format_change(Change(18.0, 21.0), points=True) == "+3.0 percentage points"
    assert format_change(Change(None, 21.0), points=True) == NOT_AVAILABLE
    percentages = {m.name for m in MEASURES if m.is_percentage}
    assert percentages == {"thin_hairs_pct", "anagen_pct", "telogen_pct"}


def test_baseline_is_the_latest_assessment_on_or_before_the_treatment_day() -> None:
    early = assessment(date(2025, 1, 10), measured(Region.FRONTAL, 110))
    same_day = assessment(date(2025, 2, 1), measured(Region.FRONTAL, 120))
    after = assessment(date(2025, 5, 1), measured(Region.FRONTAL, 127.1))
    every = [after, same_day, early]
    assert baseline_assessment(every, date(2025, 2, 1)) is same_day
    assert baseline_assessment(every, date(2025, 1, 31)) is early
    assert baseline_assessment(every, None) is early  # no treatment: the first
    assert baseline_assessment(every, date(2025, 1, 1)) is None  # nothing before treatment
    assert baseline_assessment([], None) is None


def test_change_versus_baseline_per_region_and_field() -> None:
    baseline = assessment(
        date(2025, 2, 1),
        measured(Region.FRONTAL, 120.0, 60.0),
        measured(Region.VERTEX, 0.0, 5.0, terminal_density=0, vellus_density=0),
        measured(Region.OCCIPITAL, 200.0, 72.0),
    )
    month_3 = assessment(
        date(2025, 5, 2),
        measured(Region.FRONTAL, 127.1, 61.9),
        measured(Region.VERTEX, 3.0, 5.0, terminal_density=0, vellus_density=3),
        measured(Region.MID_SCALP, 90.0),  # not measured at baseline: no change to show
    )
    report = changes_from_baseline([month_3, baseline], date(2025, 2, 1))
    assert report.baseline is baseline
    (visit,) = report.visits
    assert visit.days_after_baseline == 90
    assert [r.region for r in visit.regions] == [Region.FRONTAL, Region.VERTEX]
    frontal = visit.region(Region.FRONTAL)
    assert frontal is not None and frontal.matched_site
    density = frontal.changes["total_density"]
    assert (density.baseline, density.value) == (120.0, 127.1)
    assert density.absolute == pytest.approx(7.1)
    assert density.percent == pytest.approx(5.9167, abs=1e-3)
    diameter = frontal.changes["mean_diameter_um"]
    assert diameter.absolute == pytest.approx(1.9)  # 61.9 - 60
    assert diameter.percent == pytest.approx(3.1667, abs=1e-3)  # 1.9 / 60
    assert frontal.changes["anagen_pct"].absolute is None  # not measured
    assert list(frontal.changes) == [m.name for m in MEASURES]
    vertex = visit.region(Region.VERTEX)
    assert vertex is not None
    assert vertex.changes["total_density"].absolute == pytest.approx(3.0)
    assert vertex.changes["total_density"].percent is None  # from 0: undefined


def test_without_a_qualifying_baseline_the_report_is_empty() -> None:
    after = assessment(date(2025, 5, 1), measured(Region.FRONTAL, 127.1))
    report = changes_from_baseline([after], date(2025, 2, 1))
    assert report.baseline is None and report.visits == ()


def test_measurement_table_and_chart_series() -> None:
    first = assessment(
        date(2025, 2, 1),
        measured(Region.FRONTAL, 120.0, 54.0, terminal_density=80, vellus_density=40),
        measured(Region.OCCIPITAL, 200.0, 72.0),
    )
    second = assessment(date(2025, 5, 1), measured(Region.FRONTAL, 127.1, 55.0, yellow_dots=4))
    table = measurement_table([second, first])
    assert table.visits == (first, second)
    frontal = {r.key: r.values for r in table.rows if r.region is Region.FRONTAL}
    assert frontal["total_density"] == (120.0, 127.1)
    assert frontal["yellow_dots"] == (None, 4.0)  # shown: measured at one visit
    assert "anagen_pct" not in frontal  # never measured: no empty row
    assert frontal["terminal_vellus_ratio"][0] == 2.0
    occipital = {r.key: r.values for r in table.rows if r.region is Region.OCCIPITAL}
    assert occipital["total_density"] == (200.0, None)
    last = table.rows[-1]
    assert last.key == "frontal_occipital_diameter_ratio" and last.derived
    assert last.values[0] == pytest.approx(0.75) and last.values[1] is None
    series = chart_series([second, first])
    assert list(series) == [Region.FRONTAL, Region.OCCIPITAL]
    assert [
        (p.visit_date, p.total_density, p.mean_diameter_um) for p in series[Region.FRONTAL]
    ] == [
        (date(2025, 2, 1), 120.0, 54.0),
        (date(2025, 5, 1), 127.1, 55.0),
    ]
