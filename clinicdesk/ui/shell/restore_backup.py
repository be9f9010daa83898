"""First run on a new PC: "Restore from a backup…" (issue 13 item 3).

The administrator chooses the backup file and sees what it is (when it was made, by which
ClinicDesk, which clinic, and any newer backup of the same clinic beside it) before anything is
done; then gives their user name and either their password or the clinic's recovery key.
Restore runs ``services.restore.restore_backup`` on a worker (progress, Cancel), then the data
check (``check_restored``) on the restored clinic, and says what was restored, when the backup
was made, any newer backup, and the check's outcome. Then the app opens on it: with the password
the administrator is signed in; with the recovery key they choose a new password first (the
sign-in screen's recovery, ``RecoveryDialog``), then are signed in.

A refusal (a damaged or truncated file, a newer ClinicDesk's backup, a wrong password or
recovery key, someone who is not an administrator) is shown in the dialog, which stays open for
another try; the service has left the data folder as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.errors import UserError
from clinicdesk.paths import Paths
from clinicdesk.services.backup import (
    SUFFIX,
    ArchiveInfo,
    BackupStopped,
    newer_archives,
    read_archive_info,
)
from clinicdesk.services.context import SignedIn, unlock_clinic
from clinicdesk.services.restore import RestoreResult, check_restored, restore_backup
from clinicdesk.services.verify import VerifyReport
from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress
from clinicdesk.ui.widgets.chosen_file import size_text
from clinicdesk.ui.widgets.errors import report_bug
from clinicdesk.ui.widgets.fields import plain_label
from clinicdesk.ui.widgets.styles import ERROR_STYLE

Today = Callable[[], date]
PROBLEMS_SHOWN = 8
CANCELLED = "The restore was cancelled. Nothing was restored and the folder was not changed."


@dataclass(frozen=True)
class RestoreOutcome:
    result: RestoreResult
    report: VerifyReport | None  # None when the check could not run (``check_problem``)
    check_problem: str = ""

    def text(self) -> str:
        """What the administrator is told once the backup is in place."""
        lines = [f"The backup was restored into {self.result.data_dir}.", *self.result.notes()]
        if self.report is None:
            lines.append(f"The data check could not run: {self.check_problem}")
            return "\n\n".join(lines)
        check = [f"Data check: {self.report.summary()}"]
        check += [f"• {p.line()}" for p in self.report.problems[:PROBLEMS_SHOWN]]
        if len(self.report.problems) > PROBLEMS_SHOWN:
            more = len(self.report.problems) - PROBLEMS_SHOWN
            check.append(f"… and {more} more: Admin > Check the clinic's data lists them all.")
        if note := self.report.rebuilt_note():
            check.append(note)
        return "\n\n".join(lines) + "\n\n" + "\n".join(check)


def describe(info: ArchiveInfo, size: int, newer: list[ArchiveInfo]) -> str:
    """What a backup file is, from its plain header (nothing is decrypted)."""
    made = info.created.astimezone().strftime("%d/%m/%Y at %H:%M")
    lines = [
        f"Made on {made} by ClinicDesk {info.app_version} (data version "
        f"{info.schema_version}), {size_text(size)}.",
        f"Clinic {info.clinic_id[:8]} (its name is inside the encrypted backup).",
    ]
    for other in newer:
        when = other.created.astimezone().strftime("%d/%m/%Y at %H:%M")
        lines.append(
            f"A newer backup of this clinic is beside it: {other.path.name} (made {when}). "
            "Restore that one unless you mean to go back to this date."
        )
    return "\n".join(lines)


class RestoreBackupDialog(QDialog):
    """After it is accepted ``restored`` is True; ``signed`` holds the signed-in administrator
    (None if they did not finish choosing a new password: the sign-in screen follows)."""

    def __init__(self, paths: Paths, today: Today = date.today, parent: QWidget | None = None):
        super().__init__(parent)
        self.paths = paths
        self.today = today
        self.archive: Path | None = None
        self.signed: SignedIn | None = None
        self.restored = False
        self.outcome: RestoreOutcome | None = None
        self.task: BackgroundTask | None = None
        self.setObjectName("restore_backup_dialog")
        self.setWindowTitle("Restore the clinic from a backup")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Choose the clinic's backup file (it ends in .cdbackup: on the backup drive or "
            "network folder). An administrator's password or the clinic's recovery key opens it."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        file_row = QHBoxLayout()
        self.file_edit = QLineEdit()
        self.file_edit.setObjectName("archive_file")
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText("no backup file chosen yet")
        self.choose_button = QPushButton("Choose backup file…")
        self.choose_button.setObjectName("choose_archive")
        self.choose_button.clicked.connect(lambda: self.choose_archive())
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.choose_button)
        layout.addLayout(file_row)
        self.info = plain_label("archive_info")
        self.info.setWordWrap(True)
        layout.addWidget(self.info)

        self.form = form = QFormLayout()
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.username.setPlaceholderText("an administrator of the clinic in the backup")
        form.addRow("Administrator user name", self.username)
        self.use_password = QRadioButton("Their password")
        self.use_password.setObjectName("use_password")
        self.use_password.setChecked(True)
        self.use_recovery_key = QRadioButton("The clinic's recovery key (a new password follows)")
        self.use_recovery_key.setObjectName("use_recovery_key")
        self.secret_choice = QButtonGroup(self)
        self.secret_choice.addButton(self.use_password)
        self.secret_choice.addButton(self.use_recovery_key)
        choice = QVBoxLayout()
        choice.addWidget(self.use_password)
        choice.addWidget(self.use_recovery_key)
        form.addRow("Open it with", choice)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Password", self.password)
        self.recovery_key = QLineEdit()
        self.recovery_key.setObjectName("recovery_key")
        self.recovery_key.setPlaceholderText("the groups of letters and digits you printed")
        form.addRow("Recovery key", self.recovery_key)
        layout.addLayout(form)
        self.use_recovery_key.toggled.connect(self._show_secret)
        self._show_secret()

        self.error = QLabel()
        self.error.setObjectName("restore_error")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = QPushButton("Restore")
        self.restore_button.setObjectName("restore")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.restore)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(600)
        self.choose_button.setFocus()

    def _show_secret(self) -> None:
        by_key = self.use_recovery_key.isChecked()
        self.form.setRowVisible(self.password, not by_key)
        self.form.setRowVisible(self.recovery_key, by_key)

    def choose_archive(self, path: Path | None = None) -> None:
        """Ask for the backup file (``path`` given skips the question, for tests), and show
        what it is."""
        if path is None:
            start = str(self.archive.parent) if self.archive else str(Path.home())
            chosen, _ = QFileDialog.getOpenFileName(
                self,
                "Choose the backup file",
                start,
                f"ClinicDesk backups (*{SUFFIX});;All files (*)",
            )
            if not chosen:
                return
            path = Path(chosen)
        self.error.clear()
        self.file_edit.setText(str(path))
        try:
            info = read_archive_info(path)
            size = path.stat().st_size
        except (UserError, OSError) as exc:
            self.archive = None
            self.info.setStyleSheet(ERROR_STYLE)
            self.info.setText(exc.message if isinstance(exc, UserError) else str(exc))
            self.restore_button.setEnabled(False)
            return
        self.archive = path
        self.info.setStyleSheet("")
        self.info.setText(describe(info, size, newer_archives(path, [path.parent])))
        self.restore_button.setEnabled(True)
        self.username.setFocus()

    def _secrets(self) -> tuple[str | None, str | None]:
        if self.use_recovery_key.isChecked():
            return None, self.recovery_key.text().strip()
        return self.password.text(), None

    def _missing(self) -> tuple[str, QLineEdit | None] | None:
        if self.archive is None:
            return "Choose the backup file first.", None
        if not self.username.text().strip():
            return "Type the administrator's user name.", self.username
        password, recovery_key = self._secrets()
        if recovery_key == "":
            return "Type the clinic's recovery key.", self.recovery_key
        if password == "":
            return "Type the administrator's password.", self.password
        return None

    def restore(self) -> None:
        self.error.clear()
        if (missing := self._missing()) is not None:
            message, field = missing
            self.error.setText(message)
            if field is not None:
                field.setFocus()
            return
        archive, paths, today = self.archive, self.paths, self.today
        assert archive is not None
        username = self.username.text().strip()
        password, recovery_key = self._secrets()

        def work(progress: Progress, cancelled: Cancelled) -> RestoreOutcome:
            result = restore_backup(
                archive,
                paths,
                username,
                password=password,
                recovery_key=recovery_key,
                progress=progress,
                cancelled=cancelled,
                today=today,
            )
            try:
                report = check_restored(
                    paths,
                    username,
                    password=password,
                    recovery_key=recovery_key,
                    progress=progress,
                    cancelled=cancelled,
                    today=today,
                )
            except UserError as exc:  # the clinic is restored: say why the check did not run
                return RestoreOutcome(result, None, exc.message)
            return RestoreOutcome(result, report)

        self._set_busy(True)
        self.task = BackgroundTask(
            self, "Restoring the backup, then checking it…", work, self._restored, self._failed
        )
        self.task.start()

    def _set_busy(self, busy: bool) -> None:
        for widget in (
            self.choose_button,
            self.username,
            self.use_password,
            self.use_recovery_key,
            self.password,
            self.recovery_key,
        ):
            widget.setEnabled(not busy)
        self.restore_button.setEnabled(not busy and self.archive is not None)

    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, BackupStopped):
            self.error.setText(CANCELLED)
        elif isinstance(exc, UserError):
            self.error.setText(exc.message)
        else:
            report_bug(type(exc), exc, exc.__traceback__, self)

    def _restored(self, outcome: object) -> None:
        assert isinstance(outcome, RestoreOutcome)
        self.outcome = outcome
        self.restored = True
        all_well = outcome.report is not None and outcome.report.all_well
        plain = all_well and not outcome.result.newer  # an older backup is never restored quietly
        box = QMessageBox(
            QMessageBox.Icon.Information if plain else QMessageBox.Icon.Warning,
            "Backup restored",
            outcome.text(),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("restore_outcome")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.exec()
        self.signed = self._sign_in()
        self.accept()

    def _sign_in(self) -> SignedIn | None:
        """The administrator who restored it, into the restored clinic."""
        username = self.username.text().strip()
        password, recovery_key = self._secrets()
        if recovery_key is not None:
            from clinicdesk.ui.shell.sign_in import RecoveryDialog

            recovery = RecoveryDialog(self.paths, self.today, self)
            for key, text in (("recovery_key", recovery_key), ("username", username)):
                editor = recovery.fields[key].editor
                assert isinstance(editor, QLineEdit)
                editor.setText(text)
            recovery.setWindowTitle("The clinic is restored: choose a new password")
            recovery.fields["password"].editor.setFocus()
            recovery.exec()
            return recovery.signed
        assert password is not None
        try:
            signed = unlock_clinic(self.paths, username, password, self.today, defer_check=True)
        except UserError:
            return None  # the sign-in screen follows, and says why
        from clinicdesk.ui.admin.change_password import choose_own_password

        user = choose_own_password(signed.services.users, signed.user, password, self)
        if user is None:
            signed.services.close()
            return None
        signed.user = user
        return signed

    def reject(self) -> None:
        if not self.busy():  # while restoring, the progress window's Cancel stops it
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy():
            event.ignore()
            return
        super().closeEvent(event)
