"""Follow-ups: a patient's list, booking and marking them, and reception's due list.

Follow-ups are everyone's work (DESIGN.md "Security model"), reception's above all. A treatment
creates its follow-ups and moves the open ones when its date changes (``services.clinical``);
here they are booked for a local date and time, marked attended, cancelled or did not attend,
and listed when due or overdue. Each change writes one audit entry in the same transaction and
is optimistic (a stale version raises ``ConcurrentEdit``); each list is one audited view.

``ClinicalService`` inherits these use cases from ``FollowUpUseCases``, so its callers keep
one clinical service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from clinicdesk.domain.clinical import clean_notes
from clinicdesk.domain.follow_ups import FollowUp, FollowUpStatus, parse_appointment
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import ConcurrentEdit, NotFound, ValidationError
from clinicdesk.services.patients import existing_patient
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.clinical import ClinicalRepository, DueFollowUp
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.patients import PatientRepository


class FollowUpUseCases:
    """The follow-up use cases of ``ClinicalService``, which sets the attributes below."""

    db: Database
    repo: ClinicalRepository
    patients: PatientRepository
    today: Callable[[], date]

    def follow_ups(self, user: CurrentUser, patient_id: str) -> list[FollowUp]:
        require(self.db, user, Permission.FOLLOW_UPS, entity="follow_ups", entity_id=patient_id)
        existing_patient(self.patients, patient_id)
        audit.record(self.db, user.actor, "view", "follow_ups", patient_id, {"patient": patient_id})
        return self.repo.follow_ups(patient_id)

    def book_follow_up(
        self,
        user: CurrentUser,
        follow_up_id: str,
        expected_version: int,
        when: str,
        notes: str | None = None,
    ) -> FollowUp:
        """Book (or rebook) a follow-up for the local date and time ``when``."""
        require(self.db, user, Permission.FOLLOW_UPS, entity="follow_up", entity_id=follow_up_id)
        booked_at = parse_appointment(when)
        return self._set_follow_up(
            user, follow_up_id, expected_version, FollowUpStatus.BOOKED, booked_at, notes, "book"
        )

    def set_follow_up_status(
        self,
        user: CurrentUser,
        follow_up_id: str,
        expected_version: int,
        status: FollowUpStatus | str,
        notes: str | None = None,
    ) -> FollowUp:
        """Mark a follow-up attended, cancelled or did not attend (booking: ``book_follow_up``).

        The booked time is kept, so the record shows which appointment was missed."""
        require(self.db, user, Permission.FOLLOW_UPS, entity="follow_up", entity_id=follow_up_id)
        try:
            new_status = FollowUpStatus(status)
        except ValueError:
            raise ValidationError({"status": "must be chosen from the list"}) from None
        if new_status in (FollowUpStatus.BOOKED, FollowUpStatus.NOT_BOOKED):
            raise ValidationError({"status": "is set by booking the follow-up"})
        return self._set_follow_up(
            user, follow_up_id, expected_version, new_status, None, notes, new_status.value
        )

    def _set_follow_up(
        self,
        user: CurrentUser,
        follow_up_id: str,
        expected_version: int,
        status: FollowUpStatus,
        booked_at: datetime | None,
        notes: str | None,
        action: str,
    ) -> FollowUp:
        with write_transaction(self.db):
            current = self._must_follow_up(follow_up_id)
            cleaned = current.notes if notes is None else clean_notes(notes)
            when = booked_at or current.booked_at
            if not self.repo.update_follow_up(
                follow_up_id, expected_version, status, when, cleaned, user.actor
            ):
                raise ConcurrentEdit("follow-up", (status, when, cleaned), current)
            audit.append(
                self.db,
                user.actor,
                "update",
                "follow_up",
                follow_up_id,
                {"patient": current.patient_id, "status": status.value, "step": action},
            )
        return self._must_follow_up(follow_up_id)

    def due_and_overdue(
        self, user: CurrentUser, today: date | None = None, within_days: int = 14
    ) -> list[DueFollowUp]:
        """Open follow-ups due within ``within_days`` of today or already overdue, earliest
        first, with the patient's name and phone (reception's list; audited as one view)."""
        require(self.db, user, Permission.FOLLOW_UPS, entity="follow_up_list")
        day = today or self.today()
        rows = self.repo.due_follow_ups(day + timedelta(days=max(within_days, 0)), day)
        audit.record(
            self.db,
            user.actor,
            "view",
            "follow_up_list",
            "",
            {"rows": len(rows), "within_days": within_days},
        )
        return rows

    def _must_follow_up(self, follow_up_id: str) -> FollowUp:
        found = self.repo.follow_up(follow_up_id)
        if found is None:
            raise NotFound("That follow-up does not exist; it may have been removed.")
        return found
