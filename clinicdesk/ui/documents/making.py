"""Making a patient's documents: built in the background on a connection of their own (a
consent pack takes tens of milliseconds, a report with photos much longer: neither belongs on
the GUI thread), then opened in ``PdfPreviewDialog``. Making a document is recorded by
``DocumentService``; the preview's ``printed`` and ``saved`` signals record what then left the
building. The "Large print" check box makes whatever is made next in large print (12 pt body
text): the pack, a form or sheet, the progress report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QCheckBox, QTabWidget

from clinicdesk.domain.consent import (
    DocumentAction,
)
from clinicdesk.domain.report_flavours import Flavour
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import UserError
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.documents import Document
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.documents.pdf_preview import PdfPreviewDialog
from clinicdesk.ui.documents.progress_report import ProgressReportDialog
from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress
from clinicdesk.ui.widgets.errors import show_failure, show_user_error
from clinicdesk.ui.widgets.fields import plain_label
from clinicdesk.ui.widgets.keep_at_lock import KEEP_AT_LOCK
from clinicdesk.ui.widgets.patient_identity import name_the_patient
from clinicdesk.ui.widgets.patient_tab import PatientTab


class DocumentMakingTab(PatientTab):
    """A patient tab that makes documents and previews them: the consent pack, the sheets and
    the progress report. ``status`` says what is being made; ``_update_actions`` is told when
    a document starts or stops being made."""

    def __init__(self, services: ClinicServices, user: CurrentUser, tabs: QTabWidget) -> None:
        super().__init__(tabs)
        self.services = services
        self.user = user
        self.patient_name = ""
        # One printer for every preview, so the second Print… starts from the first one's
        # choices (printer, copies, paper). Made when first needed; tests put a PDF printer.
        self.printer: QPrinter | None = None
        self.preview: PdfPreviewDialog | None = None
        self.task: BackgroundTask | None = None
        self._task_cancelled = False
        self.report_dialog: ProgressReportDialog | None = None
        self.status = plain_label("documents_status")
        self.status.setStyleSheet("color: #52606d;")
        # Placed by the tab; read when a document is made.
        self.large_print_box = QCheckBox("Large pri&nt", self)
        self.large_print_box.setObjectName("large_print")
        self.large_print_box.setToolTip(
            "Make the consent pack, forms, sheets and the patient's progress report in large "
            "print (12 pt text), for a patient who needs it"
        )

    def _update_actions(self) -> None:
        """Enable what may be done now (the tab's actions)."""

    def make_consent_pack(self) -> None:
        user, patient_id, large = self.user, self.patient_id, self.large_print_box.isChecked()
        if patient_id is None:
            return
        self._build_document(
            "Preparing the consent pack…",
            lambda own: own.documents.consent_pack(user, patient_id, large_print=large),
        )

    def make_form(self, template_id: str) -> None:
        user, patient_id, large = self.user, self.patient_id, self.large_print_box.isChecked()
        if patient_id is None:
            return
        self._build_document(
            "Preparing the form…",
            lambda own: own.documents.form(user, patient_id, template_id, large_print=large),
        )

    def make_consent_copy(self, consent_id: str) -> None:
        """A consent form again on the very wording the consent points at (its own template
        version), for the patient who asks for another copy of what they signed."""
        user, patient_id, large = self.user, self.patient_id, self.large_print_box.isChecked()
        if patient_id is None:
            return
        self._build_document(
            "Preparing a copy of the consent form…",
            lambda own: own.documents.consent_copy(user, consent_id, large_print=large),
        )

    def ask_progress_report(self) -> None:
        if self.patient_id is None or not self.user.may(Permission.PROGRESS_REPORT):
            return
        if self.report_dialog is not None:
            self.report_dialog.deleteLater()  # closed by now: it is modal
        dialog = ProgressReportDialog(self.patient_name, self)
        name_the_patient(dialog, self.identity)
        self.report_dialog = dialog

        def accepted() -> None:
            self.make_progress_report(dialog.flavour(), dialog.comment_text())

        dialog.accepted.connect(accepted)
        dialog.setProperty(KEEP_AT_LOCK, True)  # typed work survives the idle lock
        dialog.open()

    def make_progress_report(self, flavour: Flavour, comment: str = "") -> None:
        # Large print is for the patient's report; the clinical one stays at the usual size.
        large = self.large_print_box.isChecked() and flavour == "patient"
        user, patient_id = self.user, self.patient_id
        if patient_id is None:
            return
        self._build_document(
            "Making the progress report (measurements, charts, photos)…",
            lambda own: own.documents.progress_report(
                user, patient_id, flavour=flavour, comment=comment, large_print=large
            ),
        )

    def _build_document(self, label: str, make: Callable[[ClinicServices], Document]) -> None:
        """Build a document on a worker with its own connection, then preview it."""
        if self.task is not None:
            return
        services = self.services

        def work(progress: Progress, cancelled: Cancelled) -> Document | None:
            own = services.open_for_job()
            try:
                if cancelled():
                    return None
                progress(0, 1)
                document = make(own)
                progress(1, 1)
                return document
            finally:
                own.close()

        self._task_cancelled = False
        task = BackgroundTask(self, label, work, self._document_built, self._build_failed)
        task.dialog.canceled.connect(self._build_cancelled)
        task.finished.connect(self._task_finished)
        self.task = task
        self._update_actions()
        self.status.setText(label)
        task.start()

    def _build_cancelled(self) -> None:
        self._task_cancelled = True

    def _task_finished(self) -> None:
        if self.task is not None:
            self.task.dialog.deleteLater()
            self.task.deleteLater()
        self.task = None
        self._update_actions()

    def _document_built(self, result: object) -> None:
        self.status.setText("")
        if not isinstance(result, Document):
            return
        # Made and recorded (with its consents prepared): the tables show it either way.
        self.refresh()
        if self._task_cancelled or result.patient_id != self.patient_id:
            return  # nobody is waiting for it any more
        self.show_document(result)

    def _build_failed(self, exc: BaseException) -> None:
        self.status.setText("")
        show_failure(self, exc, "Documents")

    def show_document(self, document: Document) -> PdfPreviewDialog | None:
        """Open ``document`` in the preview; printing or saving it there is recorded."""
        title = f"{document.title} – {self.patient_name}" if self.patient_name else document.title
        if self.printer is None:
            self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        user = self.user

        def save(path: Path, _pdf: bytes) -> None:
            # Written and recorded as saved together: never a copy on disk the log lacks.
            self.services.documents.save(user, document, path)

        try:
            preview = PdfPreviewDialog(
                document.pdf,
                title=title,
                suggested_name=document.file_name,
                printer=self.printer,
                save=save,
                parent=self,
            )
        except UserError as exc:
            show_user_error(self, exc, "Documents")
            return None

        def printed() -> None:
            self._record_output(user, document, DocumentAction.PRINTED)

        def saved(_path: str) -> None:
            if document.patient_id == self.patient_id:
                self.refresh()  # the log shows the saving

        preview.printed.connect(printed)
        preview.saved.connect(saved)
        self._replace_preview(preview)
        preview.show()
        preview.activateWindow()
        return preview

    def _replace_preview(self, preview: PdfPreviewDialog | None) -> None:
        if self.preview is not None and self.preview.print_task is None:
            self.preview.close()
            self.preview.deleteLater()
        self.preview = preview

    def _record_output(self, user: CurrentUser, document: Document, action: DocumentAction) -> None:
        try:
            self.services.documents.record_output(user, document, action)
        except UserError as exc:
            # The pages have gone to the printer: say so, and that the log lacks them.
            happened = UserError(
                f"“{document.title}” was {action.value}, but that could not be recorded in "
                f"the patient's document log. {exc.message}"
            )
            show_user_error(self, happened, "Documents")
            return
        if document.patient_id == self.patient_id:
            self.refresh()
