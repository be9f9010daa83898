"""The lot look-up: which patients were treated with a kit or anaesthetic lot.

The answer to a field safety notice (CLINICAL.md): clinical data, so for clinicians and
administrators. The search is audited, and so is its list leaving the program as a file.
``ClinicalService`` inherits these use cases from ``LotLookup``.
"""

from __future__ import annotations

from pathlib import Path

from clinicdesk.domain.roles import Permission
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.clinical import ClinicalRepository, LotMatch
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.recorded_files import place_recorded


class LotLookup:
    """The lot look-up use cases of ``ClinicalService``, which sets the attributes below."""

    db: Database
    repo: ClinicalRepository

    def patients_for_lot(self, user: CurrentUser, lot: str) -> list[LotMatch]:
        """Patients treated with kit or anaesthetic lot ``lot`` (exact, trimmed, any case):
        the answer to a field safety notice. Clinical data: clinicians and administrators."""
        require(self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity="lot")
        matches = self.repo.patients_for_lot(lot)
        with write_transaction(self.db):
            audit.append(
                self.db,
                user.actor,
                "search",
                "lot",
                lot.strip()[:60],
                {"treatments": len(matches), "patients": len({m.patient_id for m in matches})},
            )
        return matches

    def lot_exported(
        self,
        user: CurrentUser,
        lot: str,
        treatments: int,
        patients: int,
        *,
        staged: Path | None = None,
        path: Path | None = None,
    ) -> None:
        """Record that the lot look-up's list left the program as a file (audited export).
        Given the file written whole under a temporary name (``staged``) and where it goes
        (``path``), it is renamed into place in the transaction that records it: the list is
        on disk if and only if the export is audited (RELIABILITY row 37)."""
        require(self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity="lot")

        def record() -> None:
            audit.append(
                self.db,
                user.actor,
                "export",
                "lot",
                lot.strip()[:60],
                {"treatments": treatments, "patients": patients, "format": "csv"},
            )

        if staged is not None and path is not None:
            place_recorded(self.db, staged, path, record)
            return
        with write_transaction(self.db):
            record()
