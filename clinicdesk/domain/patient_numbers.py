"""The clinic's own patient number: a short site prefix and that site's running count
("M-00123", "S-00045"), so a patient without an NHS number still has two identifiers.

The two sites register patients offline and sync later, so one clinic-wide counter would give
the same number twice. Each site counts its own patients instead, under a prefix of its own
(one to three capital letters, chosen from its name when the site is made and never changed),
so numbers from different sites can never collide. The storage layer allocates the next number
in the same transaction as the patient's row, under a UNIQUE index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

DIGITS = 5  # zero-padded to at least this many digits; more once a site passes 99,999
PREFIX_MOST = 3
# What a user types for a number: the prefix, an optional dash or space, the digits
# ("M-00123", "m123", "M 123"). Letters only in the prefix, so a name never looks like one.
# One more letter than a site's: a further workstation's (storage.patient_numbers, "MB").
_TYPED = re.compile(rf"^\s*([A-Za-z]{{1,{PREFIX_MOST + 1}}})\s*[-\s]?\s*([0-9]{{1,9}})\s*$")


def format_patient_number(prefix: str, sequence: int) -> str:
    return f"{prefix}-{sequence:0{DIGITS}d}"


def typed_patient_number(text: str) -> tuple[str, str] | None:
    """(prefix in capitals, the digits as typed) when ``text`` has the shape of a patient
    number, else None."""
    match = _TYPED.match(text)
    if match is None:
        return None
    return match.group(1).upper(), match.group(2)


def _letters(word: str) -> str:
    """The ASCII capital letters of ``word`` (accents dropped: "Émile" -> "EMILE")."""
    plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.upper() if "A" <= ch <= "Z")


def site_prefix(name: str, taken: Iterable[str]) -> str:
    """A prefix for a new site called ``name`` that no other site has: its initial ("Main
    clinic" -> "M"), else the initials of its first words ("Satellite Leeds" -> "SL"), else
    its first letters, else the initial with a following letter of the alphabet."""
    used = set(taken)
    words = [w for w in (_letters(word) for word in name.split()) if w]
    initial = words[0][0] if words else "S"
    candidates = [initial, "".join(w[0] for w in words)[:PREFIX_MOST]]
    joined = "".join(words)
    candidates += [joined[:2], joined[:3]]
    candidates += [initial + letter for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    candidates += [initial + a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "XYZ"]
    for candidate in candidates:
        if candidate and candidate not in used:
            return candidate
    raise ValueError("no prefix left for another site")  # 100+ sites sharing one initial
