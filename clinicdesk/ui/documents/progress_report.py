"""The progress report's options: which report (clinical or for the patient) and the
clinician's comment, asked before the report is made in the background."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.report_flavours import Flavour
from clinicdesk.errors import ValidationError
from clinicdesk.services.report_comment import check_report_comment
from clinicdesk.ui.widgets.fields import FieldWithError, note_edit
from clinicdesk.ui.widgets.patient_identity import IDENTITY_PROPERTY


class ProgressReportDialog(QDialog):
    """Which report (clinical or for the patient) and the clinician's comment. A comment the
    report cannot print (too long, control characters) is refused under the field and the
    dialog stays open with it: the report is made on a worker after the dialog has closed,
    where a refusal would lose what was typed."""

    def __init__(self, patient_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("progress_report_dialog")
        self.setWindowTitle("Progress report")
        layout = QVBoxLayout(self)
        heading = QLabel(patient_name)
        heading.setObjectName(IDENTITY_PROPERTY)  # name_the_patient adds date of birth, NHS no.
        heading.setTextFormat(Qt.TextFormat.PlainText)
        heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        layout.addWidget(heading)
        box = QGroupBox("Report for")
        choices = QVBoxLayout(box)
        self.clinical = QRadioButton("&Clinical: full tables and charts, for the notes or the GP")
        self.clinical.setObjectName("flavour_clinical")
        self.patient = QRadioButton("The &patient: plain language, to take home")
        self.patient.setObjectName("flavour_patient")
        self.clinical.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.clinical)
        group.addButton(self.patient)
        choices.addWidget(self.clinical)
        choices.addWidget(self.patient)
        layout.addWidget(box)
        label = QLabel("Your co&mment (optional, printed on the report):")
        layout.addWidget(label)
        self.comment = note_edit(
            "report_comment", "e.g. Good response at the vertex; continue minoxidil.", min_height=90
        )
        label.setBuddy(self.comment)
        self.comment_field = FieldWithError(self.comment)
        layout.addWidget(self.comment_field, 1)
        buttons = QDialogButtonBox()
        self.make_button = buttons.addButton("Make &report", QDialogButtonBox.ButtonRole.AcceptRole)
        self.make_button.setObjectName("make_report")
        self.make_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 320)

    def accept(self) -> None:
        try:
            check_report_comment(self.comment.toPlainText())
        except ValidationError as exc:
            self.comment_field.set_error(
                f"Your comment {exc.errors.get('comment', 'cannot be printed')}."
            )
            self.comment.setFocus()
            return
        self.comment_field.set_error(None)
        super().accept()

    def flavour(self) -> Flavour:
        return "patient" if self.patient.isChecked() else "clinical"

    def comment_text(self) -> str:
        return self.comment.toPlainText().strip()
