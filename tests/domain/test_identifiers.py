"""NHS numbers, postcodes, phone numbers and email addresses as a UK receptionist types them."""

from __future__ import annotations

import pytest

from clinicdesk.domain.identifiers import (
    format_nhs_number,
    nhs_check_digit_ok,
    normalise_email,
    normalise_nhs_number,
    normalise_phone,
    normalise_postcode,
    phone_digits,
)


@pytest.mark.parametrize(
    "typed",
    ["9434765919", "943 476 5919", " 943 476 5919 ", "943-476-5919", "943  476\t5919"],
)
def test_valid_nhs_number_is_stored_as_ten_digits(typed: str) -> None:
    assert normalise_nhs_number(typed) == "9434765919"


@pytest.mark.parametrize("number", ["4010232137", "9990000018"])
def test_other_valid_nhs_numbers_pass_the_modulus_11_check(number: str) -> None:
    assert nhs_check_digit_ok(number)
    assert normalise_nhs_number(number) == number


@pytest.mark.parametrize("last_digit", [d for d in "0123456789" if d != "9"])
def test_nhs_number_with_wrong_check_digit_is_refused(last_digit: str) -> None:
    with pytest.raises(ValueError, match="check digit"):
        normalise_nhs_number("943476591" + last_digit)


@pytest.mark.parametrize("last_digit", list("0123456789"))
def test_nhs_number_whose_check_digit_would_be_10_is_always_refused(last_digit: str) -> None:
    # 100000001: 1*10 + 1*2 = 12, 12 % 11 = 1, 11 - 1 = 10: no valid NHS number starts so.
    assert not nhs_check_digit_ok("100000001" + last_digit)
    with pytest.raises(ValueError):
        normalise_nhs_number("100000001" + last_digit)


def test_check_digit_11_means_zero() -> None:
    nine = next(
        f"{n:09d}"
        for n in range(1, 10_000)
        if sum(int(d) * w for d, w in zip(f"{n:09d}", range(10, 1, -1), strict=True)) % 11 == 0
    )
    assert nhs_check_digit_ok(nine + "0")
    assert not nhs_check_digit_ok(nine + "1")


@pytest.mark.parametrize("typed", ["", "943476591", "94347659190", "943 476 591X", "nine"])
def test_nhs_number_of_wrong_shape_is_refused_with_an_example(typed: str) -> None:
    with pytest.raises(ValueError, match="10 digits"):
        normalise_nhs_number(typed)


def test_example_in_the_shape_message_is_itself_a_valid_nhs_number() -> None:
    with pytest.raises(ValueError) as caught:
        normalise_nhs_number("123")
    example = str(caught.value).rsplit("for example", 1)[1].strip()
    assert normalise_nhs_number(example) == example.replace(" ", "")


def test_nhs_number_is_printed_3_3_4() -> None:
    assert format_nhs_number("9434765919") == "943 476 5919"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("m11ae", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("cr26xh", "CR2 6XH"),
        ("DN551PT", "DN55 1PT"),
        ("ec1a 1bb", "EC1A 1BB"),
        ("w1a0ax", "W1A 0AX"),
    ],
)
def test_postcode_is_normalised(typed: str, stored: str) -> None:
    assert normalise_postcode(typed) == stored


@pytest.mark.parametrize("typed", ["", "12345", "SW1A 1A", "SW1A", "Q", "SW1A 1AAA", "1AA SW1"])
def test_non_postcode_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="postcode"):
        normalise_postcode(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07700900123", "07700 900123"),
        ("07700 900123", "07700 900123"),
        ("077 009 001 23", "07700 900123"),
        ("+44 7700 900123", "07700 900123"),
        ("+447700900123", "07700 900123"),
        ("+44 (0)7700 900123", "07700 900123"),
        ("0044 7700 900123", "07700 900123"),
        ("07700-900-123", "07700 900123"),
        ("020 7946 0000", "020 7946 0000"),
        ("(020) 7946 0000", "020 7946 0000"),
        ("+44 20 7946 0000", "020 7946 0000"),
        ("01632 960123", "01632 960123"),
    ],
)
def test_uk_phone_number_is_stored_in_national_form(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored


def test_international_number_is_kept_with_its_prefix() -> None:
    assert normalise_phone("+353 1 234 5678") == "+35312345678"


@pytest.mark.parametrize("typed", ["12345", "07700 9001", "call me", "0770090012345", "+1 23"])
def test_non_phone_number_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        normalise_phone(typed)


@pytest.mark.parametrize(
    "typed", ["07700 900123", "+44 7700 900123", "+44 (0)7700-900-123", "0044 7700900123"]
)
def test_phone_digits_make_every_spelling_the_same(typed: str) -> None:
    assert phone_digits(typed) == "07700900123"


def test_email_is_trimmed_and_checked() -> None:
    assert normalise_email("  ann@example.co.uk ") == "ann@example.co.uk"
    for bad in ("ann", "ann@", "ann@example", "a b@example.com", "x@" + "a" * 250 + ".com"):
        with pytest.raises(ValueError, match="email"):
            normalise_email(bad)


@pytest.mark.parametrize(
    "typed",
    [
        "943476591²",  # superscript two: str.isdigit() says yes, int() says no
        "９４３４７６５９１９",  # full-width digits from an East Asian input method
        "٩٤٣٤٧٦٥٩١٩",  # Arabic-Indic digits
    ],
)
def test_nhs_number_in_non_ascii_digits_is_refused_with_the_usual_message(typed: str) -> None:
    with pytest.raises(ValueError, match="must be 10 digits"):
        normalise_nhs_number(typed)
    assert not nhs_check_digit_ok(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("01134960123", "0113 496 0123"),
        ("+44 121 496 0123", "0121 496 0123"),
        ("0191 498 0123", "0191 498 0123"),
        ("01632960123", "01632 960123"),
        ("01865 270000", "01865 270000"),
        ("0300 123 4567", "0300 123 4567"),
        ("02920180123", "029 2018 0123"),
    ],
)
def test_uk_numbers_are_spaced_the_usual_way(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored
