"""Typed text: one canonical form, no invisible tricks, a sensible length."""

from __future__ import annotations

import unicodedata

import pytest

from clinicdesk.domain.text import NAME_MAX, TextError, clean_text


def test_zoe_typed_with_a_combining_diaeresis_is_the_same_name() -> None:
    decomposed = "Zoe\u0308"
    assert decomposed != "Zoë"
    assert clean_text(decomposed) == "Zoë"
    assert unicodedata.is_normalized("NFC", clean_text("Sio\u0301bha\u0301n"))


def test_surrounding_spaces_are_trimmed() -> None:
    assert clean_text("  Ann \t") == "Ann"


@pytest.mark.parametrize("bad", ["Ann\x00", "A\x07nn", "\x1b[31mAnn", "Ann\x7f"])
def test_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(TextError, match="control character"):
        clean_text(bad)


@pytest.mark.parametrize("bidi", ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u200f"])
def test_text_direction_overrides_are_refused(bidi: str) -> None:
    # "Trojan Source": an override makes the name display as something else.
    with pytest.raises(TextError, match="text-direction"):
        clean_text(f"Ann{bidi}eoJ")


def test_right_to_left_scripts_themselves_are_welcome() -> None:
    assert clean_text("فاطمة") == "فاطمة"
    assert clean_text("דוד") == "דוד"


def test_single_line_fields_refuse_a_newline() -> None:
    with pytest.raises(TextError, match="one line"):
        clean_text("Ann\nJones")
    with pytest.raises(TextError):
        clean_text("Ann\u2028Jones")


def test_notes_may_have_several_lines_and_tabs() -> None:
    assert clean_text("line one\n\tline two", multiline=True) == "line one\n\tline two"


def test_notes_pasted_with_windows_line_endings_are_kept_as_plain_newlines() -> None:
    assert clean_text("one\r\ntwo\r\n\r\nthree\r\n", multiline=True) == "one\ntwo\n\nthree"
    assert clean_text("one\rtwo", multiline=True) == "one\ntwo"


def test_notes_still_refuse_nul() -> None:
    with pytest.raises(TextError, match="control character"):
        clean_text("line one\x00", multiline=True)


def test_length_is_limited_and_the_message_gives_both_numbers() -> None:
    assert clean_text("a" * NAME_MAX, max_length=NAME_MAX) == "a" * NAME_MAX
    with pytest.raises(TextError, match=f"{NAME_MAX + 1} characters; at most {NAME_MAX}"):
        clean_text("a" * (NAME_MAX + 1), max_length=NAME_MAX)


def test_length_counts_characters_after_normalisation() -> None:
    # 60 letters each typed as letter + combining accent: 120 code points, 60 characters.
    assert len(clean_text("e\u0301" * NAME_MAX, max_length=NAME_MAX)) == NAME_MAX


def test_a_megabyte_is_refused_quickly() -> None:
    with pytest.raises(TextError, match="too long"):
        clean_text("x" * 1_048_576)
