"""Duplicate patients after sync: the same person registered at two sites, offered for merging.

``duplicates`` lists the pairs (``storage.patient_merge.duplicate_pairs``: created at different
sites, same NHS number or same name and date of birth). ``merge`` keeps one record and moves
every row of the other onto it (consultations, treatments, measurements, photos, consents,
documents, follow-ups...: every table with a foreign key to ``patients``), in one transaction,
audited on both records; the merged-away record is archived, never deleted, and its archive's
audit entry names the record it went into. Its photo and consent files are re-bound to the kept
record (they are sealed to their patient) before the rows move, so they open there. All of it
is ordinary edits, which sync carries to every site like any other change.

For clinicians and administrators (the permission to run sync and resolve its conflicts).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from clinicdesk.domain.patient import Patient
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import ConcurrentEdit, UserError
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.patients import existing_patient
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.database import write_transaction
from clinicdesk.storage.patient_merge import (
    duplicate_pairs,
    file_shas,
    repoint,
)
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.sealed_files import ContentStore

REASONS = {
    "nhs_number": "same NHS number",
    "name_and_birth_date": "same name and date of birth",
}


@dataclass(frozen=True)
class Duplicate:
    first: Patient
    second: Patient
    reason: str  # in words (``REASONS``)


@dataclass
class Merged:
    kept: Patient
    merged_away_id: str
    moved: dict[str, int] = field(default_factory=dict)
    stayed: list[str] = field(default_factory=list)


class PatientMergeService:
    def __init__(self, services: ClinicServices) -> None:
        self.services = services
        self.db = services.db
        self.repo = PatientRepository(services.db)

    def duplicates(self, user: CurrentUser) -> list[Duplicate]:
        require(self.db, user, Permission.RUN_SYNC, entity="patient")
        found = []
        for pair in duplicate_pairs(self.db):
            first, second = self.repo.get(pair.first_id), self.repo.get(pair.second_id)
            if first is not None and second is not None:
                found.append(Duplicate(first, second, REASONS[pair.reason]))
        return found

    def _stores(self) -> dict[str, ContentStore]:
        return {"photos": self.services.photos.store, "consents": self.services.consents.store}

    def merge(
        self,
        user: CurrentUser,
        keep_id: str,
        keep_version: int,
        merge_id: str,
        merge_version: int,
    ) -> Merged:
        """Keep ``keep_id``; move every row of ``merge_id`` onto it and archive ``merge_id``.
        The versions are those the person saw: a record changed meanwhile is refused
        (``ConcurrentEdit``) and nothing is moved."""
        require(self.db, user, Permission.RUN_SYNC, entity="patient", entity_id=keep_id)
        if keep_id == merge_id:
            raise UserError("Choose two different records to merge.")
        with write_transaction(self.db):
            kept = existing_patient(self.repo, keep_id)
            away = existing_patient(self.repo, merge_id)
            if kept.version != keep_version:
                raise ConcurrentEdit("patient record", None, kept)
            if away.version != merge_version:
                raise ConcurrentEdit("patient record", None, away)
            if kept.archived or away.archived:
                raise UserError("An archived record cannot be merged; restore it first.")
            # The files first: re-bound (each rewritten whole), they open for the kept record.
            # Should the transaction then fail, they are bound back below.
            stores = self._stores()
            files = file_shas(self.db, away.id)
            try:
                for store, sha in files:
                    stores[store].reseal(sha, away.id, kept.id)
                moved, stayed = repoint(self.db, away.id, kept.id, user.actor)
                if not self.repo.set_archived(away.id, away.version, True, user.actor):
                    raise ConcurrentEdit("patient record", None, away)
                detail = {"merged_into": kept.id, "moved": moved, "left_on_archived": stayed}
                audit.append(self.db, user.actor, "merge_away", "patient", away.id, detail)
                audit.append(
                    self.db,
                    user.actor,
                    "merge",
                    "patient",
                    kept.id,
                    {"merged_from": away.id, "moved": moved, "left_on_archived": stayed},
                )
                self.repo.reindex([kept.id, away.id])
            except BaseException:
                for store, sha in files:
                    # One that never moved, or is damaged, is left: the data check names it.
                    with contextlib.suppress(UserError):
                        stores[store].reseal(sha, kept.id, away.id)
                raise
        return Merged(existing_patient(self.repo, kept.id), away.id, moved, stayed)
