"""Encrypted, verified backups of the whole clinic (admins only), and checking a backup file.

One archive (``storage.archive``) holds a ``VACUUM INTO`` copy of the database taken while the
clinic is in use, every photo original and signed consent file (as sealed on disk), the key
ring (wrapped keys only), and a sealed manifest: app and schema version, clinic and site, counts
per table, the sha256 of every member and the audit chain's head. See README "Backups".

API for the front ends (the command line, Admin > Backups, automatic backups; a GUI runs these
on a worker with its own connection, ``ClinicServices.open_for_job``)::

    make_backup(services, user, dest_dir, *, progress=None, cancelled=None) -> BackupResult
        Write, verify, fsync, then rename to dest_dir/clinicdesk-<site>-<UTC stamp>.cdbackup.
        progress(done, total) in bytes; cancelled() -> True stops it (``BackupStopped``)
        leaving nothing behind. Failures are ``UserError``s naming the folder and the cause
        (missing, full, read-only, no permission). Audited ("backup", no patient data).
    read_archive_info(path) -> ArchiveInfo
        The plain header only (no key needed): when, which clinic, which versions.
    verify_archive(path, data_key, *, progress=None, cancelled=None) -> ArchiveCheck
        Decrypt every member, check every hash, integrity_check the database copy and verify
        its audit chain against the manifest's head. ``ArchiveDamaged`` names the problem.
    newer_archives(archive, folders) -> list[ArchiveInfo]
        Backups of the same clinic made after ``archive`` in ``folders``.
    clinic_archives(folders, clinic_id) -> list[ArchiveInfo]
        A clinic's archives in ``folders``, newest first (pruning, the Backups window, finding
        the backup that holds a lost file).

Restoring is ``services.restore``. What a backup holds and leaves out is ``IN_BACKUP`` and
``NOT_IN_BACKUP`` below; a test fails when the data folder gains something on neither list.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clinicdesk import __version__
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import UserError
from clinicdesk.paths import DATABASE_NAME, Paths
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit, audit_anchor, audit_chains, audit_check
from clinicdesk.storage.archive import (
    SUFFIX,
    ArchiveDamaged,
    ArchiveHeader,
    ArchiveWriter,
    BackupStopped,
    read_header,
    read_members,
)
from clinicdesk.storage.database import (
    Database,
    StorageError,
    backup_to,
    integrity_ok,
    open_database,
    table_counts,
)
from clinicdesk.storage.migrations import migrations
from clinicdesk.storage.sealed_files import ContentStore, fsync_directory
from clinicdesk.storage.sync_state import INSTALLATION_KEY

__all__ = ["SUFFIX", "ArchiveDamaged", "BackupStopped"]

log = logging.getLogger(__name__)

ENTITY = "clinic"
KEYRING_NAME = "keyring.json"
# What of the data folder a backup holds: the database, the key ring (in the header) and the
# audit anchor (rebuilt from the manifest's head), and the two file stores.
IN_BACKUP = {
    "files": (DATABASE_NAME, KEYRING_NAME, audit_anchor.ANCHOR_NAME),
    "folders": ("photos", "consents"),
}
# What it leaves out, and why (each can be rebuilt or belongs to this PC only).
NOT_IN_BACKUP = {
    "cache": "display copies and thumbnails, rebuilt from the photo originals when shown",
    "logs": "this PC's log files (no patient data)",
    "backups": "copies taken before a schema update; a backup does not hold older backups",
    "photos-unreferenced": "photo files no record points at, moved out of the store",
    "login_attempts.json": "failed sign-in counts on this PC",
    "window.ini": "the size and place of this PC's window",
    "backup-schedule.json": "this PC's automatic backup folder and the last attempt",
    "restore-unfinished.json": "only while a restore moves its files in (services.restore)",
    f"{DATABASE_NAME}-wal": "part of the live database; the copy in the archive includes it",
    f"{DATABASE_NAME}-shm": "SQLite's shared-memory index of the live database",
}
STORES = {"photos": "photos_dir", "consents": "consent_files_dir"}
MEMBER_NAME = re.compile(r"(?:photos|consents)/[0-9a-f]{2}/[0-9a-f]{64}")
WORK_PREFIX = ".clinicdesk-backup-"
INTEGRITY_FAILED = "The database in the backup fails SQLite's integrity check."
STALE_WORK_SECONDS = 3600

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


@dataclass(frozen=True)
class BackupResult:
    path: Path
    created_at: str
    counts: dict[str, int]
    files: int  # photo and consent files
    size: int  # the archive's bytes
    audit_problems: list[str] = field(default_factory=list)  # the trail's, as backed up


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    archive_id: str
    created_at: str
    clinic_id: str
    app_version: str
    schema_version: int
    # The installation that made it (several installations of a clinic may back up into one
    # folder: each prunes only its own); "" for one on its own, or an archive made before.
    installation_id: str = ""

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)


@dataclass(frozen=True)
class ArchiveCheck:
    info: ArchiveInfo
    manifest: dict[str, Any]


def _folder_problem(exc: OSError, folder: Path) -> str:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        why = f"the disk holding {folder} is full. Free some space there or choose another folder"
    elif exc.errno == errno.EROFS:
        why = f"the folder {folder} is on read-only storage. Choose a writable folder"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = f"ClinicDesk may not write in the folder {folder}. Check its permissions"
    elif exc.errno == errno.ENOENT:
        why = f"the folder {folder} is no longer there (was the drive removed?)"
    else:
        why = f"writing to {folder} failed ({exc.strerror or type(exc).__name__})"
    return f"The backup was not made: {why}. Any earlier backup there is unchanged."


def _is_full_disk(message: str) -> bool:
    return "disk is full" in message.lower()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:40] or "clinic"


def _remove_stale_work(dest: Path) -> None:
    """Work folders of backups that were killed (power cut, kill -9) and never cleaned up."""
    cutoff = time.time() - STALE_WORK_SECONDS
    for entry in dest.glob(f"{WORK_PREFIX}*"):
        with contextlib.suppress(OSError):
            if entry.is_dir() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry)


def _final_path(dest: Path, site: str, moment: datetime) -> Path:
    base = f"clinicdesk-{_slug(site)}-{_stamp(moment)}"
    path = dest / f"{base}{SUFFIX}"
    number = 2
    while path.exists():
        path = dest / f"{base}-{number}{SUFFIX}"
        number += 1
    return path


def _store_files(paths: Paths) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for prefix, attribute in STORES.items():
        listing = ContentStore.scan(getattr(paths, attribute))
        for sha256, path in sorted(listing.originals.items()):
            found.append((f"{prefix}/{sha256[:2]}/{sha256}", path))
    return found


def referenced_files(db: Database) -> set[str]:
    """The member names of every photo and consent file the database points at."""
    names = {f"photos/{s[:2]}/{s}" for (s,) in db.execute("SELECT sha256 FROM photos")}
    for column in ("scan_sha256", "signature_sha256"):
        for (sha,) in db.execute(f"SELECT {column} FROM consents WHERE {column} IS NOT NULL"):
            names.add(f"consents/{sha[:2]}/{sha}")
    return names


def _snapshot_facts(snapshot: Database) -> dict[str, Any]:
    return {
        "counts": table_counts(snapshot.conn),
        "schema_version": len(migrations.applied(snapshot)),
        "migrations": [m.name for m in migrations.applied(snapshot)],
        # Every site's chain head (per site since migration 0010; see _manifest_anchors).
        "audit_heads": {
            site: {"seq": seq, "hash": seal}
            for site, (seq, seal) in audit_anchor.heads(snapshot).items()
        },
    }


def _broken_heads(db: Database) -> dict[str, list[list[Any]]]:
    """The broken heads the clinic's anchor file keeps, by site (carried into a restored
    anchor)."""
    key = audit_anchor.stored_audit_key(db)
    if key is None:
        return {}
    anchors, _problem = audit_anchor.load_anchors(db, key)
    return {site: [list(b) for b in a.broken] for site, a in (anchors or {}).items() if a.broken}


def _manifest_anchors(db: Database, manifest: dict[str, Any]) -> audit_anchor.Anchors:
    """The heads a manifest recorded, by site. An archive made before the audit trail had one
    chain per site recorded a single head (``audit_head``, ``audit_broken``): its trail is the
    chain of the site that made it, as migration 0010 reads it."""
    if "audit_heads" in manifest:
        broken = manifest.get("audit_broken_heads", {})
        return {
            str(site): audit_anchor.Anchor(
                int(head["seq"]),
                str(head["hash"]),
                tuple((int(s), str(h)) for s, h in broken.get(site, [])),
            )
            for site, head in manifest["audit_heads"].items()
        }
    head = manifest["audit_head"]
    site = audit_chains.own_site(db)
    if site is None:
        return {}
    return {
        site: audit_anchor.Anchor(
            int(head["seq"]),
            str(head["hash"]),
            tuple((int(s), str(h)) for s, h in manifest.get("audit_broken", [])),
        )
    }


class IntegrityCheck:
    """SQLite's ``integrity_check`` of a finished database file, on a thread of its own (with
    its own read-only connection) so that it runs while other work goes on: the archive being
    written, or a restore's photos being written. ``passed()`` waits for the answer; ``stop()``
    interrupts a check no longer wanted (the work failed) and waits for the thread."""

    def __init__(self, path: Path, data_key: bytes) -> None:
        self._lock = threading.Lock()
        self._db: Database | None = None
        self._stopped = False
        self._passed = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(path, data_key), name="integrity-check", daemon=True
        )
        self._thread.start()

    def _run(self, path: Path, data_key: bytes) -> None:
        try:
            db = open_database(path, data_key, read_only="a copy being checked")
            with self._lock:
                if self._stopped:
                    db.close()
                    return
                self._db = db
            try:
                self._passed = integrity_ok(db)
            finally:
                with self._lock:
                    self._db = None
                db.close()
        except BaseException as exc:  # handed to whoever asks, in their thread
            self._error = exc

    def passed(self) -> bool:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._passed

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._db is not None:
                self._db.conn.interrupt()
        self._thread.join()


def check_database_copy(
    path: Path,
    data_key: bytes,
    manifest: dict[str, Any],
    *,
    integrity: IntegrityCheck | None = None,
) -> list[str]:
    """Anchor the copy at ``path`` at the manifest's head, then check it: integrity, counts and
    the audit chain. Returns the chain's problems (those the manifest recorded are expected);
    raises ``ArchiveDamaged`` for anything else. ``integrity``: the integrity check of this
    same file, already started (``IntegrityCheck``); otherwise it is run here."""
    if integrity is not None and not integrity.passed():
        raise ArchiveDamaged(INTEGRITY_FAILED)
    db = open_database(path, data_key)
    try:
        if integrity is None and not integrity_ok(db):
            raise ArchiveDamaged(INTEGRITY_FAILED)
        if table_counts(db.conn) != manifest.get("counts"):
            raise ArchiveDamaged("The database in the backup does not hold the rows it should.")
        problems = _anchored_chain_problems(db, manifest)
    finally:
        db.close()
    if problems != list(manifest.get("audit_problems", [])):
        raise ArchiveDamaged(
            "The audit trail in the backup does not match its recorded end: "
            + "; ".join(problems or ["entries differ"])
        )
    return problems


def _anchored_chain_problems(db: Database, manifest: dict[str, Any]) -> list[str]:
    """Write the anchor beside ``db`` from the manifest's heads, then check the chain."""
    audit_anchor.anchor_restored_trail(db, _manifest_anchors(db, manifest))
    return audit_check.verify_chain(db)


