"""How long a clinical record is kept, and what an erasure request may ask for.

CLINICAL.md "Data protection": adult clinical records are kept at least 8 years after the last
treatment (the number of years is a clinic setting, ``RETENTION_YEARS_SETTING``). The date is
counted from the record's last activity, its last treatment or any later visit, assessment,
photo or adverse event, so a record that is used again starts its 8 years again (RELIABILITY.md
row 31); a record with no clinical entry counts from the day it was registered. A record
begun for a child is kept at least until the patient's 25th birthday (the NHS records
management code), whichever is later. Nothing is ever destroyed automatically: the date only
says from when an administrator may.
"""

from __future__ import annotations

from datetime import date

from clinicdesk.errors import ValidationError

RETENTION_YEARS_SETTING = "retention_years"
DEFAULT_RETENTION_YEARS = 8
MIN_RETENTION_YEARS = 8  # CLINICAL.md: "at least 8 years"
MAX_RETENTION_YEARS = 100
CHILD_RECORDS_UNTIL_AGE = 25
REASON_MIN = 10
REASON_MAX = 1000


def add_years(day: date, years: int) -> date:
    """``day`` moved on ``years`` years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def destruction_due_on(last_activity: date, date_of_birth: date, years: int) -> date:
    """The first day the record may be destroyed."""
    return max(add_years(last_activity, years), add_years(date_of_birth, CHILD_RECORDS_UNTIL_AGE))


def retention_years(stored: str | None) -> int:
    """The setting as stored, or the default when it is unset or unreadable; never fewer
    years than CLINICAL.md allows."""
    try:
        years = int(stored) if stored is not None else DEFAULT_RETENTION_YEARS
    except ValueError:
        return DEFAULT_RETENTION_YEARS
    return min(max(years, MIN_RETENTION_YEARS), MAX_RETENTION_YEARS)


def validate_retention_years(text: str) -> int:
    try:
        years = int(text.strip())
    except ValueError:
        raise ValidationError({"retention_years": "must be a whole number of years"}) from None
    if not MIN_RETENTION_YEARS <= years <= MAX_RETENTION_YEARS:
        raise ValidationError(
            {
                "retention_years": f"must be between {MIN_RETENTION_YEARS} and "
                f"{MAX_RETENTION_YEARS} (clinical records are kept at least 8 years)"
            }
        )
    return years


def validate_reason(text: str, field: str = "reason") -> str:
    """The written reason an erasure request or the opening of a restricted record needs."""
    reason = " ".join(text.split())
    if len(reason) < REASON_MIN:
        raise ValidationError(
            {field: f"say why in at least {REASON_MIN} characters (it is kept in the audit log)"}
        )
    if len(reason) > REASON_MAX:
        raise ValidationError({field: f"is too long (at most {REASON_MAX} characters)"})
    if any(not ch.isprintable() for ch in reason):
        raise ValidationError({field: "contains characters that cannot be shown"})
    return reason
