"""Reading the audit trail: the admin's view and export, its check, and a patient's access log.

The whole trail is for admins (``AUDIT_TRAIL``): it names patients and who did what. A
patient's access log (who opened this record and when) is for clinicians and admins
(``PATIENT_ACCESS_LOG``); it is read as part of opening the record, which is itself audited,
so reading it adds no entry of its own. Reading the trail, checking it and exporting it are
audited (``view``, ``verify`` and ``export`` on ``audit_log``), after the read, so a check
reports the trail as it was found. Audit details hold which filters were used, never what was
typed into them (a name is a patient identifier).

Times are stored in UTC and shown in the clinic's local time; a date filter means whole local
days, ``date_to`` included.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from clinicdesk.domain.ids import UserId
from clinicdesk.domain.roles import Permission, Role
from clinicdesk.domain.text import spreadsheet_safe
from clinicdesk.errors import PermissionDenied, UserError
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit, audit_anchor, audit_check
from clinicdesk.storage.audit import AuditEntry, Position
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.clinical import ClinicalRepository
from clinicdesk.storage.database import Database, open_database
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.recorded_files import place_recorded

AUDIT_ENTITY = "audit_log"
PAGE_SIZE = 200
ACCESS_LOG_LIMIT = 500
PATIENT_SEARCH_LIMIT = 200

ACTION_LABELS: dict[str, str] = {
    "login": "Signed in",
    "login_failed": "Sign-in failed",
    "view": "Viewed",
    "create": "Created",
    "update": "Changed",
    "archive": "Archived",
    "restore": "Restored",
    "backup": "Backed up",
    "denied": "Refused",  # the detail says which permission was missing
    "print": "Printed",
    "generate": "Document made",
    "export": "Exported",
    "import": "Imported",
    "verify": "Checked",
    "anchor": "Anchored",
    "override": "Overridden",
    "sign": "Signed",
    "withdraw": "Withdrawn",
    "disable": "Disabled",
    "enable": "Enabled",
    "reset_password": "Password reset",
    "change_password": "Password changed",
    "change_password_failed": "Password change failed",
    "create_clinic": "Clinic created",
    "sync_merge": "Merged by sync",
}
ENTITY_LABELS: dict[str, str] = {
    "patient": "Patient",
    "medical_history": "Medical history",
    "classification": "Classification",
    "user": "User",
    "clinic": "Clinic",
    "audit_log": "Audit trail",
    "permission": "Permission",
    "document": "Document",
    "documents": "Document log",
    "consent": "Consent",
    "photo": "Photo",
    "clinic_data": "Clinic data",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CSV_COLUMNS = ("Entry", "Time", "User", "Action", "Entity", "Record", "Details", "UTC time")


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action) or action.replace("_", " ").capitalize()


def entity_label(entity: str) -> str:
    return ENTITY_LABELS.get(entity) or entity.replace("_", " ").capitalize()


def format_local(moment: datetime) -> str:
    """How audit times are shown: 03/07/2025 14:05 (local time)."""
    return moment.strftime("%d/%m/%Y %H:%M")


@dataclass(frozen=True)
class AuditFilter:
    """What the admin asked to see. ``patient`` is a record id or text to search patients by
    (name, date of birth, NHS number...); empty filters match everything."""

    patient: str = ""
    user_id: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive

    def used(self) -> list[str]:
        """Which filters are set (for the audit detail; never their values)."""
        names = {
            "patient": bool(self.patient.strip()),
            "user": self.user_id is not None,
            "action": self.action is not None,
            "date_from": self.date_from is not None,
            "date_to": self.date_to is not None,
        }
        return [name for name, used in names.items() if used]


@dataclass(frozen=True)
class AuditRow:
    """One audit entry as an admin reads it."""

    seq: int
    at: str  # as stored: UTC ISO 8601
    local_time: datetime
    user_id: str
    user_name: str
    action: str
    entity: str
    entity_id: str
    record: str  # the patient's (or user's) name, when the entry is about one
    details: str
    position: Position = ("", "", 0)  # where it stands in the trail (for paging)

    @property
    def when(self) -> str:
        return format_local(self.local_time)

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def entity_label(self) -> str:
        return entity_label(self.entity)


@dataclass(frozen=True)
class AccessEvent:
    """Someone opened a patient's record."""

    seq: int
    local_time: datetime
    user_id: str
    user_name: str
    role: str

    @property
    def when(self) -> str:
        return format_local(self.local_time)


