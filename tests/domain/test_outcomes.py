"""The outcomes audit's numbers, checked by hand: the Wilson interval against published values,
small groups never a bare percentage, the categories at the edges of the threshold and of the
visit window, lost to follow-up by what happened to the 6-month visit, and the spreads."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import pytest

from clinicdesk.domain.assessments import Region
from clinicdesk.domain.follow_ups import FollowUpStatus
from clinicdesk.domain.outcomes import (
    CHANGE_MONTHS,
    PatientFacts,
    Rate,
    Spread,
    TreatedPatient,
    age_band,
    group_labels,
    month_window,
    rate_json,
    rate_text,
    summarise,
    treated_patient,
    validate_min_group,
    visit_at,
    visits_at,
    wilson_interval,
)
from clinicdesk.domain.response import ResponseCategory
from clinicdesk.errors import ValidationError
from tests.domain.test_assessments import assessment
from tests.domain.test_response import region

TREATED = date(2025, 1, 15)
TODAY = date(2026, 1, 15)
FACTS = PatientFacts("M", date(1980, 6, 1), 30, ("Norwood-Hamilton IV",), ("Finasteride",))


# Newcombe RG (1998), Two-sided confidence intervals for the single proportion: comparison of
# seven methods. Stat Med 17:857-872, Table I, method 3 (score method without continuity
# correction); and 0/20 worked by hand: z^2/(n+z^2) = 3.8415/23.8415 = 0.1611.
@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_the_wilson_interval_matches_published_values(
    successes: int, n: int, low: float, high: float
) -> None:
    interval = wilson_interval(successes, n)
    assert interval is not None
    assert interval[0] == pytest.approx(low, abs=5e-5)
    assert interval[1] == pytest.approx(high, abs=5e-5)


def test_no_patient_has_no_interval_and_impossible_counts_are_refused() -> None:
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError, match="3 successes out of 2"):
        wilson_interval(3, 2)


def test_a_small_group_shows_counts_and_a_warning_never_a_bare_percentage() -> None:
    small = Rate("Ludwig III", responded=("a", "b", "c"), not_responded=("d",))
    text = rate_text(small, 10)
    assert text.startswith("3 of 4 responded (95% CI 30%-95%)")
    assert "too few for a percentage (under 10)" in text
    assert "75%" not in text
    large = Rate("All", responded=tuple("abcdefghij"), not_responded=tuple("klmno"))
    # 10 of 15: 67% (Wilson 42%-85%)
    assert rate_text(large, 10) == "67% (95% CI 42%-85%), 10 of 15"
    assert rate_text(large, 16).startswith("10 of 15 responded")  # the minimum is a setting
    assert rate_text(Rate("None"), 10) == "No patient evaluable yet"


def test_the_json_of_a_rate() -> None:
    rate = Rate("All", ("a", "b"), ("c",), ("d",), ("e", "f"))
    out = rate_json(rate, 5.0, 10)
    assert out["evaluable"] == 3 and out["responded"] == 2
    assert out["rate"] == pytest.approx(2 / 3)
    assert out["lost_to_follow_up"] == 2 and out["too_early"] == 1
    assert out["small_group"] is True and out["published_rate"] == 0.66
    assert out["ci95"] == pytest.approx(list(wilson_interval(2, 3) or ()))


def _patient(
    ident: str,
    *visits: tuple[date, float, float],
    follow_up: FollowUpStatus | None = None,
    facts: PatientFacts = FACTS,
    treated: date = TREATED,
    today: date = TODAY,
) -> TreatedPatient:
    base = assessment(treated, region(100.0, 60.0), ident=f"{ident}-0")
    later = [
        assessment(day, region(terminal, diameter), ident=f"{ident}-{n}")
        for n, (day, terminal, diameter) in enumerate(visits, 1)
    ]
    return treated_patient(
        ident, f"t-{ident}", [base, *later], treated, ["frontal"], 5.0, today, facts, follow_up
    )


def test_categories_at_the_edges_of_the_threshold_and_of_the_window() -> None:
    cases = {
        # +5.0% on the last day of the window (8 months): responded
        "edge-high": ((date(2025, 9, 15), 105.0, 60.0),),
        # +4.9% at 6 months: did not respond
        "below": ((date(2025, 7, 15), 104.9, 60.0),),
        # first day of the window (5 months), diameter down exactly 5%: responded
        "edge-low": ((date(2025, 6, 15), 110.0, 57.0),),
        # a day before the window and a day after it: no end-point visit (window closed)
        "outside": ((date(2025, 6, 14), 130.0, 60.0), (date(2025, 9, 16), 130.0, 60.0)),
    }
    got = {name: _patient(name, *visits).category for name, visits in cases.items()}
    assert got == {
        "edge-high": ResponseCategory.RESPONDED,
        "below": ResponseCategory.NOT_RESPONDED,
        "edge-low": ResponseCategory.RESPONDED,
        "outside": ResponseCategory.NO_END_POINT_VISIT,
    }
    # While the window is still open, no visit yet is "too early", not lost.
    waiting = _patient("waiting", today=date(2025, 9, 15))
    assert waiting.category is ResponseCategory.TOO_EARLY


def test_changes_at_1_3_6_and_12_months_from_the_baseline() -> None:
    p = _patient(
        "p",
        (date(2025, 2, 14), 101.0, 60.5),  # 1 month
        (date(2025, 4, 20), 103.0, 61.0),  # 3 months
        (date(2025, 7, 10), 108.0, 61.5),  # 6 months
        (date(2026, 1, 20), 106.0, 61.0),  # 12 months
    )
    changes = {(c.region, c.months): dict(c.changes) for c in p.changes}
    assert changes[(Region.FRONTAL, 1)] == pytest.approx(
        {"terminal_density": 1.0, "mean_diameter_um": 0.5}
    )
    assert changes[(Region.FRONTAL, 6)]["terminal_density"] == pytest.approx(8.0)
    assert changes[(Region.FRONTAL, 12)]["mean_diameter_um"] == pytest.approx(1.0)
    assert set(changes) == {(Region.FRONTAL, m) for m in (1, 3, 6, 12)}


def test_the_visit_nearest_the_month_within_its_window() -> None:
    near = assessment(date(2025, 4, 10))
    far = assessment(date(2025, 5, 14))  # 4 months less a day: inside, but farther
    outside = assessment(date(2025, 5, 16))
    assert visit_at([far, near, outside], TREATED, 3) is near
    assert visit_at([outside], TREATED, 3) is None
    # The one-pass version gives the same answers.
    assert visits_at([far, near, outside], TREATED, [1, 3, 12]) == {3: near}
    tie_early, tie_late = assessment(date(2025, 4, 14)), assessment(date(2025, 4, 16))
    assert visits_at([tie_late, tie_early], TREATED, [3]) == {3: tie_early}  # 1 day each side


def test_spread_hand_worked() -> None:
    spread = Spread(("a", "b", "c", "d"), (2.0, 4.0, 4.0, 10.0))
    assert spread.mean == 5.0
    assert spread.median == 4.0
    # deviations -3, -1, -1, 5: squares 9+1+1+25 = 36, / 3 = 12
    assert spread.sd == pytest.approx(12**0.5)
    assert spread.quartiles == pytest.approx((3.5, 5.5))
    assert Spread(("a",), (1.0,)).sd is None


def test_a_spread_is_worked_out_once_however_often_it_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The exact standard deviation of a clinic's thousands of changes takes milliseconds
    each time; the screen and the report read each more than once."""
    calls: list[int] = []
    exact = statistics.stdev

    def counted(values: tuple[float, ...]) -> float:
        calls.append(len(values))
        return exact(values)

    monkeypatch.setattr(statistics, "stdev", counted)
    spread = Spread(("a", "b", "c", "d"), (2.0, 4.0, 4.0, 10.0))
    assert spread.sd == spread.sd == pytest.approx(12**0.5)
    assert calls == [4]
    assert spread == Spread(("a", "b", "c", "d"), (2.0, 4.0, 4.0, 10.0))  # still equal


