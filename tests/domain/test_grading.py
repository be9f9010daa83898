"""Blinded photo grading in the domain: the pairs, the sides, the combined score and weighted
kappa, checked against values worked out by hand."""

from __future__ import annotations

import random
from datetime import date, datetime
from fractions import Fraction

import pytest

from clinicdesk.domain.grading import (
    Grade,
    Side,
    Weights,
    agreements,
    blinded,
    check_score,
    combined_score,
    end_point_day,
    photo_pairs,
    score_from_shown,
    score_label,
    weighted_kappa,
)
from clinicdesk.domain.photos import ConsentScope, Photo, TakenAtSource, View
from clinicdesk.errors import ValidationError

TREATED_ON = date(2025, 3, 10)


def ratings_from_table(table: list[list[int]], values: list[int]) -> list[tuple[int, int]]:
    """Items from a contingency table: rows the first grader's grade, columns the second's."""
    return [
        (values[i], values[j])
        for i, row in enumerate(table)
        for j, count in enumerate(row)
        for _ in range(count)
    ]


def test_two_grades_agree_as_cohens_textbook_example_whatever_the_weights() -> None:
    # Wikipedia "Cohen's kappa", worked example: 50 proposals, both yes 20, A yes B no 5,
    # A no B yes 10, both no 15: p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = 0.4.
    # With two grades every disagreement weighs the same, so weighted = unweighted kappa,
    # whatever the two grades' values.
    ratings = ratings_from_table([[20, 5], [10, 15]], [2, -1])
    assert weighted_kappa(ratings, Weights.LINEAR) == pytest.approx(0.4)
    assert weighted_kappa(ratings, Weights.QUADRATIC) == pytest.approx(0.4)


def test_three_grades_weighted_kappa_worked_by_hand() -> None:
    # 10 pairs, grades 0/+1/+2 (rows: first grader, columns: second):
    #        0  1  2 | rows
    #   0 [  3  1  0 ]   4
    #   1 [  1  2  1 ]   4
    #   2 [  0  0  2 ]   2
    # cols   4  3  3
    # Observed disagreement (x10): three pairs one apart, none two apart -> linear 3,
    # quadratic 3.
    # Chance (x100, row total x column total): one apart 4*3 + 4*4 + 4*3 + 2*3 = 46, two
    # apart 4*3 + 2*4 = 20 -> linear 46 + 2*20 = 86, quadratic 46 + 4*20 = 126.
    # Linear kappa = 1 - 0.30/0.86 = 28/43; quadratic = 1 - 0.30/1.26 = 16/21.
    ratings = ratings_from_table([[3, 1, 0], [1, 2, 1], [0, 0, 2]], [0, 1, 2])
    assert weighted_kappa(ratings, Weights.LINEAR) == pytest.approx(float(Fraction(28, 43)))
    assert weighted_kappa(ratings, Weights.QUADRATIC) == pytest.approx(float(Fraction(16, 21)))


def test_kappa_is_one_for_perfect_agreement_and_undefined_when_chance_explains_all() -> None:
    assert weighted_kappa([(-1, -1), (0, 0), (2, 2)], Weights.LINEAR) == pytest.approx(1.0)
    assert weighted_kappa([(1, 1), (1, 1)], Weights.LINEAR) is None
    assert weighted_kappa([], Weights.QUADRATIC) is None
    # Systematic disagreement is worse than chance.
    kappa = weighted_kappa([(-3, 3), (3, -3)], Weights.LINEAR)
    assert kappa is not None and kappa < 0


def photo(photo_id: str, view: View | None, visit: date, minute: int = 0) -> Photo:
    return Photo(
        id=photo_id,
        patient_id="p1",
        sha256="0" * 64,
        size_bytes=1,
        width=10,
        height=10,
        format="JPEG",
        view=view,
        region=None,
        visit_date=visit,
        taken_at=datetime.combine(visit, datetime.min.time()).replace(hour=10, minute=minute),
        taken_at_source=TakenAtSource.EXIF,
        consent_scope=ConsentScope.CLINICAL_RECORD,
        original_name=f"{photo_id}.jpg",
        version=1,
        archived=False,
        created_at="",
        created_by="",
    )


def test_the_end_point_is_the_visit_nearest_six_months_else_the_latest_follow_up() -> None:
    days = [date(2025, 4, 10), date(2025, 8, 20), date(2025, 9, 12), date(2026, 3, 1)]
    assert end_point_day(days, TREATED_ON) == date(2025, 9, 12)  # 6 months: 10/09/2025
    early = [date(2025, 4, 10), date(2025, 6, 10)]
    assert end_point_day(early, TREATED_ON) == date(2025, 6, 10)  # none in 5-8 months yet
    assert end_point_day([TREATED_ON], TREATED_ON) is None


