"""The changes sync parked instead of overwriting anything (``storage.sync_state``): listed for
clinicians and administrators (run sync, resolve conflicts), and marked resolved once someone
has saved the value they chose as a normal, audited edit of the record.

Safe to use in the GUI process: it reads the clinic database through the ordinary connection
and never touches the sync engine (APSW).
"""

from __future__ import annotations

from clinicdesk.domain.ids import utc_now
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import ConcurrentEdit, UserError
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.sync_state import SyncConflict, SyncConflictRepository


class ConflictService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.repo = SyncConflictRepository(db)

    def conflicts(self, user: CurrentUser, *, include_resolved: bool = False) -> list[SyncConflict]:
        require(self.db, user, Permission.RUN_SYNC, entity="sync_conflict")
        return self.repo.conflicts(include_resolved=include_resolved)

    def mark_resolved(self, user: CurrentUser, conflict_id: str) -> SyncConflict:
        """Mark a parked conflict resolved (the chosen value was saved as a normal edit)."""
        require(self.db, user, Permission.RUN_SYNC, entity="sync_conflict", entity_id=conflict_id)
        with write_transaction(self.db):
            conflict = self.repo.conflict(conflict_id)
            if conflict is None:
                raise UserError(f"There is no parked sync conflict {conflict_id}.")
            if conflict.status == "resolved":
                return conflict
            if not self.repo.mark_resolved(conflict, user.actor, utc_now()):
                raise ConcurrentEdit("sync conflict", conflict, self.repo.conflict(conflict_id))
            audit.append(
                self.db,
                user.actor,
                "resolve",
                "sync_conflict",
                conflict_id,
                {"table": conflict.table_name, "columns": conflict.columns},
            )
        resolved = self.repo.conflict(conflict_id)
        assert resolved is not None
        return resolved
