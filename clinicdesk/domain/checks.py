"""One field checker for the domain's form validators.

A ``validate_*`` function converts each raw form value with a ``FieldChecker`` method, which
returns the stored value (or ``None``/``""`` when it is not usable) and files one message per
offending field under the field's key, in the words every form shows the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

from clinicdesk.domain.dates import DateError, parse_date
from clinicdesk.domain.text import NAME_MAX, NOTE_MAX, SHORT_TEXT_MAX, TextError, clean_text
from clinicdesk.errors import ValidationError

E = TypeVar("E", bound=StrEnum)


@dataclass
class FieldChecker:
    """Collects per-field messages while converting raw form text."""

    errors: dict[str, str] = field(default_factory=dict)

    def text(
        self,
        key: str,
        value: str | None,
        *,
        max_length: int = SHORT_TEXT_MAX,
        multiline: bool = False,
        required: bool = False,
    ) -> str:
        try:
            cleaned = clean_text(value or "", max_length=max_length, multiline=multiline)
        except TextError as exc:
            self.errors[key] = str(exc)
            return ""
        if required and not cleaned:
            self.errors[key] = "is required"
        return cleaned

    def date(
        self, key: str, value: str | None, *, required: bool = False, today: date | None = None
    ) -> date | None:
        """The date in ``value``; with ``today``, a date after it is refused as in the future."""
        text = (value or "").strip()
        if not text:
            if required:
                self.errors[key] = "is required"
            return None
        try:
            parsed = parse_date(text)
        except DateError as exc:
            self.errors[key] = str(exc)
            return None
        if today is not None and parsed > today:
            self.errors[key] = "is in the future"
            return None
        return parsed

    def choice(
        self,
        key: str,
        value: str | None,
        enum: type[E],
        *,
        default: E | None = None,
        blank: str = "is required",
    ) -> E | None:
        """The code in ``value``; a blank one is ``default``, or the message ``blank``."""
        text = (value or "").strip()
        if not text and default is not None:
            return default
        try:
            return enum(text)
        except ValueError:
            self.errors[key] = "must be chosen from the list" if text else blank
            return None

    def number(
        self, key: str, value: str | None, bounds: tuple[float, float] | None, unit: str = ""
    ) -> float | None:
        """The number in ``value``, refused outside ``bounds`` (low, high) when they are known."""
        text = (value or "").strip()
        if not text:
            self.errors[key] = "is required"
            return None
        try:
            number = float(text)
        except ValueError:
            self.errors[key] = "must be a number"
            return None
        if bounds is not None and not bounds[0] <= number <= bounds[1]:
            suffix = f" {unit}" if unit else ""
            self.errors[key] = f"must be between {bounds[0]:g} and {bounds[1]:g}{suffix}"
            return None
        return number


def clean_name(field: str, value: str, errors: dict[str, str], *, required: bool = True) -> str:
    """A name-like field (a clinic, site, user or registration number) cleaned to ``NAME_MAX``;
    a message goes into ``errors`` under ``field``."""
    return FieldChecker(errors).text(field, value, max_length=NAME_MAX, required=required)


def written_reason(key: str, text: str | None, minimum: int) -> str:
    """A written reason for going ahead despite a check, cleaned as a note: "" when none was
    given, else at least ``minimum`` characters; a ``ValidationError`` under ``key`` if not."""
    try:
        reason = clean_text(text or "", max_length=NOTE_MAX, multiline=True)
    except TextError as exc:
        raise ValidationError({key: str(exc)}) from None
    if reason and len(reason) < minimum:
        raise ValidationError({key: f"is too short; write at least {minimum} characters"})
    return reason
