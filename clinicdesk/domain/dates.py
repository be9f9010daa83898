"""Dates as people in a UK clinic type them, checked in Python (SQLite accepts 2021-02-30)."""

from __future__ import annotations

import re
from datetime import date, datetime

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_UK = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_SHORT_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")

# A two-digit year is never guessed: 26/10/63 could be 1963 or 2063.
SHORT_YEAR = (
    "has a two-digit year; type it as DD/MM/YYYY with the year in full, for example 26/10/1963"
)


# The message for a clinical date (treatment, lab, assessment) earlier than the patient's birth.
BEFORE_BIRTH = "is before the patient's date of birth"


class DateError(ValueError):
    """The text is not a real date; the message says what to type instead."""


def parse_date(text: str) -> date:
    """Parse ``DD/MM/YYYY`` (also with ``.`` or ``-``) or ISO ``YYYY-MM-DD``.

    Anything else, or a day that does not exist (31/02/2020), raises ``DateError``.
    """
    value = text.strip()
    if match := _ISO.match(value):
        year, month, day = (int(part) for part in match.groups())
    elif match := _UK.match(value):
        day, month, year = (int(part) for part in match.groups())
    elif _SHORT_YEAR.match(value):
        raise DateError(SHORT_YEAR)
    else:
        raise DateError("is not a date; type it as DD/MM/YYYY, for example 03/07/1985")
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError("is not a real date (check the day and month)") from None


def parse_date_time(text: str) -> datetime:
    """``DD/MM/YYYY HH:MM`` (the date as ``parse_date`` reads it), local wall-clock time."""
    value = text.strip().replace("T", " ")
    day_text, _, time_text = value.rpartition(" ")
    match = _TIME.match(time_text)
    if not day_text.strip() or not match:
        raise DateError("needs a date and a time, for example 14/03/2026 10:30")
    day = parse_date(day_text)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise DateError("has a time that does not exist")
    return datetime(day.year, day.month, day.day, hour, minute)


def try_parse_date(text: str) -> date | None:
    """``parse_date`` for search: ``None`` instead of an error."""
    try:
        return parse_date(text)
    except DateError:
        return None


def search_date(text: str, today: date) -> date | None:
    """A date of birth typed into the patient search: what ``try_parse_date`` reads, and also
    DD/MM/YY, read as the latest such day that is not after ``today`` (a date of birth is
    never in the future: in 2026, 26/10/63 is 26/10/1963 and 01/02/24 is 01/02/2024). Only for
    finding a patient: forms still refuse a two-digit year (``SHORT_YEAR``)."""
    value = text.strip()
    if (match := _SHORT_YEAR.match(value)) is None:
        return try_parse_date(value)
    day, month, short = (int(part) for part in match.groups())
    century = today.year - today.year % 100
    for year in (century + short, century - 100 + short):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found <= today:
            return found
    return None


def format_uk(value: date) -> str:
    """The way dates are shown on screens and forms: 03/07/1985."""
    return value.strftime("%d/%m/%Y")


def age_on(date_of_birth: date, today: date) -> int:
    """Age in whole years on ``today``."""
    years = today.year - date_of_birth.year
    if (today.month, today.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def local_time(stamp: str) -> str:
    """A stored UTC timestamp (ISO 8601) as the clinic reads it: ``26/11/2026 14:05`` in this
    computer's time zone; the text as it is if it is not a timestamp."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.astimezone().strftime("%d/%m/%Y %H:%M")
