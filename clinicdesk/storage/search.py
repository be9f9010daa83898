"""Patient search: user text to a safe FTS5 query.

Raw FTS5 MATCH syntax fails on everyday input (``O'Brien``, ``Anne-Marie``, a lone ``"``) and
gives meaning to words such as ``AND`` and ``NEAR``. So user input is never passed to MATCH: it
is split into terms here, each term is quoted as an FTS5 string (inner quotes doubled), and terms
are joined with implicit AND. A term with no letter or digit is dropped; no term, no search.

Dates typed the UK way (03/07/1985) or ISO become the compact ``19850703`` we index (with
today's date given, 03/07/85 too: a date of birth is in the past, so it is 1985); a query that
is only digits with spaces, ``+`` or brackets (a phone or NHS number) becomes its digits, with
+44 turned into the national 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from clinicdesk.domain.dates import search_date, try_parse_date
from clinicdesk.domain.identifiers import phone_digits
from clinicdesk.domain.text import strip_invisible

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
COMPLETE_NUMBER_DIGITS = 10  # an NHS number; UK phone numbers have 10 or 11 digits
_NUMBERISH = re.compile(r"^[\d\s+()\-.]+$")
_WORD = re.compile(r"\w", re.UNICODE)
# FTS5 reads the query as C text, so a NUL inside a quoted term ends it early ("unterminated
# string"); control characters are never part of a name, so they separate words instead.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class SearchTerms:
    terms: tuple[str, ...]
    # A whole date of birth, NHS number or phone number: nothing longer can start with it, so
    # a prefix search would only repeat the whole-word one.
    complete: bool = False

    def match_expression(self, *, prefix: bool) -> str:
        star = "*" if prefix else ""
        return " ".join(f'"{term.replace(chr(34), chr(34) * 2)}"{star}' for term in self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)


# Letters that are not a base letter plus a diacritic, so FTS5's remove_diacritics leaves them;
# people without them on their keyboard still type the plain letters (Łukasz -> Lukasz).
_FOLD = str.maketrans(
    {
        "Ł": "L",
        "ł": "l",
        "Ø": "O",
        "ø": "o",
        "Đ": "D",
        "đ": "d",
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Þ": "Th",
        "þ": "th",
        "ı": "i",
        "Ð": "D",
        "ð": "d",
    }
)


def folded_variant(text: str) -> str | None:
    """``text`` with the letters above replaced, or None when there are none."""
    folded = text.translate(_FOLD)
    return folded if folded != text else None


def dob_token(iso_date: str) -> str:
    return iso_date.replace("-", "")


def parse_query(text: str, today: date | None = None) -> SearchTerms:
    """``today`` given, a date typed with a two-digit year (26/10/63) finds the date of birth
    it can only be (``search_date``: 1963, as a date of birth is never in the future)."""

    def as_date(word: str) -> date | None:
        return try_parse_date(word) if today is None else search_date(word, today)

    # Invisible formatting characters (a zero-width space pasted with a name) are not part of
    # what is stored either (``domain.text``): "Ann\u200bie" looks for Annie.
    query = _CONTROL.sub(" ", strip_invisible(text, bidi=True)[:MAX_QUERY_CHARS]).strip()
    if not query:
        return SearchTerms(())
    if _NUMBERISH.match(query) and sum(ch.isdigit() for ch in query) >= 3:
        if parsed := as_date(query):
            return SearchTerms((dob_token(parsed.isoformat()),), complete=True)
        digits = phone_digits(query).lstrip("+")
        return SearchTerms((digits,), complete=len(digits) >= COMPLETE_NUMBER_DIGITS)
    terms: list[str] = []
    dates = 0
    for word in query.split():
        if parsed := as_date(word):
            terms.append(dob_token(parsed.isoformat()))
            dates += 1
        elif _WORD.search(word):
            terms.append(word)
        if len(terms) == MAX_TERMS:
            break
    return SearchTerms(tuple(terms), complete=bool(terms) and dates == len(terms))
