"""Checking the clinic's data: Admin > Check the clinic's data, and ``clinicdesk verify``.

One pass over everything the clinic keeps, each finding a ``Problem`` that says what is wrong,
which record or file, and what to do:

- the database file: ``PRAGMA integrity_check`` (the full check: the start-up check is the
  quicker ``quick_check``, which does not compare indexes with their tables) and
  ``PRAGMA foreign_key_check`` (a row naming a record that is not there);
- every photo original and every signed consent file (scan or drawn signature): present, and
  opening to the bytes whose sha256 names it (a missing file, a flipped byte, a file moved to
  another patient all fail here);
- files in those stores that no record names (an import stopped by a crash, a database
  restored from an older backup); a file written in the last few minutes is left out, as its
  import or signing may still be under way;
- the thumbnail and display cache: an entry that does not open is removed, to be made again
  from its original when next shown (nothing of the clinic's is lost, so it is no problem);
- the audit chain, against the anchor file beside the database.

Long work (STYLE.md 5): ``progress(done, total)`` and ``cancelled()`` let the GUI run it on a
worker with its own connection; a cancel also interrupts the integrity check itself. Where a
missing or damaged file can be had again, ``which_backup_holds(sha256)`` (from the backup
archives' manifests) names the backup that holds it. Administrators only; each run is audited
with its counts, and the log file gets counts only: the problems name photo, consent and
patient ids, which stay in the result shown to the administrator.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from clinicdesk.domain.roles import Permission
from clinicdesk.domain.words import plural
from clinicdesk.paths import Paths
from clinicdesk.services.consents import ConsentService
from clinicdesk.services.photos import ORPHAN_GRACE_SECONDS, PhotoService
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit, audit_check
from clinicdesk.storage.database import Database
from clinicdesk.storage.driver import sqlite3
from clinicdesk.storage.sealed_files import (
    ContentStore,
    SealBroken,
    SealedFileError,
    SealedFileMissing,
)

log = logging.getLogger(__name__)

ENTITY = "clinic_data"
Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]
WhichBackupHolds = Callable[[str], str | None]  # a file's sha256 -> the backup holding it
# A file no record names is an orphan once this old: an import or a signing writes its file
# first and its record within seconds.
RECENT_SECONDS = 300
# SQLite calls the cancel check every this many virtual-machine steps of the integrity check.
_INTERRUPT_EVERY = 10_000
RESTORE_DATABASE = (
    "Restore the latest backup (Admin > Backups), or contact support; until then save nothing "
    "you cannot enter again."
)
RESTORE_AUDIT = (
    "The audit trail was changed outside ClinicDesk, or the database was damaged: keep a copy "
    "of the data folder for investigation and restore the latest backup made before it."
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong. ``kind`` is stable for scripts (``--json``): database, foreign_key,
    photo_missing, photo_damaged, consent_file_missing, consent_file_damaged, orphan_photo,
    orphan_consent_file, audit."""

    kind: str
    what: str  # what is wrong, in plain words
    where: str  # which record or file
    action: str  # what to do
    patient_id: str | None = None
    record_id: str | None = None  # the photo's or consent's id
    file: str | None = None  # relative to the data folder
    backup: str | None = None  # the backup holding a lost file, when one here does

    def line(self) -> str:
        if self.file and self.file != self.where:
            return f"{self.what}: {self.where} ({self.file}). {self.action}"
        return f"{self.what}: {self.where}. {self.action}"


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    patients: int = 0
    photos: int = 0  # photo files checked
    consent_files: int = 0  # consent scans and drawn signatures checked
    audit_entries: int = 0
    cache_entries_rebuilt: int = 0  # damaged cache entries removed, made again when shown
    cancelled: bool = False

    @property
    def all_well(self) -> bool:
        return not self.problems and not self.cancelled

    def summary(self) -> str:
        if self.cancelled:
            return (
                f"The check was cancelled before the end; "
                f"{plural(len(self.problems), 'problem')} found so far."
            )
        if self.problems:
            return f"The clinic's data has {plural(len(self.problems), 'problem')}:"
        consent_files = plural(
            self.consent_files, "consent scan or signature", "consent scans and signatures"
        )
        return (
            f"All is well: {plural(self.patients, 'patient')}, "
            f"{plural(self.photos, 'photo')}, {consent_files}, "
            f"audit chain of {plural(self.audit_entries, 'entry', 'entries')} intact."
        )

    def rebuilt_note(self) -> str:
        if not self.cache_entries_rebuilt:
            return ""
        removed = plural(
            self.cache_entries_rebuilt,
            "damaged thumbnail or display copy",
            "damaged thumbnails or display copies",
        )
        return (
            f"{removed} "
            "removed from the cache; each is made again from its photo when next shown "
            "(nothing was lost)."
        )


