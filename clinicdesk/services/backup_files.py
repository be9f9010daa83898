"""Single files out of backups: which backup holds a lost photo or consent file, and putting
such files back without restoring the whole clinic.

``which_backup_holds(services)`` is what the data check (``services.verify``) asks for each
missing or damaged file: it looks through this clinic's archives in the automatic backup folder
(``backup_schedule``) and the data folder's own ``backups/``, newest first, reading only the
names of their members (``storage.archive.member_names``: no contents are decrypted), and names
the newest archive that holds the file.

``restore_files(services, user, archive, names)`` reads that archive through, checking every
chunk and the manifest, and puts back only the files named (paths relative to the data folder,
as ``verify.Problem.file`` gives them). Each is written beside its place first and moved in only
once the whole archive has checked out, so a damaged archive changes nothing. The files are
sealed as they were on disk, so they go back byte for byte. Administrators only; audited with
the count.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from clinicdesk.domain.roles import Permission
from clinicdesk.errors import UserError
from clinicdesk.services import backup_schedule
from clinicdesk.services.backup import MEMBER_NAME, ArchiveInfo, clinic_archives, open_archive
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.archive import member_names, read_members
from clinicdesk.storage.sealed_files import fsync_directory

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


def backup_folders(services: ClinicServices) -> list[Path]:
    """Where this PC keeps backups: the automatic backup folder, then the data folder's own."""
    folders = []
    chosen = backup_schedule.load(services.paths).folder_path
    if chosen is not None:
        folders.append(chosen)
    folders.append(services.paths.backups_dir)
    return folders


def _clinic_id(services: ClinicServices) -> str:
    return services.keyring.clinic_id if services.keyring is not None else ""


class BackupIndex:
    """This clinic's archives in ``folders``, newest first, and the files each holds (read on
    first need, one archive at a time, stopping at the first that holds what is asked)."""

    def __init__(self, folders: Iterable[Path], clinic_id: str, data_key: bytes) -> None:
        self.data_key = data_key
        self.archives = clinic_archives(folders, clinic_id)
        self._names: dict[Path, set[str]] = {}

    def names_in(self, info: ArchiveInfo) -> set[str]:
        if info.path not in self._names:
            names: set[str] = set()
            with contextlib.suppress(UserError, ValueError, OSError, KeyError):
                handle, header = open_archive(info.path)
                with handle:
                    names = set(member_names(handle, header, self.data_key))
            self._names[info.path] = names
        return self._names[info.path]

    def holding(self, name: str) -> ArchiveInfo | None:
        """The newest archive holding the member ``name`` (e.g. ``photos/ab/ab12…``)."""
        for info in self.archives:
            if name in self.names_in(info):
                return info
        return None


def describe(info: ArchiveInfo) -> str:
    made = info.created.astimezone().strftime("%d/%m/%Y %H:%M")
    return f"{info.path} (made {made})"


def which_backup_holds(services: ClinicServices) -> Callable[[str], str | None]:
    """For ``VerifyService.verify``: a file's sha256 -> the backup that holds it, in words."""
    data_key = services.data_key
    if data_key is None:
        return lambda _sha256: None
    made: list[BackupIndex] = []  # the archives are looked at only when a file is lost

    def holds(sha256: str) -> str | None:
        if not made:
            made.append(BackupIndex(backup_folders(services), _clinic_id(services), data_key))
        index = made[0]
        for store in ("photos", "consents"):
            info = index.holding(f"{store}/{sha256[:2]}/{sha256}")
            if info is not None:
                return describe(info)
        return None

    return holds


@dataclass(frozen=True)
class RestoredFiles:
    archive: Path
    restored: list[str]  # relative to the data folder
    not_held: list[str]  # asked for, but not in this archive


def restore_files(
    services: ClinicServices,
    user: CurrentUser,
    archive: Path,
    names: Iterable[str],
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> RestoredFiles:
    """Put the photo and consent files ``names`` back from ``archive`` (see the module
    docstring). Anything that is not a photo or consent file of the stores is refused."""
    require(services.db, user, Permission.MANAGE_CLINIC, entity="clinic")
    if services.data_key is None:
        raise UserError("Restoring files needs an encrypted clinic; sign in first.")
    wanted = set(names)
    strange = sorted(n for n in wanted if not MEMBER_NAME.fullmatch(n))
    if strange:
        raise UserError(f"{strange[0]} is not a photo or consent file, so it is not restored.")
    root = services.paths.data_dir
    tag = secrets.token_hex(6)
    staged: dict[str, Path] = {}
    handles: list[IO[bytes]] = []
    total = Path(archive).stat().st_size if progress is not None else 0
    seen = 0

    def on_bytes(count: int) -> None:
        nonlocal seen
        seen += count
        if progress is not None:
            progress(min(seen, total), total)

    def open_member(name: str) -> IO[bytes] | None:
        if name not in wanted:
            return None
        place = root / name
        place.parent.mkdir(parents=True, exist_ok=True)
        temp = place.with_name(f".{place.name}.restoring-{tag}")
        handle = temp.open("wb")
        handles.append(handle)
        staged[name] = temp
        return handle

    try:
        handle, header = open_archive(Path(archive))
        with handle:
            read_members(
                handle,
                header,
                services.data_key,
                open_member,
                on_bytes=on_bytes,
                cancelled=cancelled,
            )
        for out in handles:
            out.flush()
            os.fsync(out.fileno())
            out.close()
        for name, temp in staged.items():
            os.replace(temp, root / name)
            fsync_directory((root / name).parent)
    except OSError as exc:
        raise UserError(
            f"The files could not be put back ({exc.strerror or type(exc).__name__}); "
            "nothing was changed."
        ) from exc
    finally:
        for out in handles:
            with contextlib.suppress(OSError):
                out.close()
        for temp in staged.values():
            with contextlib.suppress(OSError):
                temp.unlink()
    restored = sorted(staged)
    audit.record(
        services.db,
        user.actor,
        "restore_files",
        "clinic",
        "",
        {"archive": Path(archive).name, "files": len(restored)},
    )
    log.info("%d file(s) put back from a backup", len(restored))
    return RestoredFiles(Path(archive), restored, sorted(wanted - set(staged)))


def restore_from_backups(
    services: ClinicServices,
    user: CurrentUser,
    names: Iterable[str],
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> tuple[list[RestoredFiles], list[str]]:
    """Put back each of ``names`` (photo and consent files, relative to the data folder) from
    the newest backup that holds it, one archive at a time. Returns what each archive gave
    back, and the names no backup holds."""
    require(services.db, user, Permission.MANAGE_CLINIC, entity="clinic")
    if services.data_key is None:
        raise UserError("Restoring files needs an encrypted clinic; sign in first.")
    index = BackupIndex(backup_folders(services), _clinic_id(services), services.data_key)
    by_archive: dict[Path, list[str]] = {}
    nowhere: list[str] = []
    for name in sorted(set(names)):
        info = index.holding(name) if MEMBER_NAME.fullmatch(name) else None
        if info is None:
            nowhere.append(name)
        else:
            by_archive.setdefault(info.path, []).append(name)
    done = [
        restore_files(services, user, archive, wanted, progress=progress, cancelled=cancelled)
        for archive, wanted in by_archive.items()
    ]
    return done, nowhere