def test_pairs_are_the_baseline_and_end_point_photos_of_each_global_view() -> None:
    baseline, end = date(2025, 3, 10), date(2025, 9, 12)
    photos = [
        photo("old", View.FRONTAL, date(2025, 1, 5)),  # an earlier visit: not the baseline
        photo("b-front", View.FRONTAL, baseline, 1),
        photo("b-front-again", View.FRONTAL, baseline, 5),  # the first taken counts
        photo("b-vertex", View.VERTEX, baseline, 2),
        photo("b-donor", View.OCCIPITAL_DONOR, baseline, 3),  # not a graded view
        photo("b-close", View.TRICHOSCOPY, baseline, 4),
        photo("e-front", View.FRONTAL, end, 1),
        photo("e-donor", View.OCCIPITAL_DONOR, end, 3),
        photo("e-untagged", None, end, 6),
        photo("e-temporal", View.TEMPORAL_LEFT, end, 7),  # no baseline photo of this view
        photo("later-vertex", View.VERTEX, date(2026, 3, 1)),  # not the end point
    ]
    pairs = photo_pairs(photos, "t1", TREATED_ON)
    assert [(p.view, p.before.id, p.after.id) for p in pairs] == [
        (View.FRONTAL, "b-front", "e-front")
    ]
    assert photo_pairs(photos[6:], "t1", TREATED_ON) == []  # no baseline: nothing to grade


def test_sides_are_random_and_the_grade_is_turned_round_when_the_before_was_on_the_right() -> None:
    pairs = photo_pairs(
        [
            photo(f"{when}-{view.value}", view, day)
            for when, day in (("b", TREATED_ON), ("e", date(2025, 9, 10)))
            for view in (View.FRONTAL, View.VERTEX, View.MIDLINE_PART, View.TEMPORAL_LEFT)
        ],
        "t1",
        TREATED_ON,
    )
    sessions = [blinded(pairs, random.Random(seed)) for seed in range(20)]
    assert {tuple(b.pair.view for b in s) for s in sessions} != {tuple(p.view for p in pairs)}
    assert {b.before_side for s in sessions for b in s} == {Side.LEFT, Side.RIGHT}
    for item in sessions[0]:
        assert item.number == sessions[0].index(item) + 1
        before = item.left if item.before_side is Side.LEFT else item.right
        assert before is item.pair.before
    # "The right photo is moderately improved on the left": after against before is +2
    # when the before was on the left, -2 when it was on the right.
    assert score_from_shown(2, Side.LEFT) == 2
    assert score_from_shown(2, Side.RIGHT) == -2


def test_a_grade_must_be_on_the_seven_point_scale() -> None:
    assert check_score(-3) == -3
    for bad in (4, -4, 1.5, "2", True, None):
        with pytest.raises(ValidationError) as caught:
            check_score(bad)
        assert "-3 to +3" in caught.value.errors["score"]
    assert score_label(2) == "+2 Moderately improved"
    assert score_label(0) == "0 No change"
    assert score_label(-3) == "-3 Greatly worse"


@pytest.mark.parametrize(
    ("scores", "expected"),
    [([1, 2], 2), ([1, -1], 0), ([-1, -2], -2), ([2, 2, 1], 2), ([0, 1, 1, 1], 1), ([], None)],
)
def test_disagreeing_grades_combine_as_the_mean_rounded_half_away_from_zero(
    scores: list[int], expected: int | None
) -> None:
    assert combined_score(scores) == expected


def grade(grader: str, key: str, score: int, at: str = "2025-10-01T10:00:00") -> Grade:
    return Grade(
        id=f"{grader}-{key}-{at}",
        patient_id="p1",
        before_photo_id=f"b{key}",
        after_photo_id=f"a{key}",
        view=View.FRONTAL,
        grader_id=grader,
        before_side=Side.LEFT,
        shown_score=score,
        score=score,
        graded_at=at,
    )


def test_agreement_is_over_the_pairs_both_graders_graded_each_counted_once() -> None:
    grades = [
        grade("ann", "1", 1),
        grade("ann", "1", 3, at="2025-10-02T10:00:00"),  # graded again elsewhere: first counts
        grade("ann", "2", 0),
        grade("ann", "3", 2),
        grade("bob", "1", 1),
        grade("bob", "2", 1),
        grade("bob", "3", 2),
        grade("bob", "4", -1),  # only bob: not compared
        grade("cat", "9", 0),  # nothing in common with anyone
    ]
    [found] = agreements(grades)
    assert (found.first_grader_id, found.second_grader_id) == ("ann", "bob")
    assert (found.pairs, found.identical) == (3, 2)
    expected = weighted_kappa([(1, 1), (0, 1), (2, 2)], Weights.LINEAR)
    assert found.linear == pytest.approx(expected)
