"""Coded values: a closed list of codes, each stored as its code and shown by its label.

Every coded list in the domain (risks, zones, red flags, views, roles …) is a ``Coded``: a
``StrEnum`` whose members are written ``CODE = "code", "Label"``. The code is the member's
value (what is stored, exported and typed on the command line); the label is what people
read. A member written with its code alone is labelled by the code with underscores as
spaces and a capital first letter (``"did_not_attend"`` reads "Did not attend").
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Coded(StrEnum):
    _value_: str
    _label: str

    def __new__(cls, code: str, label: str | None = None) -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member._label = code.replace("_", " ").capitalize() if label is None else label
        return member

    @property
    def label(self) -> str:
        return self._label

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(code, label) for each member in the list's order, as a form offers them."""
        return [(member.value, member.label) for member in cls]
