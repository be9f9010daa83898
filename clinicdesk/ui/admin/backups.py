"""Admin > Backups: where the clinic's backups go, how they stand, and a backup made now.

The folder (a USB drive, a network share) is this PC's: ``services.backup_schedule`` keeps it
with the last outcome, and the main window backs up there once a day (``ui.shell.auto_backup``).
The list shows this clinic's archives in that folder, newest first. "Back up now" writes one with
progress and Cancel; "Check backup" decrypts the chosen archive and checks every member, the
database copy and the audit chain, on a worker. Administrators only (the menu shows to them;
the services refuse anyone else).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.errors import UserError
from clinicdesk.services import backup_schedule
from clinicdesk.services.backup import clinic_archives
from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress
from clinicdesk.ui.widgets.chosen_file import size_text
from clinicdesk.ui.widgets.errors import show_failure, show_user_error
from clinicdesk.ui.widgets.fields import close_buttons, plain_label
from clinicdesk.ui.widgets.table_model import AnyIndex, ListTableModel, list_table_view

if TYPE_CHECKING:
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser

Archive = tuple[Path, datetime, int]  # path, when made, bytes


class ArchivesModel(ListTableModel[Archive]):
    COLUMNS = ("Made", "Size", "File")

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = self.row_for(index)
        if row is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        path, made, size = row
        values = (made.astimezone().strftime("%d/%m/%Y %H:%M"), size_text(size), path.name)
        return values[index.column()]


class BackupsDialog(QDialog):
    """``changed`` is called after the folder is chosen or a backup made (the main window's
    banner reads the schedule again)."""

    def __init__(
        self,
        services: ClinicServices,
        user: CurrentUser,
        changed: Callable[[], None] = lambda: None,
        parent: QWidget | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.user = user
        self.changed = changed
        self.now = now
        self.task: BackgroundTask | None = None
        self.setObjectName("backups_dialog")
        self.setWindowTitle("Backups")
        self.setMinimumSize(620, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "backups_intro",
                "Every backup is one encrypted, checked file holding the whole clinic: records, "
                "photos, signed consent forms and the audit trail. ClinicDesk makes one a day "
                "in the folder below (keeping 7 daily and 4 weekly) and warns everyone when "
                "backups are not in order. Keep the folder on another drive: a USB drive taken "
                "home, or the network share.",
            )
        )
        row = QHBoxLayout()
        row.addWidget(QLabel("Backup folder:"))
        self.folder_edit = QLineEdit()
        self.folder_edit.setObjectName("backup_folder")
        self.folder_edit.setReadOnly(True)
        self.folder_edit.setPlaceholderText("not chosen: automatic backups are off")
        row.addWidget(self.folder_edit, 1)
        self.choose_button = QPushButton("&Choose folder…")
        self.choose_button.setObjectName("choose_backup_folder")
        self.choose_button.clicked.connect(lambda: self.choose_folder())
        row.addWidget(self.choose_button)
        layout.addLayout(row)
        self.status = plain_label("backup_status")
        layout.addWidget(self.status)
        self.model = ArchivesModel(self)
        self.table = list_table_view(
            self.model, "backup_archives", (140, 80), single_selection=True
        )
        layout.addWidget(self.table, 1)
        self.backup_button = QPushButton("&Back up now")
        self.backup_button.setObjectName("backup_now")
        self.backup_button.setShortcut(QKeySequence("Ctrl+B"))
        self.backup_button.clicked.connect(self.back_up_now)
        self.check_button = QPushButton("Chec&k backup")
        self.check_button.setObjectName("check_backup")
        self.check_button.setToolTip("Decrypt the chosen backup and check every part of it")
        self.check_button.clicked.connect(self.check_selected)
        layout.addWidget(close_buttons(self, self.backup_button, self.check_button))
        self.refresh()

    # -- what is shown --------------------------------------------------------------------

    def refresh(self) -> None:
        schedule = backup_schedule.load(self.services.paths)
        folder = schedule.folder_path
        rows: Sequence[Archive] = []
        if folder is not None:
            rows = [
                (info.path, info.created, info.path.stat().st_size)
                for info in clinic_archives([folder], self._clinic_id())
                if info.path.exists()
            ]
        if rows:  # one made another way (the command line) counts as well
            schedule = backup_schedule.note_archive(self.services.paths, rows[0][0], rows[0][1])
        self.folder_edit.setText(schedule.folder)
        warning = backup_schedule.warning(schedule, self.now())
        if warning:
            self.status.setText(warning)
        elif schedule.last_good_at is not None:
            made = schedule.last_good_at.astimezone().strftime("%d/%m/%Y %H:%M")
            self.status.setText(f"Backups are in order. The last good backup was made {made}.")
        self.model.set_rows(rows)
        self.backup_button.setEnabled(folder is not None and not self._busy())
        self.check_button.setEnabled(bool(rows) and not self._busy())
        if rows:
            self.table.selectRow(0)

    def _clinic_id(self) -> str:
        ring = self.services.keyring
        return ring.clinic_id if ring is not None else ""

    def _busy(self) -> bool:
        return self.task is not None and not self.task.done

    def selected_archive(self) -> Path | None:
        indexes = self.table.selectionModel().selectedRows()
        row = self.model.row_at(indexes[0].row()) if indexes else None
        return row[0] if row else None

    # -- actions --------------------------------------------------------------------------

    def choose_folder(self, folder: Path | None = None) -> None:
        """Ask for the folder (``folder`` given skips the question, for tests and scripts)."""
        if folder is None:
            start = self.folder_edit.text() or str(Path.home())
            chosen = QFileDialog.getExistingDirectory(self, "Backup folder", start)
            if not chosen:
                return
            folder = Path(chosen)
        try:
            backup_schedule.choose_folder(self.services, self.user, folder)
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.refresh()
        self.changed()

    def back_up_now(self) -> None:
        schedule = backup_schedule.load(self.services.paths)
        folder = schedule.folder_path
        if folder is None or self._busy():
            return
        services, user = self.services, self.user

        def work(progress: Progress, cancelled: Cancelled) -> object:
            from clinicdesk.services.backup import make_backup

            job = services.open_for_job()
            try:
                result = make_backup(job, user, folder, progress=progress, cancelled=cancelled)
                backup_schedule.prune(folder, result.path)
                return result
            finally:
                job.close()

        def done(result: object) -> None:
            path: Path = getattr(result, "path", folder)
            fresh = backup_schedule.load(services.paths).succeeded(path, self.now())
            backup_schedule.record_outcome(services.paths, fresh)
            self.refresh()
            self.status.setText(f"Backup made and checked: {path}")
            self.changed()

        def failed(exc: BaseException) -> None:
            self.refresh()
            show_failure(self, exc)

        self.task = BackgroundTask(self, "Backing up the clinic…", work, done, failed)
        self.backup_button.setEnabled(False)
        self.task.start()

    def check_selected(self) -> None:
        archive = self.selected_archive()
        data_key = self.services.data_key
        if archive is None or data_key is None or self._busy():
            return

        def work(progress: Progress, cancelled: Cancelled) -> object:
            from clinicdesk.services.backup import verify_archive

            return verify_archive(archive, data_key, progress=progress, cancelled=cancelled)

        def done(_result: object) -> None:
            self.refresh()
            self.status.setText(f"{archive.name} is whole: every part decrypts and checks out.")

        def failed(exc: BaseException) -> None:
            self.refresh()
            show_failure(self, exc)

        self.task = BackgroundTask(self, f"Checking {archive.name}…", work, done, failed)
        self.check_button.setEnabled(False)
        self.task.start()

    def reject(self) -> None:
        if self._busy():
            return  # the progress dialog's Cancel stops the work first
        super().reject()
