"""Automatic backups: where they go, when one is due, which to keep, and what to warn about.

The folder (a USB drive, a NAS share) belongs to this PC, not to the clinic's data: a satellite's
laptop and the main clinic's PC back up to different places, and a restored clinic must not
write to the old PC's drive letter. So it lives with the last outcome in a small JSON file in
the data folder (``backup-schedule.json``), not in the database; a damaged or missing file
reads as "not set up", never as an error.

Kept (``to_remove``): the newest archive of each of the 7 most recent days that have one, and
the newest of each of the 4 most recent weeks (ISO weeks) that have one. Only this clinic's
archives in that folder are ever removed, never other files. Each archive is whole on its own,
so whatever is kept restores without the others.

Warned (``warning``), to every role on the main window: no backup folder set; the last attempt
failed (with why); the last good backup older than ``WARN_AFTER``. Nothing here touches Qt or
the database; the GUI runs the backup itself (``services.backup.make_backup``) on a worker.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from clinicdesk.domain.dates import format_uk
from clinicdesk.paths import Paths
from clinicdesk.storage.sealed_files import SaveFailed, write_durably

if TYPE_CHECKING:
    from clinicdesk.services.backup import BackupResult
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser

log = logging.getLogger(__name__)

SCHEDULE_NAME = "backup-schedule.json"
KEEP_DAILY = 7
KEEP_WEEKLY = 4
WARN_AFTER = timedelta(days=2)
# After a failed attempt, how long before the next automatic one (a missing USB drive should
# not be retried every few minutes all day, nor forgotten until tomorrow).
RETRY_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class BackupSchedule:
    folder: str = ""  # "" = automatic backups not set up
    last_good_at: datetime | None = None  # UTC
    last_good_archive: str = ""
    last_attempt_at: datetime | None = None  # UTC
    last_error: str = ""  # why the last attempt failed; "" when it succeeded

    @property
    def folder_path(self) -> Path | None:
        return Path(self.folder) if self.folder else None

    def succeeded(self, archive: Path, at: datetime) -> BackupSchedule:
        return replace(
            self,
            last_good_at=at,
            last_good_archive=str(archive),
            last_attempt_at=at,
            last_error="",
        )

    def failed(self, why: str, at: datetime) -> BackupSchedule:
        return replace(self, last_attempt_at=at, last_error=why or "the backup failed")


def _path(paths: Paths) -> Path:
    return paths.data_dir / SCHEDULE_NAME


def _when(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load(paths: Paths) -> BackupSchedule:
    """The schedule as saved; defaults when there is none or it cannot be read."""
    try:
        data = json.loads(_path(paths).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return BackupSchedule()
    if not isinstance(data, dict):
        return BackupSchedule()

    def text(key: str) -> str:
        value = data.get(key, "")
        return value if isinstance(value, str) else ""

    return BackupSchedule(
        folder=text("folder"),
        last_good_at=_when(data.get("last_good_at")),
        last_good_archive=text("last_good_archive"),
        last_attempt_at=_when(data.get("last_attempt_at")),
        last_error=text("last_error"),
    )


def save(paths: Paths, schedule: BackupSchedule) -> None:
    """Written atomically; raises ``SaveFailed`` (a ``UserError``) naming the file."""
    data = {
        "folder": schedule.folder,
        "last_good_at": schedule.last_good_at.isoformat() if schedule.last_good_at else "",
        "last_good_archive": schedule.last_good_archive,
        "last_attempt_at": schedule.last_attempt_at.isoformat() if schedule.last_attempt_at else "",
        "last_error": schedule.last_error,
    }
    write_durably(_path(paths), json.dumps(data, indent=1).encode("utf-8"))


def record_outcome(paths: Paths, schedule: BackupSchedule) -> None:
    """``save`` for the outcome of an attempt, which must not itself fail loudly: with the data
    folder read-only or full the warning still shows for this session (the caller keeps the
    new schedule in memory)."""
    with contextlib.suppress(SaveFailed):
        save(paths, schedule)


def _local_day(moment: datetime) -> datetime:
    return moment.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)


def made_today(schedule: BackupSchedule, now: datetime) -> bool:
    """Whether the last good backup is from today (local time)."""
    return schedule.last_good_at is not None and _local_day(schedule.last_good_at) >= _local_day(
        now
    )


def due(schedule: BackupSchedule, now: datetime) -> bool:
    """Whether an automatic backup should run now: a folder is set, there is no good backup
    from today (local time), and the last failure, if any, was over ``RETRY_AFTER`` ago."""
    if not schedule.folder or made_today(schedule, now):
        return False
    return not (
        schedule.last_error
        and schedule.last_attempt_at is not None
        and now - schedule.last_attempt_at < RETRY_AFTER
    )


def warning(schedule: BackupSchedule, now: datetime) -> str:
    """What the main window shows everyone, or "" when backups are in order."""
    if not schedule.folder:
        return (
            "Automatic backups are not set up, so the records are on this PC only. "
            "An administrator can choose a backup folder in Admin > Backups."
        )
    since = (
        f"The last good backup was on {format_uk(schedule.last_good_at.astimezone().date())}."
        if schedule.last_good_at is not None
        else "No backup has been made yet."
    )
    if schedule.last_error:
        return f"The last backup failed: {schedule.last_error} {since}"
    if schedule.last_good_at is None or now - schedule.last_good_at > WARN_AFTER:
        return f"{since} Backups are overdue: check the backup folder {schedule.folder}."
    return ""


def to_remove(archives: Iterable[tuple[Path, datetime]]) -> list[Path]:
    """Of this clinic's archives in the backup folder (path, when made), those outside the
    7 daily and 4 weekly kept. The newest archive is always kept."""
    ordered = sorted(archives, key=lambda item: item[1], reverse=True)
    keep: set[Path] = set()
    days: list[object] = []
    weeks: list[object] = []
    for path, made in ordered:
        local = made.astimezone()
        day = local.date()
        week = local.isocalendar()[:2]
        if day not in days and len(days) < KEEP_DAILY:
            days.append(day)
            keep.add(path)
        if week not in weeks and len(weeks) < KEEP_WEEKLY:
            weeks.append(week)
            keep.add(path)
    if ordered:
        keep.add(ordered[0][0])
    return [path for path, _made in ordered if path not in keep]


def prune(folder: Path, newest: Path) -> list[Path]:
    """After a good backup (``newest``): remove this installation's archives in ``folder``
    beyond the 7 daily and 4 weekly kept (another installation of the clinic backing up into
    the same folder, a second workstation, keeps its own; archives made before installations
    were named go with this one's). Returns what was removed; one that cannot be removed
    stays."""
    from clinicdesk.services.backup import clinic_archives, read_archive_info

    mine = read_archive_info(newest)
    archives = [
        (info.path, info.created)
        for info in clinic_archives([folder], mine.clinic_id)
        if info.installation_id in {mine.installation_id, ""}
    ]
    removed = []
    for path in to_remove(archives):
        try:
            path.unlink()
        except OSError as exc:
            log.warning("an old backup could not be removed (%s)", type(exc).__name__)
        else:
            removed.append(path)
    return removed


def scheduled_backup(
    services: ClinicServices,
    user: CurrentUser,
    folder: Path,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BackupResult:
    """The day's automatic backup into ``folder``, whoever is signed in (an administrator chose
    the folder), then the old archives pruned. On a worker: ``services`` is the job's own
    connection (``ClinicServices.open_for_job``)."""
    from clinicdesk.services.backup import make_backup

    result = make_backup(
        services, user, folder, progress=progress, cancelled=cancelled, automatic=True
    )
    prune(folder, result.path)
    return result


def choose_folder(services: ClinicServices, user: CurrentUser, folder: Path) -> BackupSchedule:
    """Admin > Backups: back up into ``folder`` from now on (administrators only, audited).
    Refused with the reason: a folder that is not there, one ClinicDesk may not write in, and
    one inside the clinic's own data folder (a backup on the same disk dies with it)."""
    import tempfile

    from clinicdesk.domain.roles import Permission
    from clinicdesk.errors import UserError
    from clinicdesk.services.session import require
    from clinicdesk.storage import audit

    require(services.db, user, Permission.MANAGE_CLINIC, entity="clinic")
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise UserError(f"The folder {folder} is not there. Plug in the drive or choose another.")
    data_dir = services.paths.data_dir.resolve()
    if folder.resolve() == data_dir or data_dir in folder.resolve().parents:
        raise UserError(
            f"{folder} is inside the clinic's own data folder: a backup there is lost with it. "
            "Choose a folder on a USB drive or a network share."
        )
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UserError(
            f"ClinicDesk cannot write in {folder} ({exc.strerror or type(exc).__name__}). "
            "Choose a folder you may write in."
        ) from exc
    chosen = replace(load(services.paths), folder=str(folder), last_error="")
    save(services.paths, chosen)
    audit.record(services.db, user.actor, "backup_folder_set", "clinic", "", {})
    log.info("backup folder set")
    return chosen


def note_archive(paths: Paths, archive: Path, made: datetime) -> BackupSchedule:
    """A good archive made in the automatic backup folder some other way (``clinicdesk backup``
    into it, Back up now, a copy an administrator put there) counts as that day's backup."""
    schedule = load(paths)
    folder = schedule.folder_path
    with contextlib.suppress(OSError):
        if folder is None or archive.parent.resolve() != folder.resolve():
            return schedule
        if schedule.last_good_at is not None and schedule.last_good_at >= made:
            return schedule
        schedule = replace(schedule.succeeded(archive, made), last_attempt_at=made)
        record_outcome(paths, schedule)
    return schedule
