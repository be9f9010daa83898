"""Text that people type: one canonical form, no invisible tricks, a sensible length.

Names and free text are stored NFC-normalised (so "Zoë" typed with a combining diaeresis is the
same name as the precomposed one). Control characters (NUL and friends) and bidirectional
override/isolate characters are refused rather than silently dropped, so what is stored is what
the person saw; ordinary newlines and tabs are allowed only in multi-line notes.
"""

from __future__ import annotations

import unicodedata

# Bidirectional embedding, override and isolate controls: they can make a name display as
# something other than its characters ("Trojan Source").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")

NAME_MAX = 60
SHORT_TEXT_MAX = 200
NOTE_MAX = 4000


class TextError(ValueError):
    """The text cannot be stored; the message says why, for the field it came from."""


def clean_text(value: str, *, max_length: int = SHORT_TEXT_MAX, multiline: bool = False) -> str:
    """Return ``value`` NFC-normalised and trimmed, or raise ``TextError`` saying what is wrong."""
    text = unicodedata.normalize("NFC", value).strip()
    if multiline:
        # Text pasted from Windows (or an old Mac) ends lines with CR LF (or CR): same lines.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for char in text:
        if char in _BIDI_CONTROLS:
            raise TextError("contains an invisible text-direction character; please retype it")
        if multiline and char in "\n\t":
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co") or char in "\u2028\u2029":
            if char in "\n\r":
                raise TextError("must be on one line")
            raise TextError("contains a control character; please retype it")
    if len(text) > max_length:
        raise TextError(f"is too long ({len(text)} characters; at most {max_length})")
    return text


def spreadsheet_safe(value: str) -> str:
    """``value`` for a CSV cell that a spreadsheet will open. A cell starting with = + - @ (or a
    tab or carriage return) is run as a formula (CSV injection); a leading apostrophe makes it
    text. Lots such as "-0012" get one too."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
