"""Clinic numbers: each site's prefix is its own, and what a receptionist types is read."""

from __future__ import annotations

import pytest

from clinicdesk.domain.patient_numbers import (
    format_patient_number,
    site_prefix,
    typed_patient_number,
)


def test_numbers_are_zero_padded_and_grow_past_99999() -> None:
    assert format_patient_number("M", 123) == "M-00123"
    assert format_patient_number("SL", 100_000) == "SL-100000"


def test_each_site_gets_a_prefix_no_other_site_has() -> None:
    taken: list[str] = []
    for name in ("Main clinic", "Satellite clinic", "Satellite Leeds", "Sale", "Sa", "S"):
        taken.append(site_prefix(name, taken))
    assert taken == ["M", "S", "SL", "SA", "SB", "SC"]
    # Accents dropped; a name with no Latin letter still gets one.
    assert site_prefix("Édimbourg", []) == "E"
    assert site_prefix("東京", []) == "S"
    assert site_prefix("東京", ["S"]) == "SA"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("M-00123", ("M", "00123")),
        ("m123", ("M", "123")),
        (" sl 7 ", ("SL", "7")),
        ("M–12", None),  # an en dash is not how the number is printed
        ("Ann", None),
        ("03/07/1985", None),
        ("0770090012", None),
        ("ABCDE-1", None),
        ("M-", None),
    ],
)
def test_what_is_typed_is_read_as_a_number_only_in_its_shape(
    typed: str, expected: tuple[str, str] | None
) -> None:
    assert typed_patient_number(typed) == expected
