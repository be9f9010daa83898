"""Text that people type: one canonical form, no invisible tricks, a sensible length.

Names and free text are stored NFC-normalised (so "Zoë" typed with a combining diaeresis is the
same name as the precomposed one). Control characters (NUL and friends) and bidirectional
override/isolate characters and marks are refused, naming the character, rather than silently
dropped, so what is stored is what the person saw; ordinary newlines and tabs are allowed only
in multi-line notes. The other invisible formatting characters (Unicode category Cf: zero-width
space U+200B, word joiner U+2060, soft hyphen U+00AD, zero-width (non-)joiners U+200C/U+200D,
byte order mark U+FEFF, Mongolian vowel separator U+180E, invisible operators U+2061–U+2064,
tags...) show nothing, so they are removed: "Ann\u200bie" pasted from a web page is stored, and
found, as "Annie" (RELIABILITY row 36). Search text goes through ``strip_invisible`` too.
"""

from __future__ import annotations

import unicodedata

# Bidirectional embedding, override and isolate controls and marks: they can make a name
# display as something other than its characters ("Trojan Source").
_BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)

NAME_MAX = 60
SHORT_TEXT_MAX = 200
NOTE_MAX = 4000


class TextError(ValueError):
    """The text cannot be stored; the message says why, for the field it came from."""


def clean_text(value: str, *, max_length: int = SHORT_TEXT_MAX, multiline: bool = False) -> str:
    """Return ``value`` NFC-normalised and trimmed, or raise ``TextError`` saying what is wrong."""
    for char in value:
        if char in _BIDI_CONTROLS:
            raise TextError(
                f"contains an invisible text-direction character ({_code(char)}); please retype it"
            )
    text = unicodedata.normalize("NFC", strip_invisible(value)).strip()
    if multiline:
        # Text pasted from Windows (or an old Mac) ends lines with CR LF (or CR): same lines.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for char in text:
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


def strip_invisible(value: str, *, bidi: bool = False) -> str:
    """``value`` without the invisible formatting characters (category Cf), keeping the
    bidirectional controls (``clean_text`` refuses those, naming them) unless ``bidi``: search
    text is matched without any of them."""
    return "".join(
        char
        for char in value
        if unicodedata.category(char) != "Cf" or (char in _BIDI_CONTROLS and not bidi)
    )


def _code(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()


def spreadsheet_safe(value: str) -> str:
    """``value`` for a CSV cell that a spreadsheet will open. A cell starting with = + - @ (or a
    tab or carriage return) is run as a formula (CSV injection); a leading apostrophe makes it
    text. Lots such as "-0012" get one too."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
