"""Dates typed the UK way or as ISO, checked in Python because SQLite accepts 2021-02-30."""

from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.domain.dates import DateError, age_on, format_uk, parse_date, try_parse_date


@pytest.mark.parametrize(
    "typed",
    ["03/07/1985", "3/7/1985", "03.07.1985", "03-07-1985", "1985-07-03", " 03/07/1985 "],
)
def test_uk_and_iso_dates_are_accepted(typed: str) -> None:
    assert parse_date(typed) == date(1985, 7, 3)


def test_day_comes_before_month_as_in_the_uk() -> None:
    assert parse_date("01/02/2000") == date(2000, 2, 1)


def test_leap_day_is_a_real_date_in_a_leap_year_only() -> None:
    assert parse_date("29/02/2020") == date(2020, 2, 29)
    with pytest.raises(DateError, match="not a real date"):
        parse_date("29/02/2021")


@pytest.mark.parametrize("typed", ["2021-02-30", "31/02/2020", "31/04/2020", "00/01/2020"])
def test_days_that_do_not_exist_are_refused(typed: str) -> None:
    with pytest.raises(DateError, match="not a real date"):
        parse_date(typed)


@pytest.mark.parametrize(
    "typed", ["2020-1-5", "03/07/85", "1985/07/03", "July 3rd 1985", "", "   ", "13/13/13"]
)
def test_other_shapes_are_refused_with_an_example(typed: str) -> None:
    with pytest.raises(DateError, match="DD/MM/YYYY"):
        parse_date(typed)


def test_month_13_is_refused() -> None:
    with pytest.raises(DateError):
        parse_date("01/13/2020")


def test_try_parse_date_gives_none_instead_of_an_error() -> None:
    assert try_parse_date("31/02/2020") is None
    assert try_parse_date("O'Brien") is None
    assert try_parse_date("03/07/1985") == date(1985, 7, 3)


def test_dates_are_shown_the_uk_way() -> None:
    assert format_uk(date(1985, 7, 3)) == "03/07/1985"


@pytest.mark.parametrize(
    ("today", "age"),
    [(date(2025, 7, 2), 39), (date(2025, 7, 3), 40), (date(2025, 12, 31), 40)],
)
def test_age_turns_over_on_the_birthday(today: date, age: int) -> None:
    assert age_on(date(1985, 7, 3), today) == age
