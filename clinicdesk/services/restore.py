"""Restoring a backup archive into a new or empty data folder (a new PC, or after a disk died).

API (the command line, and "Restore from a backup" on the first-run screen, on a worker)::

    restore_backup(archive, paths, username, *, password=None, recovery_key=None,
                   progress=None, cancelled=None) -> RestoreResult

``paths.data_dir`` must be new or empty, or hold only what a first start leaves there (the
first-run screen's folder: empty ``backups``, ``logs`` with the log file, the sign-in count and
backup settings; never a database, key ring, photos or consents). ``username`` is an
administrator of the backed-up clinic; either their ``password`` or the clinic's
``recovery_key`` unlocks the data key from the archive's own key ring. Everything is first
written to a hidden folder beside the target and checked there (every member's hash, the
database's integrity, the audit chain against the manifest's head); only then is that folder
renamed to the target, or, beside a first start's files, its contents moved in one by one
with the database last (``_move_in``: a stop midway leaves a folder that is still new to the
first-run screen). Any refusal (a damaged or truncated archive, a newer ClinicDesk's archive,
a wrong password or recovery key, a target that holds other files, someone who is not an
administrator) is a ``UserError`` that says why, and leaves the target as it was. The restore
is audited in the restored clinic's trail.

``check_restored(paths, username, *, password=None, recovery_key=None, progress=None,
cancelled=None) -> VerifyReport`` then runs the data check (``services.verify``) on the restored
clinic as that administrator, as "Restore from a backup" does before the app opens on it.

``RestoreResult.notes()`` says when the backup was made and names any newer backup of the same
clinic found beside the archive or beside the target folder: restoring an older archive is
never silent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import shutil
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING

from clinicdesk.domain.roles import Role
from clinicdesk.errors import DatabaseTooNew, UserError
from clinicdesk.paths import DATABASE_NAME, Paths
from clinicdesk.services.backup import (
    KEYRING_NAME,
    MEMBER_NAME,
    STORES,
    WORK_PREFIX,
    ArchiveInfo,
    Cancelled,
    IntegrityCheck,
    Progress,
    check_database_copy,
    header_info,
    newer_archives,
    open_archive,
)
from clinicdesk.services.context import open_clinic
from clinicdesk.storage import audit, audit_check
from clinicdesk.storage.archive import (
    SUFFIX,
    ArchiveDamaged,
    ArchiveHeader,
    ArchiveTooNew,
    read_members,
)
from clinicdesk.storage.audit_anchor import ANCHOR_NAME
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.database import open_database
from clinicdesk.storage.keys import KeyRing, KeyRingError
from clinicdesk.storage.migrations import known_migration_names
from clinicdesk.storage.sealed_files import fsync_directory

if TYPE_CHECKING:
    from clinicdesk.services.verify import VerifyReport

log = logging.getLogger(__name__)

NOTHING_CHANGED = "Nothing was restored and the folder was not changed."
UNFINISHED_NAME = Paths(Path()).unfinished_restore.name


@dataclass(frozen=True)
class RestoreResult:
    data_dir: Path
    archive: ArchiveInfo
    counts: dict[str, int]
    files: int  # photo and consent files restored
    newer: list[ArchiveInfo] = field(default_factory=list)
    audit_problems: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)  # already missing when backed up

    def notes(self) -> list[str]:
        """What the person must be told, beyond the counts."""
        made = self.archive.created.strftime("%d/%m/%Y %H:%M UTC")
        lines = [f"Restored the backup made on {made} (ClinicDesk {self.archive.app_version})."]
        for other in self.newer:
            when = other.created.strftime("%d/%m/%Y %H:%M UTC")
            lines.append(
                f"A newer backup of this clinic exists: {other.path} (made {when}). Anything "
                "recorded after this backup was made is not in the restored clinic."
            )
        if self.missing_files:
            lines.append(
                f"{len(self.missing_files)} photo or consent file(s) were already missing from "
                "the clinic when this backup was made; an older backup may hold them."
            )
        lines.extend(f"Audit trail: {problem}" for problem in self.audit_problems)
        return lines


def _refuse(message: str) -> UserError:
    return UserError(f"{message} {NOTHING_CHANGED}")


# What a fresh start leaves in a data folder before any clinic exists (``Paths.ensure`` and the
# log file, a failed sign-in's count, the automatic backups' settings): a restore goes in beside
# it. Anything else in the folder is refused.
FRESH_START_FILES = frozenset({"login_attempts.json", "backup-schedule.json"})
LOG_FILE = re.compile(r"clinicdesk\.log(?:\.\d+)?")
BACKUP_FILE = re.compile(rf"clinicdesk-.+{re.escape(SUFFIX)}|{re.escape(WORK_PREFIX)}.+")
# What a restore stopped midway may have moved in (never the database: it goes last).
RESTORED_BEFORE_DATABASE = frozenset({KEYRING_NAME, ANCHOR_NAME, *STORES})


def _fresh_start_item(entry: Path, unfinished: bool) -> bool:
    """``entry`` (in the target folder) is something a fresh start leaves, or a restore stopped
    midway had moved in before the database (``unfinished``: that restore's marker is there)."""
    name = entry.name
    if entry.is_symlink():
        return False
    if entry.is_dir():
        if name == "logs":
            pattern = LOG_FILE
        elif name == "backups":
            pattern = BACKUP_FILE
        else:
            return unfinished and name in STORES
        return all(inner.is_file() and pattern.fullmatch(inner.name) for inner in entry.iterdir())
    if name in FRESH_START_FILES or name == UNFINISHED_NAME:
        return True
    return unfinished and name in RESTORED_BEFORE_DATABASE


def _check_target(paths: Paths) -> bool:
    """Refuse a target that is a file or holds anything but a fresh start's files; True when
    it holds such files (the restore then moves its files in beside them)."""
    target = paths.data_dir
    if not target.exists():
        return False
    if not target.is_dir():
        raise UserError(f"{target} is a file, not a folder: choose a new or empty folder.")
    inside = list(target.iterdir())
    unfinished = paths.unfinished_restore.exists() and not paths.database.exists()
    others = [entry for entry in inside if not _fresh_start_item(entry, unfinished)]
    if others:
        raise UserError(
            f"The folder {target} is not empty ({len(others)} item(s) in it that ClinicDesk "
            f"did not make on a first start, e.g. {others[0].name}): a backup is only restored "
            "into a new or empty folder, so that nothing there is overwritten. Choose another "
            "folder. Nothing was changed."
        )
    return bool(inside)


def _check_versions(header: ArchiveHeader) -> None:
    known = known_migration_names()
    names = header.fields.get("migrations")
    unknown = [n for n in names if n not in known] if isinstance(names, list) else []
    version = header.fields.get("schema_version")
    if unknown or (isinstance(version, int) and version > len(known)):
        made_by = header.fields.get("app_version", "a newer version")
        raise DatabaseTooNew(
            f"This backup was made by a newer version of ClinicDesk ({made_by}), whose records "
            "this version cannot read. Install that version (or a later one) to restore it. "
            f"{NOTHING_CHANGED}"
        )


class _Sink:
    """Where each member's bytes go in the staging folder. Each file is fsynced when done, on
    a worker thread so that the next file is decrypted and checked meanwhile (``finish``
    waits for every sync and raises its error, if any). Once the database is whole its
    integrity check starts (``integrity``), to run while the photos are written."""

    _PENDING = 16  # files written and waiting for their fsync, at most

    def __init__(self, root: Path, data_key: bytes) -> None:
        self.root = root
        self.data_key = data_key
        self.current: IO[bytes] | None = None
        self.current_name = ""
        self.files = 0
        self.integrity: IntegrityCheck | None = None
        self._folders: set[Path] = set()  # made already (500 photos share 256 folders)
        self._syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="restore-fsync")
        self._syncing: deque[Future[None]] = deque()

    def open(self, name: str) -> IO[bytes]:
        self.close()
        if name != DATABASE_NAME and not MEMBER_NAME.fullmatch(name):
            raise ArchiveDamaged(f"The backup holds an unexpected file ({name!r}).")
        path = self.root / name
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        self.current = path.open("xb")
        self.current_name = name
        self.files += name != DATABASE_NAME
        return self.current

    def close(self) -> None:
        handle, self.current = self.current, None
        if handle is None:
            return
        try:
            handle.flush()
        except BaseException:
            handle.close()
            raise
        if self.current_name == DATABASE_NAME and self.integrity is None:
            self.integrity = IntegrityCheck(self.root / DATABASE_NAME, self.data_key)
        while len(self._syncing) >= self._PENDING:
            self._syncing.popleft().result()
        self._syncing.append(self._syncer.submit(_sync_and_close, handle))

    def finish(self) -> None:
        """Close the last file and wait until every file is on the disk."""
        try:
            self.close()
            while self._syncing:
                self._syncing.popleft().result()
        finally:
            self._syncer.shutdown(wait=True)

    def abandon(self) -> None:
        """After a failure: stop the integrity check, close every file, raise nothing."""
        if self.integrity is not None:
            self.integrity.stop()
        with contextlib.suppress(BaseException):
            self.finish()