@dataclass(frozen=True)
class SiteStatus:
    """One site's chain in a check: its name, how many entries, how many problems."""

    name: str
    entries: int
    problems: int

    def line(self) -> str:
        """ "Main clinic: 1,234 entries intact" or "Satellite clinic: 57 entries, 2 problems"."""
        if not self.problems:
            return f"{self.name}: {self.entries:,} entries intact"
        n = self.problems
        return f"{self.name}: {self.entries:,} entries, {n} problem{'s' if n != 1 else ''}"


@dataclass(frozen=True)
class ChainCheck:
    """The result of ``verify``: how many entries were checked and what is wrong. Each problem
    of a site's chain names the site when the trail holds several (``sites``)."""

    entries: int
    problems: list[str] = field(default_factory=list)
    sites: list[SiteStatus] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.intact:
            return f"Audit trail intact: {self.entries:,} entries"
        n = len(self.problems)
        return (
            f"The audit trail has been tampered with: {n} problem{'s' if n != 1 else ''} "
            f"in {self.entries:,} entries"
        )

    def site_lines(self) -> list[str]:
        """One line per site's chain, when the trail holds more than one (else none)."""
        return [site.line() for site in self.sites] if len(self.sites) > 1 else []


NOT_OWN_PATIENT = (
    "The access log shows only for your own patients: those you have consulted, treated, "
    "assessed or photographed, or taken consent from."
)


class NotOwnPatient(PermissionDenied):
    """A clinician asked for the access log of someone else's patient."""


HUB_DATABASE = "hub.db"  # the hub's database in its folder (clinicdesk.sync.engine.HubFolder)


def _check_trail(db: Database, entries: int) -> ChainCheck:
    """Each site's chain (seals, links, its head in the database and in the anchor file),
    then the records the entries sealed (patients, consultations, treatments, adverse
    events)."""
    trail = audit_check.verify_sites(db)
    problems = trail.all_problems() + audit_check.verify_records(db)
    sites = [SiteStatus(c.name, c.entries, len(c.problems)) for c in trail.sites]
    return ChainCheck(entries, problems, sites)


