"""Admin > Check the clinic's data: ``services.verify`` on a worker, then what it found.

The check reads every photo and consent file and runs SQLite's full integrity check, which on a
large clinic takes a while, so it runs on a worker with a connection of its own
(``ClinicServices.open_for_job``) under ``BackgroundTask``: progress after half a second, and
Cancel (which stops even the integrity check). The result shows in ``DataCheckDialog``: "All
is well" with the counts, or one entry per problem saying what is wrong, which record or file,
and what to do, with a button to copy them all (for support, or for whoever restores).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress
from clinicdesk.ui.widgets.errors import show_failure

if TYPE_CHECKING:
    from clinicdesk.services.context import ClinicServices
    from clinicdesk.services.session import CurrentUser
    from clinicdesk.services.verify import Problem, VerifyReport

TITLE = "Check the clinic's data"


def check_clinic_data(
    parent: QWidget,
    services: ClinicServices,
    user: CurrentUser,
    on_done: Callable[[VerifyReport], None],
) -> BackgroundTask:
    """Run the check in the background; ``on_done`` gets the report on the GUI thread.
    A refusal or a database that cannot be opened is shown to the user."""

    def work(progress: Progress, cancelled: Cancelled) -> VerifyReport:
        from clinicdesk.services.backup_files import which_backup_holds
        from clinicdesk.services.verify import VerifyService

        own = services.open_for_job()
        try:
            return VerifyService(own.db, own.paths, own.data_key).verify(
                user,
                progress=progress,
                cancelled=cancelled,
                which_backup_holds=which_backup_holds(own),
            )
        finally:
            own.close()

    def succeeded(result: object) -> None:
        from clinicdesk.services.verify import VerifyReport

        assert isinstance(result, VerifyReport)
        on_done(result)

    def failed(exc: BaseException) -> None:
        show_failure(parent, exc)

    task = BackgroundTask(
        parent,
        "Checking the clinic's data: the database, every photo and consent file, the audit trail…",
        work,
        succeeded,
        failed,
    )
    task.dialog.setWindowTitle(TITLE)
    task.start()
    return task


def put_back_files(
    parent: QWidget,
    services: ClinicServices,
    user: CurrentUser,
    names: list[str],
    on_done: Callable[[str], None],
) -> BackgroundTask:
    """Put the lost files ``names`` back from the backups holding them, on a worker;
    ``on_done`` gets what was done, in words."""

    def work(progress: Progress, cancelled: Cancelled) -> str:
        from clinicdesk.services.backup_files import restore_from_backups

        own = services.open_for_job()
        try:
            done, nowhere = restore_from_backups(
                own, user, names, progress=progress, cancelled=cancelled
            )
        finally:
            own.close()
        lines = [f"Put back {len(r.restored)} file(s) from the backup {r.archive}." for r in done]
        lines.extend(f"No backup here holds {name}." for name in nowhere)
        return "\n".join(lines)

    def failed(exc: BaseException) -> None:
        show_failure(parent, exc)

    task = BackgroundTask(
        parent,
        "Putting files back from the backups…",
        work,
        lambda text: on_done(str(text)),
        failed,
    )
    task.start()
    return task


class DataCheckDialog(QDialog):
    """What the check found (see the module docstring). ``put_back(files)``, when given, is
    offered for the missing or damaged files that a backup here holds."""

    def __init__(
        self,
        report: VerifyReport,
        parent: QWidget | None = None,
        put_back: Callable[[list[str]], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle(TITLE)
        self.resize(760, 460)
        layout = QVBoxLayout(self)
        self.summary = QLabel(report.summary())
        self.summary.setObjectName("data_check_summary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)
        layout.addWidget(self.summary)
        self.problems = QListWidget()
        self.problems.setObjectName("data_check_problems")
        self.problems.setWordWrap(True)
        self.problems.setAlternatingRowColors(True)
        self.problems.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        for problem in report.problems:
            text = f"{problem.what}\n{_where(problem)}\nWhat to do: {problem.action}"
            item = QListWidgetItem(text)
            item.setToolTip(problem.line())
            self.problems.addItem(item)
        self.problems.setVisible(bool(report.problems))
        layout.addWidget(self.problems, 1)
        self.note = QLabel(report.rebuilt_note())
        self.note.setObjectName("data_check_note")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.note.setVisible(bool(report.rebuilt_note()))
        layout.addWidget(self.note)
        if report.all_well:
            layout.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.copy_button = QPushButton("&Copy the list")
        self.copy_button.setToolTip("Copy every problem, one a line, to paste into an email")
        self.copy_button.clicked.connect(self.copy_list)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setVisible(bool(report.problems))  # after addButton, which shows it
        self.held = [p.file for p in report.problems if p.file and p.backup]
        self.put_back_button = QPushButton("Put &back files from backups")
        self.put_back_button.setObjectName("put_back_files")
        self.put_back_button.setToolTip(
            "Restore the missing or damaged photo and consent files from the backups that "
            "hold them, then check again; nothing else is changed"
        )
        buttons.addButton(self.put_back_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.put_back_button.setVisible(bool(self.held) and put_back is not None)
        self._put_back = put_back
        self.put_back_button.clicked.connect(self.put_back)
        layout.addWidget(buttons)

    def put_back(self) -> None:
        if self._put_back is not None and self.held:
            self.accept()
            self._put_back(self.held)

    def text(self) -> str:
        """The summary and each problem on a line of its own, as ``clinicdesk verify`` prints."""
        lines = [self.report.summary(), *(p.line() for p in self.report.problems)]
        if note := self.report.rebuilt_note():
            lines.append(note)
        return "\n".join(lines)

    def copy_list(self) -> None:
        QGuiApplication.clipboard().setText(self.text())


def _where(problem: Problem) -> str:
    if problem.file and problem.file != problem.where:
        return f"{problem.where} ({problem.file})"
    return problem.where