def _sync_and_close(handle: IO[bytes]) -> None:
    try:
        os.fsync(handle.fileno())
    finally:
        handle.close()


def _unlock(ring: KeyRing, username: str, password: str | None, recovery_key: str | None) -> bytes:
    try:
        if recovery_key is not None:
            return ring.unlock_with_recovery_key(recovery_key)
        if password is None:
            raise UserError("Give an administrator's password or the recovery key.")
        return ring.unlock(username, password)
    except KeyRingError as exc:
        raise _refuse(f"{exc.message.removesuffix(' Try again.')} (for this backup).") from None


def _require_admin(staged_db: Path, data_key: bytes, username: str) -> None:
    db = open_database(staged_db, data_key)
    try:
        user = ClinicRepository(db).user_by_name(username)
    finally:
        db.close()
    if user is None or not user.active or user.role != Role.ADMIN:
        raise _refuse(f"{username} is not an administrator of the clinic in this backup.")


def restore_backup(
    archive: Path,
    paths: Paths,
    username: str,
    *,
    password: str | None = None,
    recovery_key: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    today: Callable[[], date] = date.today,
) -> RestoreResult:
    """Restore ``archive`` into ``paths.data_dir`` (see the module docstring)."""
    archive = Path(archive)
    target = paths.data_dir
    username = username.strip().lower()
    beside_fresh_start = _check_target(paths)
    try:
        handle, header = open_archive(archive)
    except ArchiveTooNew:
        raise
    except ArchiveDamaged as exc:
        raise _refuse(exc.message) from exc
    with handle:
        info = header_info(archive, header)
        _check_versions(header)
        keyring_text = header.fields.get("keyring")
        if not isinstance(keyring_text, str):
            raise _refuse("The backup holds no key ring, so it cannot be opened.")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = target.parent / f".{target.name}.restoring-{secrets.token_hex(6)}"
            staging.mkdir()
        except OSError as exc:
            raise _refuse(
                f"The folder {target.parent} cannot be written "
                f"({exc.strerror or type(exc).__name__})."
            ) from exc
        try:
            result = _restore_into(
                handle, header, info, staging, username, password, recovery_key, progress, cancelled
            )
            if beside_fresh_start:
                _move_in(staging, paths)
            else:
                if target.exists():
                    target.rmdir()  # checked empty above
                os.replace(staging, target)
                fsync_directory(target.parent)
        except OSError as exc:
            raise _refuse(
                f"Writing to {target.parent} failed ({exc.strerror or type(exc).__name__})."
            ) from exc
        except ArchiveDamaged as exc:
            raise _refuse(exc.message.removesuffix(" Nothing was changed.")) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    data_key, counts, files, missing = result
    problems = _audit_restore(paths, data_key, username, info, today)
    log.info("backup restored (%d files)", files)
    return RestoreResult(
        target,
        info,
        counts,
        files,
        newer_archives(archive, [archive.parent, target.parent]),
        problems,
        missing,
    )