class _Cancelled(Exception):
    pass


@dataclass(frozen=True)
class _StoredFile:
    sha256: str
    patient_id: str
    record_id: str
    label: str  # "photo", "consent scan", "consent signature"


class VerifyService:
    def __init__(self, db: Database, paths: Paths, data_key: bytes | None) -> None:
        self.db = db
        self.paths = paths
        self.photos = PhotoService(db, paths, data_key)
        self.consents = ConsentService(db, paths, data_key)

    def verify(
        self,
        user: CurrentUser,
        *,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        which_backup_holds: WhichBackupHolds | None = None,
    ) -> VerifyReport:
        """Check everything (see the module docstring); audited afterwards with the counts."""
        require(self.db, user, Permission.MANAGE_CLINIC, entity=ENTITY)
        report = VerifyReport()
        check = _Run(self, report, progress, cancelled, which_backup_holds or _no_backup)
        try:
            check.run()
        except _Cancelled:
            report.cancelled = True
        log.info(
            "clinic data check: %d problem(s), %d photo file(s), %d consent file(s), "
            "%d cache entries rebuilt%s",
            len(report.problems),
            report.photos,
            report.consent_files,
            report.cache_entries_rebuilt,
            ", cancelled" if report.cancelled else "",
        )
        kinds: dict[str, int] = {}
        for problem in report.problems:
            kinds[problem.kind] = kinds.get(problem.kind, 0) + 1
        audit.record(
            self.db,
            user.actor,
            "verify",
            ENTITY,
            "",
            {
                "problems": len(report.problems),
                "kinds": kinds,
                "photos": report.photos,
                "consent_files": report.consent_files,
                "cache_rebuilt": report.cache_entries_rebuilt,
                "cancelled": report.cancelled,
            },
        )
        return report


def _no_backup(_sha256: str) -> str | None:
    return None


