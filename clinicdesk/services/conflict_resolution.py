"""Resolving a change sync parked: the value the clinician chose (one of the two, or one they
typed) is saved as a normal, audited edit through the record's own service, then the conflict
is marked resolved (``ConflictService.mark_resolved``). Both happen as this user, and both sync
like any other change.

Patient demographics are saved here (``PatientService.update``). A conflict on another kind of
record is resolved in that record's own screen; ``mark_resolved`` then closes it. A delete (an
archive) that met an edit elsewhere kept the edit: the clinician says whether to archive now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinicdesk.errors import UserError
from clinicdesk.services.conflicts import ConflictService
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.session import CurrentUser
from clinicdesk.storage.sync_state import SyncConflict

EDITABLE_TABLES = frozenset({"patients"})


@dataclass(frozen=True)
class ConflictView:
    """One parked conflict as the Conflicts screen shows it."""

    conflict: SyncConflict
    patient_name: str
    hub_by: str
    incoming_by: str

    @property
    def editable(self) -> bool:
        return self.conflict.table_name in EDITABLE_TABLES and self.conflict.kind == "edit"


def shown(value: Any) -> str:
    return "" if value is None else str(value)


class ConflictResolution:
    def __init__(self, services: ClinicServices) -> None:
        self.services = services
        self.conflicts = ConflictService(services.db)

    def open_conflicts(self, user: CurrentUser) -> list[ConflictView]:
        names: dict[str, str] = {u.id: u.display_name for u in self.services.clinic.repo.users()}
        found = []
        for c in self.conflicts.conflicts(user):
            patient = self.services.patients.repo.get(c.patient_id) if c.patient_id else None
            name = patient.display_name if patient is not None else ""
            found.append(
                ConflictView(
                    c,
                    name,
                    names.get(c.hub_updated_by, c.hub_updated_by),
                    names.get(c.incoming_updated_by, c.incoming_updated_by),
                )
            )
        return found

    def save_values(self, user: CurrentUser, conflict_id: str, values: dict[str, str]) -> None:
        """Save ``values`` (column -> text) to the record as ``user``'s edit, then mark the
        conflict resolved."""
        conflict = self._open(conflict_id)
        if conflict.table_name not in EDITABLE_TABLES:
            raise UserError("Change this record in its own tab, then choose Mark resolved here.")
        patients = self.services.patients
        current = patients.get(user, conflict.row_id)
        form = current.details.as_form() | {
            k: v for k, v in values.items() if k in conflict.columns
        }
        patients.update(user, current.id, current.version, form)
        self.conflicts.mark_resolved(user, conflict_id)

    def settle_delete(self, user: CurrentUser, conflict_id: str, *, archive: bool) -> None:
        """A delete that met an edit: the edit was kept; archive the record now, or keep it."""
        conflict = self._open(conflict_id)
        if archive:
            if conflict.table_name != "patients":
                raise UserError("Archive this record in its own tab, then choose Mark resolved.")
            current = self.services.patients.get(user, conflict.row_id)
            if not current.archived:
                self.services.patients.set_archived(user, current.id, current.version, True)
        self.conflicts.mark_resolved(user, conflict_id)

    def mark_resolved(self, user: CurrentUser, conflict_id: str) -> None:
        self.conflicts.mark_resolved(user, conflict_id)

    def _open(self, conflict_id: str) -> SyncConflict:
        conflict = self.conflicts.repo.conflict(conflict_id)
        if conflict is None or conflict.status != "open":
            raise UserError("This conflict was resolved meanwhile (perhaps at another site).")
        return conflict
