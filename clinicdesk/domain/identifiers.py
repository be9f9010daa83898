"""UK identifiers: NHS number, postcode, phone number, email address.

Each ``normalise_*`` returns the stored form or raises ``ValueError`` with a message for the
person typing it.
"""

from __future__ import annotations

import re

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
# ASCII digits only: str.isdigit() also accepts "²" and other scripts' digits, which would be
# stored as typed and never match the same number typed on another keyboard.
_NHS_SHAPE = re.compile(r"[0-9]{10}")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def nhs_check_digit_ok(digits: str) -> bool:
    """The NHS number modulus-11 check: weights 10..2 over the first nine digits."""
    if not _NHS_SHAPE.fullmatch(digits):
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def normalise_nhs_number(text: str) -> str:
    """``943 476 5919`` or ``943-476-5919`` -> ``9434765919``; a wrong check digit is refused."""
    digits = re.sub(r"[\s\-]", "", text)
    if not _NHS_SHAPE.fullmatch(digits):
        raise ValueError("must be 10 digits, for example 943 476 5919")
    if not nhs_check_digit_ok(digits):
        raise ValueError("is not a valid NHS number (the check digit does not match); check it")
    return digits


def format_nhs_number(digits: str) -> str:
    """The 3-3-4 form printed on NHS letters."""
    if len(digits) == 10:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return digits


def normalise_postcode(text: str) -> str:
    """``sw1a1aa`` -> ``SW1A 1AA``; anything not shaped like a UK postcode is refused."""
    compact = re.sub(r"\s+", "", text.upper())
    match = _POSTCODE.match(compact)
    if not match:
        raise ValueError("is not a UK postcode, for example SW1A 1AA")
    return f"{match.group(1)} {match.group(2)}"


def phone_digits(text: str) -> str:
    """The digits of a UK phone number in national form: ``+44 (0)7700 900123`` -> ``07700900123``.

    Used both to store and to search, so any spacing or prefix finds the same patient.
    """
    digits = re.sub(r"[^\d+]", "", text.replace("(0)", ""))
    if digits.startswith("+44"):
        digits = "0" + digits[3:]
    elif digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and len(digits) == 12:
        digits = "0" + digits[2:]
    return digits


def normalise_phone(text: str) -> str:
    """A UK number is stored in national form with the usual spacing; other numbers as typed."""
    stripped = text.strip()
    if re.search(r"[^\d\s+()\-.]", stripped):
        raise ValueError("may contain only digits, spaces, brackets and a leading +")
    digits = phone_digits(stripped)
    if digits.startswith("+"):
        if not 8 <= len(digits) - 1 <= 15:
            raise ValueError("is not a phone number (an international number has 8 to 15 digits)")
        return digits
    if not digits.startswith("0") or len(digits) not in (10, 11):
        raise ValueError("is not a UK phone number, for example 07700 900123 or 020 7946 0000")
    return _uk_spacing(digits)


def _uk_spacing(digits: str) -> str:
    """The spacing people expect: 020 7946 0000, 0113 496 0000, 07700 900123, 01632 960123."""
    if len(digits) == 11:
        if digits.startswith("02"):
            return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        if digits.startswith(("03", "08", "09")) or (
            digits.startswith("01") and (digits[3] == "1" or digits[2] == "1")
        ):
            # Non-geographic numbers, and the big cities' 011x / 01x1 area codes.
            return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    return f"{digits[:5]} {digits[5:]}"


def normalise_email(text: str) -> str:
    value = text.strip()
    if not _EMAIL.match(value) or len(value) > 254:
        raise ValueError("is not an email address, for example name@example.co.uk")
    return value
