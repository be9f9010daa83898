"""Automatic daily backups while the main window is open, and the banner everyone sees when
backups are not in order (``services.backup_schedule``: none set up, the last attempt failed,
the last good one over two days old).

The check runs a little after start-up (``FIRST_CHECK_MS``, so it never slows the window
coming up) and then every ``CHECK_EVERY_MS``; a backup that is due runs on a worker with its own
connection, in the background and without a progress dialog (the person keeps working). On
closing, if there is still no good backup from today, one is made first with a progress
dialog that can be cancelled; a failure there is shown and the window still closes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QMainWindow

from clinicdesk.errors import UserError
from clinicdesk.services import backup_schedule
from clinicdesk.services.backup_schedule import BackupSchedule
from clinicdesk.ui.shell.storage_banner import add_banner
from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress

if TYPE_CHECKING:
    from clinicdesk.services.backup import BackupResult
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser

log = logging.getLogger(__name__)

FIRST_CHECK_MS = 60_000
CHECK_EVERY_MS = 15 * 60_000
BANNER_STYLE = (
    "QLabel { background: #fff4ce; color: #4d3800; border: 1px solid #e0c463; padding: 6px; }"
)


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, UserError):
        return exc.message.removeprefix("The backup was not made: ")
    return f"an unexpected error ({type(exc).__name__}); see the log file"


class AutoBackup(QObject):
    """One per main window. ``now`` is for tests."""

    def __init__(
        self,
        window: QMainWindow,
        services: ClinicServices,
        user: Callable[[], CurrentUser],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(window)
        self.window = window
        self.services = services
        self._user = user
        self.now = now
        self.schedule = backup_schedule.load(services.paths)
        self.banner: QLabel = add_banner(window, "", "backup_banner", BANNER_STYLE)
        self.task: BackgroundTask | None = None
        self.closing_backup_done = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        QTimer.singleShot(FIRST_CHECK_MS, self, self._start_checking)
        self.refresh_banner()

    def _start_checking(self) -> None:
        self.check()
        self.timer.start(CHECK_EVERY_MS)

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done

    def refresh_banner(self) -> None:
        text = backup_schedule.warning(self.schedule, self.now())
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def reload(self) -> None:
        """The schedule changed elsewhere (Admin > Backups chose a folder, made a backup)."""
        self.schedule = backup_schedule.load(self.services.paths)
        self.refresh_banner()

    def check(self) -> None:
        """Start the day's backup if one is due and none is running."""
        if self.running or self.services.read_only is not None:
            return
        if backup_schedule.due(self.schedule, self.now()):
            self.start(quietly=True)

    def start(self, *, quietly: bool, then: Callable[[], object] | None = None) -> None:
        folder = self.schedule.folder_path
        if folder is None:
            return
        services, user = self.services, self._user()

        def work(progress: Progress, cancelled: Cancelled) -> BackupResult:
            job = services.open_for_job()
            try:
                return backup_schedule.scheduled_backup(job, user, folder, progress, cancelled)
            finally:
                job.close()

        def succeeded(result: object) -> None:
            path: Path = getattr(result, "path", folder)
            self._record(self.schedule.succeeded(path, self.now()))
            self.window.statusBar().showMessage(f"Backup made: {path.name}", 8000)
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, UserError):
                log.error("automatic backup failed", exc_info=exc)
            cancelled_by_user = type(exc).__name__ == "BackupStopped"
            if not cancelled_by_user:
                self._record(self.schedule.failed(_failure_text(exc), self.now()))
            if then is not None:
                then()

        self.task = BackgroundTask(
            self.window, "Backing up the clinic…", work, succeeded, failed, quiet=quietly
        )
        self.task.start()

    def _record(self, schedule: BackupSchedule) -> None:
        # Read again first: Admin > Backups may have changed the folder meanwhile.
        current = backup_schedule.load(self.services.paths)
        if current.folder and current.folder != self.schedule.folder:
            schedule = BackupSchedule(current.folder, schedule.last_good_at, "", None, "")
        self.schedule = schedule
        backup_schedule.record_outcome(self.services.paths, schedule)
        self.refresh_banner()

    def backup_before_closing(self, close: Callable[[], object]) -> bool:
        """Called as the window closes: True when a backup was started first (``close`` is
        called when it ends, however it ends), False to close at once."""
        if self.closing_backup_done or self.services.read_only is not None:
            return False
        if self.running:
            return False  # a quiet one is under way; closing does not wait for it
        if not self.schedule.folder or backup_schedule.made_today(self.schedule, self.now()):
            return False
        self.closing_backup_done = True
        self.start(quietly=False, then=close)
        return True