class AuditService:
    def __init__(self, db: Database, local_zone: tzinfo | None = None) -> None:
        self.db = db
        self.users_repo = ClinicRepository(db)
        self.patients_repo = PatientRepository(db)
        self.clinical_repo = ClinicalRepository(db)
        self.local_zone = local_zone  # None: the computer's own time zone

    # -- checking -------------------------------------------------------------------------

    def verify(self, user: CurrentUser) -> ChainCheck:
        """Check the whole trail (admins only); the check itself is audited afterwards."""
        require(self.db, user, Permission.AUDIT_TRAIL, entity=AUDIT_ENTITY)
        entries = audit.count(self.db)
        # Each site's chain (seals, links, its head in the database and in the anchor file),
        # then the records the entries sealed (patients, consultations, treatments, adverse
        # events).
        check = _check_trail(self.db, entries)
        audit.record(
            self.db, user.actor, "verify", AUDIT_ENTITY, "", {"problems": len(check.problems)}
        )
        return check

    def verify_hub(self, user: CurrentUser, hub_dir: Path, data_key: bytes | None) -> ChainCheck:
        """Check the trail of the clinic's hub in ``hub_dir`` (every site's chain, against the
        hub's anchor file beside its database), read-only, as ``verify`` checks this
        installation's; admins only; audited here."""
        require(self.db, user, Permission.AUDIT_TRAIL, entity=AUDIT_ENTITY)
        database = hub_dir / HUB_DATABASE
        if not database.is_file():
            raise UserError(
                f"No hub was found at {hub_dir} (it has no {HUB_DATABASE}): check that the "
                "hub's folder is reachable (the network share is connected)."
            )
        hub = open_database(database, data_key, read_only="The hub is only being checked.")
        try:
            check = _check_trail(hub, audit.count(hub))
        finally:
            hub.close()
        audit.record(
            self.db,
            user.actor,
            "verify",
            AUDIT_ENTITY,
            "",
            {"problems": len(check.problems), "hub": str(hub_dir)},
        )
        return check

    def anchor(self, user: CurrentUser) -> int:
        """Anchor the trail as it stands, when the anchor file was lost or damaged and no backup
        holds it (administrators only; audited). Returns the entry anchored. A sound anchor is
        never replaced: that would hide entries cut from the end."""
        require(self.db, user, Permission.AUDIT_TRAIL, entity=AUDIT_ENTITY)
        seq = audit_anchor.reanchor(self.db)
        audit.record(self.db, user.actor, "anchor", AUDIT_ENTITY, "", {"entry": seq})
        return seq

    # -- the admin's view -------------------------------------------------------------------

    def users(self, user: CurrentUser) -> list[tuple[UserId, str]]:
        """Everyone who may appear in the trail (disabled accounts too), for the user filter."""
        require(self.db, user, Permission.AUDIT_TRAIL, entity=AUDIT_ENTITY)
        return [(u.id, u.display_name) for u in self.users_repo.users()]

    def count(self, user: CurrentUser, filters: AuditFilter) -> int:
        require(self.db, user, Permission.AUDIT_TRAIL, entity=AUDIT_ENTITY)
        return audit.count(self.db, **self._query(filters))

    def entries(
        self,
        user: CurrentUser,
        filters: AuditFilter,
        *,
        before: Position | None = None,
        limit: int = PAGE_SIZE,
    ) -> list[AuditRow]:
        """Matching entries, newest first (in time order across sites), ``limit`` at a time:
        pass the last one's ``position`` as ``before`` for the next page. Reading the first
        page is audited as a view."""
        require(self.db, user, Permission.AUDIT_TRAIL, entity=AUDIT_ENTITY)
        found = audit.entries(
            self.db, **self._query(filters), before=before, limit=limit, newest_first=True
        )
        rows = self._rows(found)
        if before is None:
            audit.record(self.db, user.actor, "view", AUDIT_ENTITY, "", {"filters": filters.used()})
        return rows

    def export_csv(self, user: CurrentUser, filters: AuditFilter, path: Path) -> int:
        """Write every matching entry, newest first, to a CSV file; returns how many.

        Written to a temporary name and renamed in the transaction that records the export,
        so a failed write leaves no partial file and an export that happened is audited.
        """
        require(self.db, user, Permission.AUDIT_TRAIL, entity=AUDIT_ENTITY)
        temporary = path.with_name(f".{path.name}.partial")
        written = 0
        try:
            with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(CSV_COLUMNS)
                for row in self._iter_rows(filters):
                    writer.writerow(
                        [
                            str(row.seq),
                            row.when,
                            spreadsheet_safe(row.user_name),
                            row.action_label,
                            row.entity_label,
                            spreadsheet_safe(row.record),
                            spreadsheet_safe(row.details),
                            row.at,
                        ]
                    )
                    written += 1
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise UserError(
                f"The audit trail could not be written to {path}: {exc.strerror or exc}."
            ) from exc
        place_recorded(
            self.db,
            temporary,
            path,
            lambda: audit.append(
                self.db,
                user.actor,
                "export",
                AUDIT_ENTITY,
                "",
                {"rows": written, "format": "csv", "filters": filters.used()},
            ),
        )
        return written

    # -- a patient's access log -------------------------------------------------------------

    def may_see_access_log(self, user: CurrentUser, patient_id: str) -> bool:
        """Administrators see every record's access log; a clinician only their own patients'
        (DESIGN.md roles table); reception none. Not audited: the window asks before loading."""
        if not user.may(Permission.PATIENT_ACCESS_LOG):
            return False
        if user.role is Role.CLINICIAN:
            return self.clinical_repo.has_cared_for(user.id, patient_id)
        return True

    def patient_access(self, user: CurrentUser, patient_id: str) -> list[AccessEvent]:
        """Who opened this patient's record and when, newest first (the latest
        ``ACCESS_LOG_LIMIT``). Part of opening the record, so not audited again."""
        require(
            self.db, user, Permission.PATIENT_ACCESS_LOG, entity="patient", entity_id=patient_id
        )
        if not self.may_see_access_log(user, patient_id):
            audit.record(
                self.db,
                user.actor,
                "denied",
                "patient",
                patient_id,
                {"needs": "own patient"},
            )
            raise NotOwnPatient(NOT_OWN_PATIENT)
        people = {u.id: u for u in self.users_repo.users()}
        events = []
        for entry in audit.iter_entries(
            self.db,
            entity="patient",
            entity_id=patient_id,
            action="view",
            newest_first=True,
            limit=ACCESS_LOG_LIMIT,
        ):
            who = people.get(UserId(entry.user_id))
            events.append(
                AccessEvent(
                    entry.seq,
                    self._local(entry.at),
                    entry.user_id,
                    who.display_name if who else "Unknown user",
                    who.role.capitalize() if who else "",
                )
            )
        return events

    # -- helpers ----------------------------------------------------------------------------

    def _local(self, stamp: str) -> datetime:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return moment.astimezone(self.local_zone)

    def _utc_stamp(self, day: date) -> str:
        """Local midnight at the start of ``day`` as a stored UTC timestamp."""
        local = datetime.combine(day, time())
        aware = local.replace(tzinfo=self.local_zone) if self.local_zone else local.astimezone()
        return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _query(self, filters: AuditFilter) -> dict[str, Any]:
        query: dict[str, Any] = {
            "user_id": filters.user_id,
            "action": filters.action,
            "since": self._utc_stamp(filters.date_from) if filters.date_from else None,
            "until": (
                self._utc_stamp(filters.date_to + timedelta(days=1)) if filters.date_to else None
            ),
        }
        text = filters.patient.strip()
        if text:
            if _UUID.match(text.lower()):
                query["patient_ids"] = [text.lower()]
            else:
                found = self.patients_repo.search(
                    text, limit=PATIENT_SEARCH_LIMIT, include_archived=True
                )
                query["patient_ids"] = [p.id for p in found]
        return query

    def _iter_rows(self, filters: AuditFilter) -> Iterator[AuditRow]:
        batch: list[AuditEntry] = []
        for entry in audit.iter_entries(self.db, **self._query(filters), newest_first=True):
            batch.append(entry)
            if len(batch) >= PAGE_SIZE:
                yield from self._rows(batch)
                batch = []
        yield from self._rows(batch)

    def _rows(self, found: Iterable[AuditEntry]) -> list[AuditRow]:
        people = {u.id: u.display_name for u in self.users_repo.users()}
        names: dict[str, str] = {}

        def patient_name(patient_id: str) -> str:
            if patient_id not in names:
                patient = self.patients_repo.get(patient_id)
                names[patient_id] = patient.display_name if patient else ""
            return names[patient_id]

        rows = []
        for entry in found:
            detail = dict(entry.detail)
            record = ""
            if entry.entity == "user":
                record = people.get(UserId(entry.entity_id), "")
            elif isinstance(detail.get("patient"), str):
                record = patient_name(detail["patient"])
            elif entry.entity_id:
                # The patient's own entries, and refusals, which name the patient asked about.
                record = patient_name(entry.entity_id)
            if record and "patient" in detail:
                del detail["patient"]
            if entry.user_id == "unknown":
                user_name = "(user name not known)"
            else:
                user_name = people.get(UserId(entry.user_id), "Unknown user")
            rows.append(
                AuditRow(
                    seq=entry.seq,
                    at=entry.at,
                    local_time=self._local(entry.at),
                    user_id=entry.user_id,
                    user_name=user_name,
                    action=entry.action,
                    entity=entry.entity,
                    entity_id=entry.entity_id,
                    record=record,
                    details=describe_detail(detail),
                    position=entry.position,
                )
            )
        return rows


def describe_detail(detail: dict[str, Any]) -> str:
    """An audit entry's detail in words, as the audit trail and the subject access export
    show it: ``{"fields": ["phone", "email"], "rows": 3}`` -> ``fields: phone, email; rows: 3``."""
    parts = []
    for key, value in sorted(detail.items()):
        if isinstance(value, list | tuple):
            shown = ", ".join(str(v).replace("_", " ") for v in value) or "none"
        else:
            shown = str(value).replace("_", " ")
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


def unrecorded_count(db: Database) -> int:
    """Audit entries waiting in memory because none could be written (a full disk, a read-only
    database): the GUI writes them when space returns; a command that ends loses them."""
    return audit.pending(db)


def unrecorded_reason(db: Database) -> str | None:
    """Why audit entries could not be written (``None``: they all were)."""
    return audit.pending_reason(db)