class _Run:
    """One check: its steps, in order, with progress counted over all of them."""

    def __init__(
        self,
        service: VerifyService,
        report: VerifyReport,
        progress: Progress | None,
        cancelled: Cancelled | None,
        which_backup_holds: WhichBackupHolds,
    ) -> None:
        self.db = service.db
        self.paths = service.paths
        self.service = service
        self.report = report
        self._progress = progress
        self._cancelled = cancelled or (lambda: False)
        self._which_backup_holds = which_backup_holds
        self.done = 0
        self.total = 0

    # -- steps ------------------------------------------------------------------------------

    def run(self) -> None:
        photos = list(self._photo_files())
        consent_files = list(self._consent_files())
        # integrity, foreign keys, each file, the orphans, the cache, the audit chain
        self.total = 2 + len(photos) + len(consent_files) + 3
        self._step(0)
        self._check_integrity()
        self._step()
        self._check_foreign_keys()
        self._step()
        photo_store = self.service.photos.store
        for stored in photos:
            self._check_file(photo_store, stored, "photo")
            self._step()
        consent_store = self.service.consents.store
        for stored in consent_files:
            self._check_file(consent_store, stored, "consent_file")
            self._step()
        self.report.photos = len(photos)
        self.report.consent_files = len(consent_files)
        self._check_orphans(
            self.paths.photos_dir, {f.sha256 for f in photos}, "orphan_photo", self._photo_orphan
        )
        self._check_orphans(
            self.paths.consent_files_dir,
            {f.sha256 for f in consent_files},
            "orphan_consent_file",
            self._consent_orphan,
        )
        self._step()
        owners = {f.sha256: f.patient_id for f in photos}
        self.report.cache_entries_rebuilt = self.service.photos.drop_bad_cache_entries(owners)
        self._step()
        self._check_audit()
        self.report.patients = int(self.db.execute("SELECT count(*) FROM patients").fetchone()[0])
        self._step()

    def _step(self, by: int = 1) -> None:
        if self._cancelled():
            raise _Cancelled
        self.done += by
        if self._progress is not None:
            self._progress(self.done, self.total)

    def _check_integrity(self) -> None:
        conn = self.db.conn
        conn.set_progress_handler(lambda: 1 if self._cancelled() else 0, _INTERRUPT_EVERY)
        try:
            rows = [str(row[0]) for row in self.db.execute("PRAGMA integrity_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            if self._cancelled():
                raise _Cancelled from None
            rows = [str(exc)]
        finally:
            conn.set_progress_handler(None, 0)
        if rows == ["ok"]:
            return
        for row in rows:
            self._add("database", "The database file is damaged", row, RESTORE_DATABASE)

    def _check_foreign_keys(self) -> None:
        try:
            rows = self.db.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.DatabaseError as exc:  # too damaged to check: integrity said so
            log.warning("foreign key check failed: %s", type(exc).__name__)
            return
        columns: dict[tuple[str, int], str] = {}
        for table, rowid, parent, fkid in rows:
            if (table, fkid) not in columns:
                for fk in self.db.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
                    columns[(table, int(fk[0]))] = str(fk[3])
            column = columns.get((table, int(fkid)), "?")
            record_id, patient_id = self._row_ids(table, rowid)
            which = f"record {record_id}" if record_id else f"row {rowid}"
            self._add(
                "foreign_key",
                f"A {table} record names a {parent} record that is not there",
                f"{table} {which}, column {column}",
                "Part of the record is missing (changed outside ClinicDesk, or a partial "
                "restore). " + RESTORE_DATABASE,
                patient_id=patient_id,
                record_id=record_id,
            )

    def _row_ids(self, table: str, rowid: int | None) -> tuple[str | None, str | None]:
        if rowid is None:
            return None, None
        names = {str(c[1]) for c in self.db.execute(f'PRAGMA table_info("{table}")').fetchall()}
        wanted = [c for c in ("id", "patient_id") if c in names]
        if not wanted:
            return None, None
        row = self.db.execute(
            f'SELECT {", ".join(wanted)} FROM "{table}" WHERE rowid = ?', [rowid]
        ).fetchone()
        found = dict(zip(wanted, row, strict=True)) if row else {}
        return found.get("id"), found.get("patient_id")

    def _photo_files(self) -> Iterator[_StoredFile]:
        """Each photo file once (an archived photo imported again names the same file)."""
        seen: set[tuple[str, str]] = set()
        for photo_id, patient_id, sha256 in self.db.execute(
            "SELECT id, patient_id, sha256 FROM photos ORDER BY created_at, id"
        ):
            if (sha256, patient_id) not in seen:
                seen.add((sha256, patient_id))
                yield _StoredFile(sha256, patient_id, photo_id, "photo")

    def _consent_files(self) -> Iterator[_StoredFile]:
        """Each consent's scan and drawn signature once (a scan of a whole signed pack is
        attached to several consents)."""
        seen: set[tuple[str, str]] = set()
        for consent_id, patient_id, scan, signature in self.db.execute(
            "SELECT id, patient_id, scan_sha256, signature_sha256 FROM consents "
            "WHERE scan_sha256 IS NOT NULL OR signature_sha256 IS NOT NULL "
            "ORDER BY created_at, id"
        ):
            for sha256, label in ((scan, "consent scan"), (signature, "consent signature")):
                if sha256 and (sha256, patient_id) not in seen:
                    seen.add((sha256, patient_id))
                    yield _StoredFile(sha256, patient_id, consent_id, label)

    def _check_file(self, store: ContentStore, stored: _StoredFile, kind: str) -> None:
        try:
            store.get(stored.sha256, stored.patient_id)
            return
        except SealedFileMissing:
            state, what = "missing", f"The {stored.label} file is missing"
        except SealBroken:
            state = "damaged"
            what = (
                f"The {stored.label} file is damaged (its content no longer matches, or it "
                "was moved from another record)"
            )
        except SealedFileError as exc:
            state, what = "damaged", f"The {stored.label} file cannot be read ({exc.message})"
        relative = self._relative(store.path_of(stored.sha256))
        owner = "photo" if kind == "photo" else "consent"
        backup = self._which_backup_holds(stored.sha256)
        self._add(
            f"{kind}_{state}",
            what,
            f"{owner} {stored.record_id} of patient {stored.patient_id}",
            self._restore_advice(backup),
            patient_id=stored.patient_id,
            record_id=stored.record_id,
            file=relative,
            backup=backup,
        )

    @staticmethod
    def _restore_advice(backup: str | None) -> str:
        if backup:
            return f"Restore this file from the backup {backup}, which holds it."
        return "Restore this file from your most recent backup."

    def _check_orphans(
        self, root: Path, named: set[str], kind: str, advice: Callable[[str], tuple[str, str]]
    ) -> None:
        recent = time.time() - RECENT_SECONDS
        for sha256, path in sorted(ContentStore.scan(root).originals.items()):
            if sha256 in named:
                continue
            with contextlib.suppress(OSError):
                if path.stat().st_mtime >= recent:
                    continue  # an import or a signing may be writing its record just now
            if self._named_now(sha256):
                continue  # its record was committed while the check ran
            relative = self._relative(path)
            what, action = advice(relative)
            self._add(kind, what, relative, action, file=relative)

    def _named_now(self, sha256: str) -> bool:
        found = self.db.execute(
            "SELECT 1 FROM photos WHERE sha256 = ? UNION ALL SELECT 1 FROM consents "
            "WHERE scan_sha256 = ? OR signature_sha256 = ? LIMIT 1",
            [sha256, sha256, sha256],
        ).fetchone()
        return found is not None

    def _photo_orphan(self, relative: str) -> tuple[str, str]:
        aside = self.paths.unreferenced_photos_dir.name
        hours = plural(ORPHAN_GRACE_SECONDS // 3600, "hour")
        return (
            "A photo file that no photo record names",
            "Nothing is lost: it is left over from an import stopped by a crash, or from a "
            "database restored from an older backup. At the first sign-in after it is "
            f"{hours} old, ClinicDesk moves it to the {aside} folder in the data folder, "
            "where it is kept.",
        )

    def _consent_orphan(self, relative: str) -> tuple[str, str]:
        return (
            "A consent file that no consent record names",
            "Nothing is lost: it is left over from a signing that was not saved, or from a "
            "database restored from an older backup. It is kept where it is; if a consent "
            "is missing its signed form, this may be it (restore the backup that holds both).",
        )

    def _check_audit(self) -> None:
        self.report.audit_entries = audit.count(self.db)
        for problem in audit_check.verify_chain(self.db) + audit_check.verify_records(self.db):
            self._add("audit", "The audit trail does not check out", problem, RESTORE_AUDIT)

    # -- helpers ----------------------------------------------------------------------------

    def _relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.paths.data_dir).as_posix()
        except ValueError:
            return str(path)

    def _add(
        self,
        kind: str,
        what: str,
        where: str,
        action: str,
        *,
        patient_id: str | None = None,
        record_id: str | None = None,
        file: str | None = None,
        backup: str | None = None,
    ) -> None:
        self.report.problems.append(
            Problem(kind, what, where, action, patient_id, record_id, file, backup)
        )