def make_backup(
    services: ClinicServices,
    user: CurrentUser,
    dest_dir: Path,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    automatic: bool = False,
) -> BackupResult:
    """Back up the clinic into ``dest_dir`` (see the module docstring). ``automatic``: the
    day's scheduled backup (``services.backup_schedule``), made in whoever's session is open
    into the folder an administrator chose; otherwise only an administrator backs up."""
    db = services.db
    if not automatic:
        require(db, user, Permission.MANAGE_CLINIC, entity=ENTITY)
    if services.data_key is None or not services.paths.keyring.exists():
        raise UserError("Backups need an encrypted clinic; sign in first.")
    dest = Path(dest_dir)
    if not dest.is_dir():
        raise UserError(
            f"The backup was not made: the folder {dest} does not exist (is the drive "
            "plugged in?). Choose an existing folder."
        )
    _remove_stale_work(dest)
    moment = now()
    work = dest / f"{WORK_PREFIX}{secrets.token_hex(8)}"
    try:
        try:
            work.mkdir()
        except OSError as exc:
            raise UserError(_folder_problem(exc, dest)) from exc
        try:
            result = _write_and_verify(services, dest, work, moment, progress, cancelled)
        except OSError as exc:
            raise UserError(_folder_problem(exc, dest)) from exc
        except StorageError as exc:
            if _is_full_disk(exc.message):
                raise UserError(_folder_problem(OSError(errno.ENOSPC, "disk full"), dest)) from exc
            raise UserError(f"The backup was not made: {exc.message}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    audit.record(
        db,
        user.actor,
        "backup",
        ENTITY,
        "",
        {"archive": result.path.name, "files": result.files, "automatic": automatic},
    )
    log.info("backup written and verified (%d files, %d bytes)", result.files, result.size)
    return result


