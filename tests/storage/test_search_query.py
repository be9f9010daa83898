"""parse_query: user text to quoted FTS5 terms, never raw MATCH syntax."""

from __future__ import annotations

import pytest

from clinicdesk.storage.search import MAX_TERMS, parse_query


@pytest.mark.parametrize("typed", ["03/07/1985", "1985-07-03", "3/7/1985", "03.07.1985"])
def test_a_date_of_birth_becomes_the_indexed_token(typed: str) -> None:
    assert parse_query(typed).terms == ("19850703",)


def test_a_date_among_words_is_recognised_too() -> None:
    assert parse_query("O'Brien 03/07/1985").terms == ("O'Brien", "19850703")


@pytest.mark.parametrize(
    "typed", ["07700 900123", "07700900123", "+44 7700 900123", "+44 (0)7700-900-123"]
)
def test_a_phone_number_becomes_its_national_digits(typed: str) -> None:
    assert parse_query(typed).terms == ("07700900123",)


@pytest.mark.parametrize("typed", ["943 476 5919", "9434765919", "943-476-5919"])
def test_an_nhs_number_becomes_its_digits(typed: str) -> None:
    assert parse_query(typed).terms == ("9434765919",)


def test_each_term_is_quoted_and_inner_quotes_are_doubled() -> None:
    terms = parse_query('Ann "the" AND NEAR(x')
    assert terms.match_expression(prefix=False) == '"Ann" """the""" "AND" "NEAR(x"'
    assert terms.match_expression(prefix=True) == '"Ann"* """the"""* "AND"* "NEAR(x"*'


@pytest.mark.parametrize("typed", ["", "   ", '"', "*", "-", "( )", "😀", "\u202e", "'; --"])
def test_input_without_letters_or_digits_is_no_search(typed: str) -> None:
    assert not parse_query(typed)


def test_the_number_of_terms_is_bounded() -> None:
    assert len(parse_query(" ".join(f"w{i}" for i in range(50))).terms) == MAX_TERMS


def test_the_length_of_the_query_is_bounded() -> None:
    assert sum(len(t) for t in parse_query("x" * 5000).terms) <= 200


@pytest.mark.parametrize("typed", ["Ann\x00", "a\x00b", "\x00", "Ann\x1b[2J"])
def test_control_characters_never_reach_match(typed: str) -> None:
    # FTS5 reads a query string as C text: a NUL inside a quoted term ends it mid-string.
    for term in parse_query(typed).terms:
        assert all(ch >= " " for ch in term)


def test_whole_numbers_and_dates_need_no_prefix_search() -> None:
    from clinicdesk.storage.search import parse_query

    assert parse_query("03/07/1985").complete
    assert parse_query("943 476 5919").complete
    assert parse_query("+44 7700 900123").complete
    assert not parse_query("07700 900").complete  # part of a phone number: prefix matters
    assert not parse_query("smith").complete
