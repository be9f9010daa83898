"""File > Export everything held (subject access)…: the subject access zip of the open record.

Administrators only (the main window hides the action from other roles; the service refuses
them anyway). Asks where to save the zip, then runs ``SubjectAccessService.export_patient`` on
a worker with a connection of its own (``BackgroundTask``: progress after half a second, with
Cancel), and says where the zip went and which files were left out, and why (a photo file
missing or damaged). Cancel or a failure leaves no file under the chosen name.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from clinicdesk.services.context import ClinicServices
from clinicdesk.services.session import CurrentUser
from clinicdesk.services.subject_access import ExportCancelled, SubjectAccessExport
from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress
from clinicdesk.ui.widgets.chosen_file import ask_save_path, documents_folder
from clinicdesk.ui.widgets.errors import show_failure

TITLE = "Subject access export"


def describe(result: SubjectAccessExport) -> str:
    """What the closing message says: where the zip is, and each file left out with why."""
    text = f"Everything held about the patient was saved to:\n{result.path}"
    if result.left_out:
        lines = "\n".join(f"• {item.what}: {item.reason}." for item in result.left_out)
        text += (
            f"\n\n{len(result.left_out)} file(s) held on record could not be included:\n{lines}"
            "\n\nThey are listed in the zip's summary and problems.txt. Restore them from a "
            "backup and send them separately."
        )
    return text


class SubjectAccessExporter(QObject):
    """Runs one export at a time for the window; ``message`` is the last closing message."""

    def __init__(self, parent: QWidget, services: ClinicServices, user: CurrentUser) -> None:
        super().__init__(parent)
        self.window = parent
        self.services = services
        self.user = user
        self.task: BackgroundTask | None = None
        self.message: QMessageBox | None = None
        self.folder: Path | None = None

    @property
    def running(self) -> bool:
        return self.task is not None

    def ask_and_export(self, patient_id: str) -> None:
        if self.task is not None:
            return
        folder = self.folder or documents_folder()
        default = folder / f"subject-access-{date.today().isoformat()}.zip"
        path = ask_save_path(self.window, TITLE, default, ".zip", "Zip files")
        if path is None:
            return
        self.export(patient_id, path)

    def export(self, patient_id: str, path: Path) -> None:
        """Export to ``path`` on a worker (no question asked)."""
        services, user = self.services, self.user

        def work(progress: Progress, cancelled: Cancelled) -> SubjectAccessExport:
            own = services.open_for_job()
            try:
                return own.subject_access.export_patient(
                    user, patient_id, path, progress, cancelled
                )
            finally:
                own.close()

        self.folder = path.parent
        task = BackgroundTask(
            self.window,
            "Exporting everything held about the patient…",
            work,
            self._done,
            self._failed,
        )
        task.finished.connect(self._finished)
        self.task = task
        task.start()

    def _show(self, icon: QMessageBox.Icon, text: str) -> None:
        if self.message is not None:
            self.message.deleteLater()
        box = QMessageBox(icon, TITLE, text, QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("subject_access_message")
        self.message = box
        box.open()

    def _done(self, result: object) -> None:
        assert isinstance(result, SubjectAccessExport)
        icon = QMessageBox.Icon.Warning if result.left_out else QMessageBox.Icon.Information
        self._show(icon, describe(result))

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ExportCancelled):
            self._show(QMessageBox.Icon.Information, exc.message)
        else:
            show_failure(self.window, exc, TITLE)

    def _finished(self) -> None:
        if self.task is not None:
            self.task.dialog.deleteLater()
            self.task.deleteLater()
        self.task = None