def _write_and_verify(
    services: ClinicServices,
    dest: Path,
    work: Path,
    moment: datetime,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> BackupResult:
    paths, data_key = services.paths, services.data_key
    assert data_key is not None
    snapshot_path = backup_to(services.db, work / DATABASE_NAME)  # VACUUM INTO, while in use
    files = _store_files(paths)
    snapshot = open_database(snapshot_path, data_key, read_only="a backup copy")
    try:
        facts = _snapshot_facts(snapshot)
        manifest: dict[str, Any] = {
            **facts,
            "app_version": __version__,
            "created_at": moment.isoformat(),
            "clinic_name": services.clinic.clinic_name(),
            "site_name": services.clinic.this_site().name,
            "audit_broken_heads": _broken_heads(services.db),
            "missing_files": sorted(referenced_files(snapshot) - {name for name, _ in files}),
        }
        # The trail as backed up, checked against its head (the anchor goes beside the copy,
        # in the work folder): a restore then expects exactly these problems, so a clinic
        # whose trail was damaged is still backed up, and the damage is said each time.
        manifest["audit_problems"] = _anchored_chain_problems(snapshot, manifest)
    finally:
        snapshot.close()
    sizes = [snapshot_path.stat().st_size] + [p.stat().st_size for _, p in files]
    total = 2 * sum(sizes)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    keyring_text = paths.keyring.read_text(encoding="utf-8")
    header = {
        "created_at": moment.isoformat(),
        "app_version": __version__,
        "schema_version": facts["schema_version"],
        "migrations": facts["migrations"],
        "clinic_id": str(_json_field(keyring_text, "clinic_id")),
        "installation_id": services.clinic.repo.local(INSTALLATION_KEY) or "",
        "keyring": keyring_text,
    }
    # The copy's integrity_check (the longest single step on a large clinic) runs while the
    # archive is written and read back. The read-back then proves, by the sha256 of every
    # member, that the archive holds exactly the bytes of this checked copy, whose counts and
    # audit chain were checked above: the same checks as on a second copy extracted from the
    # archive, without writing and checking that second copy.
    integrity = IntegrityCheck(snapshot_path, data_key)
    try:
        part = work / f"archive{SUFFIX}"
        with part.open("xb") as handle:
            writer = ArchiveWriter(handle, data_key, header)
            for name, path in [(DATABASE_NAME, snapshot_path), *files]:
                with path.open("rb") as source:
                    writer.add(name, source, on_bytes=advance, cancelled=cancelled)
            written = writer.finish(manifest)
            handle.flush()
            os.fsync(handle.fileno())
        read_back = _read_back(part, data_key, on_bytes=advance, cancelled=cancelled)
        if read_back != written:
            raise ArchiveDamaged("The backup read back differs from what was written.")
        if not integrity.passed():
            raise ArchiveDamaged(INTEGRITY_FAILED)
    finally:
        integrity.stop()
    final = _final_path(dest, manifest["site_name"], moment)
    os.replace(part, final)
    fsync_directory(dest)
    return BackupResult(
        final,
        moment.isoformat(),
        facts["counts"],
        len(files),
        final.stat().st_size,
        list(manifest["audit_problems"]),
    )


def _json_field(text: str, name: str) -> Any:
    import json

    try:
        return json.loads(text)[name]
    except (ValueError, KeyError, TypeError):
        raise UserError("The clinic's key file is damaged, so no backup was made.") from None


def header_info(path: Path, header: ArchiveHeader) -> ArchiveInfo:
    fields = header.fields
    try:
        return ArchiveInfo(
            path,
            header.archive_id,
            str(fields["created_at"]),
            str(fields["clinic_id"]),
            str(fields["app_version"]),
            int(fields["schema_version"]),
            str(fields.get("installation_id") or ""),
        )
    except (KeyError, TypeError, ValueError):
        raise ArchiveDamaged("The backup's header is incomplete, so it cannot be used.") from None


def open_archive(path: Path) -> tuple[Any, ArchiveHeader]:
    """The archive file open for reading, positioned after its (checked) header."""
    try:
        handle = Path(path).open("rb")  # noqa: SIM115 (returned open, closed by the caller)
    except FileNotFoundError:
        raise UserError(f"The backup file {path} does not exist.") from None
    except OSError as exc:
        raise UserError(
            f"The backup file {path} cannot be read ({exc.strerror or type(exc).__name__})."
        ) from exc
    try:
        return handle, read_header(handle)
    except BaseException:
        handle.close()
        raise


def read_archive_info(path: Path) -> ArchiveInfo:
    handle, header = open_archive(path)
    handle.close()
    return header_info(Path(path), header)


def _read_back(
    path: Path,
    data_key: bytes,
    *,
    on_bytes: Callable[[int], None] | None,
    cancelled: Cancelled | None,
) -> dict[str, Any]:
    """Read a just-written archive whole: every chunk authenticated and every member's size and
    sha256 checked against its manifest, which is returned."""
    handle, header = open_archive(path)
    with handle:
        header_info(path, header)
        return read_members(
            handle, header, data_key, lambda name: None, on_bytes=on_bytes, cancelled=cancelled
        )


def verify_archive(
    path: Path,
    data_key: bytes,
    *,
    on_bytes: Callable[[int], None] | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    work: Path | None = None,
) -> ArchiveCheck:
    """Read the whole archive back and check it (see the module docstring). The database copy
    goes to a temporary folder (in ``work`` if given), removed afterwards."""
    path = Path(path)
    if on_bytes is None and progress is not None:
        total = path.stat().st_size
        seen = 0

        def on_bytes(count: int) -> None:
            nonlocal seen
            seen += count
            progress(min(seen, total), total)

    if work is not None:
        folder = work / f"check-{secrets.token_hex(6)}"
        folder.mkdir()
    else:  # the database member stays encrypted with the data key, so any folder will do
        folder = Path(tempfile.mkdtemp(prefix="clinicdesk-check-"))
    try:
        handle, header = open_archive(path)
        with handle:
            info = header_info(path, header)
            db_copy = folder / DATABASE_NAME
            with db_copy.open("wb") as sink:
                manifest = read_members(
                    handle,
                    header,
                    data_key,
                    lambda name: sink if name == DATABASE_NAME else None,
                    on_bytes=on_bytes,
                    cancelled=cancelled,
                )
            check_database_copy(db_copy, data_key, manifest)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return ArchiveCheck(info, manifest)


def clinic_archives(folders: Iterable[Path], clinic_id: str) -> list[ArchiveInfo]:
    """This clinic's archives in ``folders``, newest first, each file once (a folder named
    twice, a link). Files that are not readable archives of this clinic (another program's, a
    damaged one, another clinic's) are left out, never touched."""
    found: dict[Path, ArchiveInfo] = {}
    for folder in folders:
        with contextlib.suppress(OSError):
            for candidate in Path(folder).glob(f"*{SUFFIX}"):
                with contextlib.suppress(UserError, ValueError, OSError):
                    info = read_archive_info(candidate)
                    if info.clinic_id == clinic_id:
                        found[candidate.resolve()] = info
    return sorted(found.values(), key=lambda info: info.created, reverse=True)


def newer_archives(archive: Path, folders: Iterable[Path]) -> list[ArchiveInfo]:
    """Backups in ``folders`` of the same clinic as ``archive`` made after it (newest first);
    unreadable files are skipped (this only warns)."""
    mine = read_archive_info(archive)
    itself = Path(archive).resolve()
    return [
        info
        for info in clinic_archives(folders, mine.clinic_id)
        if info.path.resolve() != itself and info.created > mine.created
    ]