def test_summary_counts_groups_quarters_and_lost_to_follow_up() -> None:
    woman = PatientFacts("F", date(1990, 1, 1), None, ("Ludwig II", "Sinclair 3"), ())
    patients = [
        _patient("r1", (date(2025, 7, 15), 110.0, 60.0)),
        _patient("r2", (date(2025, 7, 15), 110.0, 60.0), facts=woman),
        _patient("n1", (date(2025, 7, 15), 100.0, 60.0), facts=woman),
        _patient("dna", follow_up=FollowUpStatus.DID_NOT_ATTEND),
        _patient("never", follow_up=None),
        _patient("late", treated=date(2025, 11, 2)),
    ]
    summary = summarise(patients, 5.0, TODAY, 10)
    overall = summary.overall
    assert (overall.responded, overall.not_responded) == (("r1", "r2"), ("n1",))
    assert overall.lost == ("dna", "never") and overall.too_early == ("late",)
    sexes = {r.label: r for r in summary.groups["sex"]}
    assert sexes["Female"].responded == ("r2",) and sexes["Female"].not_responded == ("n1",)
    grades = {r.label: r.treated for r in summary.groups["grade"]}
    assert grades["Ludwig II"] == grades["Sinclair 3"] == ("r2", "n1")  # one woman, two scales
    priors = {r.label: r.treated for r in summary.groups["prior_treatment"]}
    assert priors["None recorded"] == ("r2", "n1")
    onset = {r.label for r in summary.groups["onset"]}
    assert onset == {"10-19 years", "Not recorded"}  # 44 at treatment, onset at 30: 14 years
    assert dict(summary.lost) == {"did_not_attend": ("dna",), "none": ("never",)}
    # Every quarter from the first treatment's to the last's, the empty ones too.
    assert [q.label for q in summary.quarters] == ["2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4"]
    assert summary.quarters[3].too_early == ("late",) and summary.quarters[1].treated == ()
    frontal_6 = next(
        c for c in summary.changes if c.months == 6 and c.measure == "terminal_density"
    )
    assert frontal_6.spread.values == (10.0, 10.0, 0.0) and frontal_6.spread.patients == (
        "r1",
        "r2",
        "n1",
    )


def test_bands_and_the_minimum_group_setting() -> None:
    assert [age_band(a) for a in (29, 30, 39, 59, 60)] == [
        "Under 30",
        "30-39",
        "30-39",
        "50-59",
        "60 and over",
    ]
    groups = group_labels(FACTS, TREATED)
    assert groups["age_band"] == ("40-49",) and groups["kit_lot"] == ("Not recorded",)
    assert validate_min_group(" 12 ") == 12
    for bad in ("ten", "0", "1001"):
        with pytest.raises(ValidationError) as caught:
            validate_min_group(bad)
        assert "min_group" in caught.value.errors


def test_the_visit_windows_follow_one_another_after_every_treatment_day() -> None:
    """The audit picks each month's visit in one pass over a patient's visits in date order
    (``chosen_visits``): that holds only while the windows of 1, 3, 6 and 12 months come one
    after the other, all after the treatment day, whatever the day (month ends, leap days)."""
    day = date(2023, 1, 1)
    while day < date(2027, 1, 1):
        after = day
        for months in CHANGE_MONTHS:
            start, end = month_window(day, months)
            assert after < start <= end, (day, months)
            after = end
        day += timedelta(days=1)
