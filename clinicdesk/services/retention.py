"""Erasure requests and the retention schedule (CLINICAL.md "Data protection"; DESIGN.md:
erasure and retention are the administrator's).

An erasure request, at once:

- ends the patient's marketing: every granted marketing scope of their photo consents is
  withdrawn, and every photo of theirs is marked not for marketing from today. The photos
  themselves stay: a photo's ``consent_scope`` is the *widest* consent in force when it was
  taken, and the clinical-record scope is always part of it, so each photo is also part of the
  clinical record, which must be kept; only its marketing use ends. The schema holds no other
  marketing data (no contact preferences).
- restricts the record: it leaves the patient list, search, the follow-up list and the
  duplicate NHS number check for every role; only an administrator opens it, after giving a
  reason, which is audited (``open_restricted``).
- keeps the record until its retention date (``domain.retention``), shown on the schedule.

Nothing is destroyed on its own. ``destroy`` (an administrator, once the date has passed)
removes every row of the patient except the audit log's, their search entry, photo originals,
consent scans and signatures, and the cached display copies and thumbnails, with
``secure_delete`` on (SQLCipher's default for an encrypted database; set here all the same),
so what is freed is overwritten with zeros, the search index merged and the write-ahead log
checkpointed and emptied: the name is in no free page and no old log frame
(tests/reliability/test_erasure_residue.py decrypts every page to check). A stub
(``destroyed_records``) and audit entries say which record ids were destroyed under the
retention schedule, and nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.retention import (
    RETENTION_YEARS_SETTING,
    destruction_due_on,
    retention_years,
    validate_reason,
    validate_retention_years,
)
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import NotFound, UserError
from clinicdesk.paths import Paths
from clinicdesk.services.clinic import save_setting
from clinicdesk.services.patients import existing_patient
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.audit import DESTROY_ACTION
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.database import Database, StorageError, write_transaction
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.photos import PhotoRepository
from clinicdesk.storage.retention import ErasureRequest, RetentionRepository, RetentionRow

log = logging.getLogger(__name__)

ENTITY = "patient"
BASIS = "retention schedule"

__all__ = ["DestroyOutcome", "ErasureOutcome", "RetentionService", "ScheduleEntry"]


@dataclass(frozen=True)
class ScheduleEntry:
    """A record on the retention schedule."""

    patient_id: str
    name: str
    date_of_birth: date
    last_activity: date  # the registration day when there is no clinical entry
    last_treatment: date | None
    due_on: date
    due: bool  # the date has passed: it may be destroyed
    request: ErasureRequest | None

    @property
    def restricted(self) -> bool:
        return self.request is not None


@dataclass(frozen=True)
class ErasureOutcome:
    marketing_scopes_withdrawn: int
    photos_marked_not_for_marketing: int
    due_on: date


@dataclass(frozen=True)
class DestroyOutcome:
    rows: int
    files: int
    files_left: list[str]  # files that could not be removed (with why)
    compacted: bool  # the write-ahead log was checkpointed and emptied


class RetentionService:
    def __init__(self, db: Database, paths: Paths, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.paths = paths
        self.today = today
        self.repo = RetentionRepository(db)
        self.patients = PatientRepository(db)
        self.settings = ClinicRepository(db)

    # -- the setting ----------------------------------------------------------------------

    def retention_years(self) -> int:
        return retention_years(self.settings.setting(RETENTION_YEARS_SETTING))

    def set_retention_years(self, user: CurrentUser, text: str) -> int:
        require(self.db, user, Permission.INFORMATION_GOVERNANCE, entity="setting")
        years = validate_retention_years(text)
        save_setting(
            self.db, self.settings, user, RETENTION_YEARS_SETTING, str(years), {"years": years}
        )
        return years

    # -- erasure requests -----------------------------------------------------------------

    def request_erasure(self, user: CurrentUser, patient_id: str, reason: str) -> ErasureOutcome:
        """Record the patient's erasure request (see the module's description). The reason
        is kept with the request (and destroyed with the record), not in the audit log."""
        require(
            self.db, user, Permission.INFORMATION_GOVERNANCE, entity=ENTITY, entity_id=patient_id
        )
        reason = validate_reason(reason)
        today = self.today()
        with write_transaction(self.db):
            patient = existing_patient(self.patients, patient_id)
            if self.repo.is_restricted(patient.id):
                raise UserError(
                    "This record already has an erasure request: it is restricted and on the "
                    "list of Records due for destruction."
                )
            self.repo.add_request(patient.id, today, reason, user.actor)
            scopes = self.repo.withdraw_marketing_scopes(patient.id, today, user.actor)
            marked = PhotoRepository(self.db).mark_not_for_marketing(patient.id, today, user.actor)
            due_on = self._entry(patient).due_on
            audit.append(
                self.db,
                user.actor,
                "erasure_request",
                ENTITY,
                patient.id,
                {
                    "marketing_scopes_withdrawn": scopes,
                    "photos_marked_not_for_marketing": marked,
                    "destruction_due_on": due_on.isoformat(),
                },
            )
        return ErasureOutcome(scopes, marked, due_on)

    def is_restricted(self, patient_id: str) -> bool:
        return self.repo.is_restricted(patient_id)

    def open_restricted(self, user: CurrentUser, patient_id: str, reason: str) -> Patient:
        """An administrator opens a restricted record, saying why (audited with the reason)."""
        require(
            self.db, user, Permission.INFORMATION_GOVERNANCE, entity=ENTITY, entity_id=patient_id
        )
        reason = validate_reason(reason)
        patient = existing_patient(self.patients, patient_id)
        with write_transaction(self.db):
            audit.append(
                self.db, user.actor, "open_restricted", ENTITY, patient.id, {"reason": reason}
            )
        return patient

    # -- the schedule ---------------------------------------------------------------------

    def entry(self, user: CurrentUser, patient_id: str) -> ScheduleEntry:
        """One record's retention date (and whether it is restricted)."""
        require(
            self.db, user, Permission.INFORMATION_GOVERNANCE, entity=ENTITY, entity_id=patient_id
        )
        return self._entry(existing_patient(self.patients, patient_id))

    def schedule(self, user: CurrentUser) -> list[ScheduleEntry]:
        """Restricted records (with their dates) and every record whose date has passed, the
        soonest due first."""
        require(self.db, user, Permission.INFORMATION_GOVERNANCE, entity="retention")
        years, today = self.retention_years(), self.today()
        entries = [_entry(row, years, today) for row in self.repo.rows()]
        listed = [e for e in entries if e.due or e.restricted]
        return sorted(listed, key=lambda e: (e.due_on, e.name.casefold(), e.patient_id))

    def _entry(self, patient: Patient) -> ScheduleEntry:
        last_activity, last_treatment = self.repo.last_dates(patient.id)
        row = RetentionRow(
            patient.id,
            patient.details.first_name,
            patient.details.last_name,
            patient.details.date_of_birth,
            date.fromisoformat(patient.created_at[:10]),
            last_activity,
            last_treatment,
            self.repo.request_for(patient.id),
        )
        return _entry(row, self.retention_years(), self.today())

    # -- destruction ----------------------------------------------------------------------

    def destroy(self, user: CurrentUser, patient_id: str) -> DestroyOutcome:
        """Destroy the record whose retention date has passed (see the module's description).
        Refused (``UserError``, nothing changed) before that date."""
        require(
            self.db, user, Permission.INFORMATION_GOVERNANCE, entity=ENTITY, entity_id=patient_id
        )
        if self.repo.was_destroyed(patient_id):
            raise NotFound("That record was already destroyed under the retention schedule.")
        conn = self.db.conn
        previous = conn.execute("PRAGMA secure_delete").fetchone()[0]
        conn.execute("PRAGMA secure_delete = ON")
        try:
            with write_transaction(self.db):
                entry = self._entry(existing_patient(self.patients, patient_id))
                if not entry.due:
                    raise UserError(
                        f"This record must be kept until {format_uk(entry.due_on)} "
                        f"({self.retention_years()} years after its last treatment or visit, "
                        f"on {format_uk(entry.last_activity)}). Nothing was destroyed."
                    )
                photos, consent_files = self.repo.file_hashes(patient_id)
                sealed = self.repo.sealed_records(patient_id)
                rows = self.repo.destroy(patient_id, user.actor, BASIS)
                named = self.repo.still_named(photos, consent_files)
                # One entry per record the audit log sealed (verify then expects it gone), the
                # patient's last, with how many rows went. Ids only: no one is named.
                for entity, record_id in sorted(sealed, key=lambda found: found[0] == ENTITY):
                    detail: dict[str, object] = {"basis": BASIS}
                    detail |= {"rows": rows} if entity == ENTITY else {"patient": patient_id}
                    audit.append(self.db, user.actor, DESTROY_ACTION, entity, record_id, detail)
        finally:
            conn.execute(f"PRAGMA secure_delete = {int(previous)}")
        removed, left = self._remove_files(photos - named, consent_files - named)
        compacted = self._compact()
        log.info("destroyed a record: %d rows, %d files", rows, removed)
        return DestroyOutcome(rows, removed, left, compacted)

    def _remove_files(self, photos: set[str], consent_files: set[str]) -> tuple[int, list[str]]:
        targets: list[Path] = []
        for sha in photos:
            targets.append(self.paths.photos_dir / sha[:2] / sha)
            if self.paths.cache_dir.is_dir():
                targets.extend(kind / sha[:2] / sha for kind in self.paths.cache_dir.iterdir())
        targets.extend(self.paths.consent_files_dir / sha[:2] / sha for sha in consent_files)
        removed, left = 0, []
        for path in targets:
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                continue
            except OSError as exc:
                left.append(f"{path}: {exc.strerror or exc}")
        return removed, left

    def _compact(self) -> bool:
        """Fold the write-ahead log into the database and empty it: its frames still hold
        the pages as they were before the destruction. False when another connection kept it
        from finishing (SQLite finishes it when the last connection closes)."""
        try:
            busy = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except (sqlite3.OperationalError, StorageError) as exc:
            log.warning("could not compact the database after a destruction: %s", exc)
            return False
        return not busy


def _entry(row: RetentionRow, years: int, today: date) -> ScheduleEntry:
    last_activity = row.last_activity or row.registered_on
    due_on = destruction_due_on(last_activity, row.date_of_birth, years)
    return ScheduleEntry(
        row.patient_id,
        f"{row.first_name} {row.last_name}".strip(),
        row.date_of_birth,
        last_activity,
        row.last_treatment,
        due_on,
        due_on <= today,
        row.request,
    )
