"""The bookkeeping every stored clinical record carries (consultations, treatments, adverse
events, follow-ups, consent records): its version and who created and last changed it, where."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from typing import Any

from clinicdesk.domain.ids import SiteId, UserId


@dataclass(frozen=True)
class RecordInfo:
    """The bookkeeping of a stored clinical record."""

    version: int
    site_id: SiteId
    created_at: str
    updated_at: str
    created_by: UserId
    updated_by: UserId


def changed_fields(before: Any, after: Any, *, skip: Collection[str] = ()) -> list[str]:
    """The names of the fields that differ between two versions of a record's details (both
    the same dataclass), in the order declared, for the audit entry of an update; ``skip``
    names fields the caller compares its own way (or not at all)."""
    return [
        f.name
        for f in fields(before)
        if f.name not in skip and getattr(before, f.name) != getattr(after, f.name)
    ]
