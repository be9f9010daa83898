"""Subject access export: everything the clinic holds about one patient, in one zip file, for
an administrator answering a subject access request (UK GDPR: within one month).

Only administrators (``Permission.INFORMATION_GOVERNANCE``; a refusal is audited). The zip
(its layout is in ``README_TEXT``, which goes into it as README.txt) holds:

- ``summary.pdf``: a readable summary of every record, section by section, "None recorded."
  where there is nothing (``services.subject_access_summary``, ``documents.subject_access``);
- ``records/<table>.json``: every stored row about the patient, archived ones included, found
  from the schema (``storage.subject_rows``), so a table added later joins by itself;
- ``photos/``: every photograph, metadata-free (no EXIF, GPS, camera serial: ``media
  .export_copy``) and full size;
- ``consents/``: every signed consent form's scan and signature drawn on screen;
- ``access-log.csv``: every audit entry about the record (who opened or changed it, when);
- ``problems.txt``: the files held but left out, with why.

A photo or scan whose file is missing, or fails its integrity check (one flipped byte is
enough: the files are sealed with AES-GCM), is left out with the reason, in the summary and
in problems.txt, and the rest still goes. The zip is written under a temporary name beside
the destination, flushed, and renamed in the transaction that audits the export (``export`` on
the patient, with counts only): a failed or cancelled export leaves no file under the chosen
name, and an export that happened is audited. Nothing identifying goes into the log files.

The records are read in one transaction (one consistent moment of the record); the photos are
read and copied after it on a few threads (about 5 ms for an upright 12-megapixel JPEG, which
is copied without decoding). The GUI runs this on a worker with its own connection.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import tempfile
import threading
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from clinicdesk.documents.layout import ClinicDetails
from clinicdesk.documents.subject_access import (
    SubjectAccessSummary,
    render_subject_access_summary,
)
from clinicdesk.domain.consent import AttachmentFormat, Consent
from clinicdesk.domain.photos import Photo
from clinicdesk.domain.roles import Permission
from clinicdesk.domain.text import spreadsheet_safe
from clinicdesk.errors import UserError
from clinicdesk.media.export_copy import export_copy
from clinicdesk.media.ingest import ImageRejected
from clinicdesk.services.audit import action_label, describe_detail, entity_label
from clinicdesk.services.clinic_details import ClinicDetailsService
from clinicdesk.services.consents import ConsentService
from clinicdesk.services.patients import existing_patient
from clinicdesk.services.photos import PhotoService
from clinicdesk.services.reports import identity
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.services.subject_access_summary import AccessLine, Held, local_time, sections
from clinicdesk.storage import audit
from clinicdesk.storage.assessments import AssessmentRepository
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.clinical import ClinicalRepository
from clinicdesk.storage.consents import ConsentRepository
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.photos import PhotoRepository
from clinicdesk.storage.recorded_files import place_recorded
from clinicdesk.storage.sealed_files import SealBroken, SealedFileMissing, fsync_directory
from clinicdesk.storage.subject_rows import patient_rows

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]
KIND = "subject_access"
WORKERS = max(1, min(4, os.cpu_count() or 1))
MISSING = "the file is missing from the clinic's data folder (restore it from a backup)"
DAMAGED = "the file is damaged: it failed its integrity check (restore it from a backup)"
UNREADABLE = "the file could not be read as an image"
ACCESS_COLUMNS = ("Entry", "Time", "User", "Role", "Action", "Record", "Details", "UTC time")
README_TEXT = """\
Subject access export from ClinicDesk
=====================================

Everything the clinic holds about one patient, made on {made} by {by}.

summary.pdf       A readable summary of every record, section by section ("None recorded."
                  where there is nothing), and of the files left out.