def _restore_into(
    handle: IO[bytes],
    header: ArchiveHeader,
    info: ArchiveInfo,
    staging: Path,
    username: str,
    password: str | None,
    recovery_key: str | None,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> tuple[bytes, dict[str, int], int, list[str]]:
    keyring_text = str(header.fields["keyring"])
    keyring_path = staging / KEYRING_NAME
    keyring_path.write_text(keyring_text, encoding="utf-8")
    ring = KeyRing.load(keyring_path)
    if ring.clinic_id != info.clinic_id:
        raise ArchiveDamaged("The backup's key ring belongs to another clinic.")
    data_key = _unlock(ring, username, password, recovery_key)
    total = info.path.stat().st_size
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(min(done, total), total)

    sink = _Sink(staging, data_key)
    try:
        manifest = read_members(
            handle, header, data_key, sink.open, on_bytes=advance, cancelled=cancelled
        )
        sink.finish()
        if sink.integrity is None:
            raise ArchiveDamaged("The backup holds no database.")
        check_database_copy(staging / DATABASE_NAME, data_key, manifest, integrity=sink.integrity)
    except BaseException:
        sink.abandon()
        raise
    _require_admin(staging / DATABASE_NAME, data_key, username)
    with contextlib.suppress(OSError), keyring_path.open("rb") as synced:
        os.fsync(synced.fileno())
    fsync_directory(staging)
    missing = [str(name) for name in manifest.get("missing_files", [])]
    return data_key, dict(manifest["counts"]), sink.files, missing


def _move_in(staging: Path, paths: Paths) -> None:
    """Move the checked staging folder's contents into a target that holds a fresh start's
    files (the first-run screen's folder: its log file is open), one item at a time, the
    database LAST. The database's presence is what makes a clinic exist, and until it is in
    place ``Paths.unfinished_restore`` marks the key ring and files moved in so far as a
    restore's: if the program or the PC stops midway, the folder is still a new one to the
    first-run screen (``Paths.holds_clinic``), and restoring again replaces those files.
    If a move fails, the files moved in are taken out again."""
    target = paths.data_dir
    marker = paths.unfinished_restore
    marker.write_text('{"restoring": true}\n', encoding="utf-8")
    fsync_directory(target)
    moved: list[Path] = []
    try:
        for item in sorted(staging.iterdir(), key=lambda p: (p.name == DATABASE_NAME, p.name)):
            destination = target / item.name
            if destination.is_dir():  # what a restore stopped midway had moved in (checked)
                shutil.rmtree(destination)
            os.replace(item, destination)
            moved.append(destination)
            if item.name != DATABASE_NAME:
                fsync_directory(target)  # every other file is in place before the database
    except OSError:
        for destination in reversed(moved):
            with contextlib.suppress(OSError):
                if destination.is_dir():
                    shutil.rmtree(destination)
                else:
                    destination.unlink()
        with contextlib.suppress(OSError):
            marker.unlink()
        raise
    fsync_directory(target)
    marker.unlink()
    fsync_directory(target)


def _audit_restore(
    paths: Paths, data_key: bytes, username: str, info: ArchiveInfo, today: Callable[[], date]
) -> list[str]:
    """Open the restored clinic (migrating an older backup's schema, as any opening does),
    audit the restore, and check the trail as it now stands."""
    # No start-up check: the file was just given SQLite's full integrity_check (which covers
    # everything the start-up quick_check does) before it was moved into place.
    services = open_clinic(
        paths, today, data_key=data_key, keyring=KeyRing.load(paths.keyring), checked=True
    )
    try:
        user = services.clinic.user(username)
        audit.record(
            services.db,
            user.actor,
            "restore",
            "clinic",
            "",
            {"archive_id": info.archive_id, "archive_created_at": info.created_at},
        )
        return audit_check.verify_chain(services.db)
    finally:
        services.close()


def check_restored(
    paths: Paths,
    username: str,
    *,
    password: str | None = None,
    recovery_key: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    today: Callable[[], date] = date.today,
) -> VerifyReport:
    """The data check (``services.verify``: database, every file's hash, the audit chain) on
    the clinic ``restore_backup`` just put in ``paths``, as ``username`` (the administrator who
    restored it, with the same password or recovery key). Audited, as every check is."""
    from clinicdesk.services.verify import VerifyService

    ring = KeyRing.load(paths.keyring)
    data_key = _unlock(ring, username.strip().lower(), password, recovery_key)
    services = open_clinic(paths, today, data_key=data_key, keyring=ring)
    try:
        user = services.clinic.user(username.strip().lower())
        check = VerifyService(services.db, paths, data_key)
        return check.verify(user, progress=progress, cancelled=cancelled)
    finally:
        services.close()
