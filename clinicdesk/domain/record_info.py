"""The bookkeeping every stored clinical record carries (consultations, treatments, adverse
events, follow-ups, consent records): its version and who created and last changed it, where."""

from __future__ import annotations

from dataclasses import dataclass

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