records/          Every stored record about the patient, archived ones included, one JSON
                  file per kind of record (the database table it is kept in). Each file is a
                  list of records; each record is an object of field -> value as stored
                  (dates ISO 8601, times UTC; ids are the clinic's own). records/staff.json
                  names the staff and sites the records point at by id.
photos/           Every photograph, full size, as a JPEG with all metadata removed (no EXIF,
                  no GPS location, no camera serial number). Named visit date, view, and the
                  end of the photo's id (records/photos.json has its details).
consents/         The scanned signed consent forms and the signatures drawn on screen
                  (images have their metadata removed as photos do).
access-log.csv    Every entry of the clinic's audit trail about this record, oldest first:
                  who opened, changed, printed or exported it, and when (local time and UTC).
problems.txt      Files held on record that could not be included, and why.

Documents the clinic made for the patient (consent forms, information sheets, progress
reports) are logged, not kept: records/documents.json lists each, with the sha256 fingerprint
of the exact PDF given or printed.
"""


class ExportCancelled(UserError):
    """The person pressed Cancel: nothing was saved."""


@dataclass(frozen=True)
class LeftOut:
    what: str  # the file as the summary names it
    reason: str


@dataclass(frozen=True)
class SubjectAccessExport:
    path: Path
    files: int  # members of the zip
    photos: int  # photographs included
    left_out: tuple[LeftOut, ...]


class SubjectAccessService:
    def __init__(
        self,
        db: Database,
        clinic_details: ClinicDetailsService,
        photos: PhotoService,
        consents: ConsentService,
        today: Callable[[], date] = date.today,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.clinic_details = clinic_details
        self.photos = photos
        self.consents = consents
        self.today = today
        self.now = now  # the summary PDF's creation date

    def export_patient(
        self,
        user: CurrentUser,
        patient_id: str,
        out_zip: Path,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> SubjectAccessExport:
        """Write the patient's subject access zip to ``out_zip`` (see the module)."""
        require(
            self.db, user, Permission.INFORMATION_GOVERNANCE, entity="patient", entity_id=patient_id
        )
        out_zip = Path(out_zip)
        if out_zip.is_dir():
            raise UserError(
                f"{out_zip} is a folder: give the name of the zip file to write, such as "
                f"{out_zip / 'subject-access.zip'}. Nothing was saved."
            )
        if not out_zip.parent.is_dir():
            raise UserError(
                f"The folder {out_zip.parent} does not exist: choose another place for the "
                "export. Nothing was saved."
            )
        with write_transaction(self.db):
            held = self._gather(patient_id)
            clinic = self.clinic_details.printed(user.site_id)
        writer = _ZipWriter(out_zip, progress, cancelled)
        try:
            result = self._write(user, held, clinic, writer)
            place_recorded(
                self.db,
                writer.temporary,
                out_zip,
                lambda: audit.append(
                    self.db,
                    user.actor,
                    "export",
                    "patient",
                    held.patient.id,
                    {
                        "kind": KIND,
                        "files": result.files,
                        "photos": result.photos,
                        "left_out": len(result.left_out),
                    },
                ),
            )
        except BaseException:
            writer.discard()
            raise
        log.info(
            "subject access export written: %d files, %d left out",
            result.files,
            len(result.left_out),
        )
        return result

    # -- reading ----------------------------------------------------------------------------

    def _gather(self, patient_id: str) -> Held:
        patients = PatientRepository(self.db)
        patient = existing_patient(patients, patient_id)
        clinical = ClinicalRepository(self.db)
        consents = ConsentRepository(self.db)
        clinic = ClinicRepository(self.db)
        rows = patient_rows(self.db, patient.id)
        photo_repo = PhotoRepository(self.db)
        photos = [
            photo
            for row in rows.get("photos", [])
            if (photo := photo_repo.get(str(row["id"]), include_archived=True)) is not None
        ]
        photos.sort(key=lambda p: (p.visit_date, p.taken_at, p.id))
        users = clinic.users()
        people = {str(u.id): f"{u.display_name} ({u.role})" for u in users}
        names = {str(u.id): u for u in users}
        access: list[AccessLine] = []
        # The staff and sites the records and the access log point at, by id (no others).
        named = {str(v) for table in rows.values() for row in table for v in row.values()}
        for entry in audit.iter_entries(self.db, patient_ids=[patient.id]):
            named.add(entry.user_id)
            who = names.get(entry.user_id)
            detail = {k: v for k, v in entry.detail.items() if k != "patient"}
            access.append(
                AccessLine(
                    seq=entry.seq,
                    utc=entry.at,
                    local=local_time(entry.at),
                    user=who.display_name if who else "(user not known)",
                    role=who.role.capitalize() if who else "",
                    action=action_label(entry.action),
                    entity=entity_label(entry.entity),
                    details=describe_detail(detail),
                )
            )
        rows["staff"] = [
            {"id": u.id, "name": u.display_name, "role": u.role} for u in users if u.id in named
        ] + [{"id": s.id, "name": s.name, "kind": s.kind} for s in clinic.sites() if s.id in named]
        return Held(
            patient=patient,
            history=patients.get_medical_history(patient.id),
            classifications=patients.classifications(patient.id),
            consultations=clinical.consultations(patient.id),
            treatments=clinical.treatments(patient.id),
            adverse_events=clinical.adverse_events(patient.id),
            follow_ups=clinical.follow_ups(patient.id),
            assessments=AssessmentRepository(self.db).for_patient(patient.id),
            photos=photos,
            consents=consents.for_patient(patient.id),
            documents=consents.documents(patient.id),
            access=access,
            people=people,
            sites={s.id: s.name for s in clinic.sites()},
            rows=rows,
        )

    # -- writing ----------------------------------------------------------------------------

    def _write(
        self, user: CurrentUser, held: Held, clinic: ClinicDetails, zip_out: _ZipWriter
    ) -> SubjectAccessExport:
        attachments = _attachments(held.consents)
        zip_out.total = len(held.photos) + len(attachments) + 2
        left_out: list[LeftOut] = []
        for table, table_rows in held.rows.items():
            zip_out.add(f"records/{table}.json", _json(table_rows))
        zip_out.step()
        photo_files: dict[str, str] = {}
        for photo, copy in self._copies(held.photos, zip_out):
            label = _photo_label(photo)
            if isinstance(copy, str):
                left_out.append(LeftOut(f"Photograph, {label}", copy))
            else:
                name = f"photos/{label.replace(', ', '-').replace(' ', '_')}-{photo.id[-8:]}.jpg"
                zip_out.add(name, copy, compress=False)
                photo_files[photo.id] = name
            zip_out.step()
        for name, what, sha256, image in attachments:
            zip_out.check()
            data = self._attachment(sha256, held.patient.id, image)
            if isinstance(data, str):
                left_out.append(LeftOut(what, data))
            else:
                zip_out.add(name, data, compress=not image)
            zip_out.step()
        zip_out.add("access-log.csv", _access_csv(held.access))
        problems = [(item.what, item.reason) for item in left_out]
        summary = SubjectAccessSummary(
            clinic=clinic,
            patient=identity(held.patient),
            prepared_on=self.today(),
            prepared_by=user.display_name,
            introduction=(
                "This is everything the clinic holds about the patient named above, prepared "
                "in answer to a subject access request. The same records are in the folder "
                "records/ of this export in machine-readable form (see README.txt).",
            ),
            sections=sections(held, photo_files, problems),
        )
        zip_out.check()
        zip_out.add(
            "summary.pdf",
            render_subject_access_summary(summary, generated_at=self.now().astimezone(UTC)),
        )
        zip_out.add("problems.txt", _problems_text(left_out))
        made = f"{self.today():%d/%m/%Y}"
        zip_out.add("README.txt", README_TEXT.format(made=made, by=user.display_name).encode())
        zip_out.step()
        zip_out.finish()
        return SubjectAccessExport(
            zip_out.final, zip_out.members, len(photo_files), tuple(left_out)
        )

    def _copies(
        self, photos: Sequence[Photo], zip_out: _ZipWriter
    ) -> list[tuple[Photo, bytes | str]]:
        """Each photo's metadata-free copy, or why it cannot be included, in order. Made on
        ``WORKERS`` threads (reading, checking and copying release the GIL), a batch at a time
        so that few originals are held in memory and Cancel is seen between batches."""
        store = self.photos.store
        out: list[tuple[Photo, bytes | str]] = []

        def copy(photo: Photo) -> bytes | str:
            original = _read(lambda: store.get(photo.sha256, photo.patient_id))
            if isinstance(original, str):
                return original
            try:
                return export_copy(original)[0]
            except ImageRejected:
                return UNREADABLE

        with ThreadPoolExecutor(WORKERS, thread_name_prefix="subject-access") as pool:
            for start in range(0, len(photos), WORKERS * 2):
                zip_out.check()
                batch = photos[start : start + WORKERS * 2]
                out += zip(batch, pool.map(copy, batch), strict=True)
        return out

    def _attachment(self, sha256: str, patient_id: str, image: bool) -> bytes | str:
        data = _read(lambda: self.consents.store.get(sha256, patient_id))
        if isinstance(data, str) or not image:
            return data
        try:
            return export_copy(data)[0] if data[:3] == b"\xff\xd8\xff" else _strip_png(data)
        except ImageRejected:
            return UNREADABLE


class _ZipWriter:
    """The zip under a temporary name beside ``final``, with the progress and Cancel of the
    export; ``discard`` removes it."""

    def __init__(self, final: Path, progress: Progress | None, cancelled: Cancelled | None):
        self.final = final
        self.total = 1
        self.done = 0
        self.members = 0
        self._progress = progress
        self._cancelled = cancelled
        self._lock = threading.Lock()
        self._stamp = datetime.now().timetuple()[:6]
        try:
            fd, name = tempfile.mkstemp(
                dir=final.parent, prefix=f".{final.name}.", suffix=".partial"
            )
        except OSError as exc:
            raise _cannot_save(final, exc) from exc
        self.temporary = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._zip = zipfile.ZipFile(self._file, "w")

    def check(self) -> None:
        if self._cancelled is not None and self._cancelled():
            raise ExportCancelled("The export was cancelled. Nothing was saved.")

    def step(self) -> None:
        self.done += 1
        if self._progress is not None:
            self._progress(min(self.done, self.total), self.total)

    def add(self, name: str, data: bytes, *, compress: bool = True) -> None:
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        try:
            self._zip.writestr(info, data)
        except OSError as exc:
            raise _cannot_save(self.final, exc) from exc
        self.members += 1

    def finish(self) -> None:
        try:
            self._zip.close()
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        except OSError as exc:
            raise _cannot_save(self.final, exc) from exc
        fsync_directory(self.final.parent)

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self._zip.close()
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            self.temporary.unlink()


def _cannot_save(path: Path, exc: OSError) -> UserError:
    return UserError(f"Cannot save {path}: {exc.strerror or exc}. Nothing was saved.")


def _read(get: Callable[[], bytes]) -> bytes | str:
    try:
        return get()
    except SealedFileMissing:
        log.warning("subject access export: a file is missing")
        return MISSING
    except SealBroken as exc:
        log.warning("subject access export: a file failed its check (%s)", exc.reason)
        return DAMAGED


def _strip_png(data: bytes) -> bytes:
    from clinicdesk.media.ingest import display_copy

    return display_copy(data, max_side=1_000_000)


def _attachments(consents: Sequence[Consent]) -> list[tuple[str, str, str, bool]]:
    """(file in the zip, what the summary calls it, sha256, is an image) of each consent's
    scan and drawn signature."""
    found: list[tuple[str, str, str, bool]] = []
    for c in consents:
        day = (c.signed_on or c.prepared_on).isoformat()
        stem = f"consents/{day}-{c.kind.value}-{c.id[-8:]}"
        what = f"{c.kind.label} of {(c.signed_on or c.prepared_on):%d/%m/%Y}"
        if c.scan_sha256:
            image = c.scan_format is not AttachmentFormat.PDF
            suffix = {"PDF": "pdf", "PNG": "jpg", "JPEG": "jpg"}.get(str(c.scan_format), "bin")
            found.append((f"{stem}-scan.{suffix}", f"{what}: scanned form", c.scan_sha256, image))
        if c.signature_sha256:  # drawn in ClinicDesk: a PNG with no metadata
            found.append((f"{stem}-signature.png", f"{what}: signature", c.signature_sha256, False))
    return found


def _photo_label(photo: Photo) -> str:
    view = photo.view.value if photo.view else (photo.region.value if photo.region else "photo")
    return f"{photo.visit_date.isoformat()}, {view}"


def _json(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, indent=2, ensure_ascii=False, default=str).encode()


def _access_csv(lines: Sequence[AccessLine]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ACCESS_COLUMNS)
    for a in lines:
        writer.writerow(
            [
                str(a.seq),
                a.local,
                spreadsheet_safe(a.user),
                a.role,
                a.action,
                a.entity,
                spreadsheet_safe(a.details),
                a.utc,
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _problems_text(left_out: Sequence[LeftOut]) -> bytes:
    if not left_out:
        return b"No problems: every file the clinic holds about this patient is included.\n"
    lines = ["Files held on record but left out of this export, and why:", ""]
    lines += [f"- {item.what}: {item.reason}." for item in left_out]
    lines += ["", "Restore these files from a backup, then export again or send them apart."]
    return ("\n".join(lines) + "\n").encode()
