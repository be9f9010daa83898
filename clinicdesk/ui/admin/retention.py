"""Admin > Erasure request for this patient and Admin > Records due for destruction.

The erasure request asks for the written reason and says what happens at once (marketing ends,
the record is restricted) and later (destruction after the retention date, never on its own).
The schedule lists restricted records and records whose date has passed, soonest first; an
administrator opens a restricted record after giving a reason (audited) and destroys one whose
date has passed after confirming. The services check every permission and date.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.retention import MAX_RETENTION_YEARS, MIN_RETENTION_YEARS
from clinicdesk.errors import UserError
from clinicdesk.services.retention import ErasureOutcome, RetentionService, ScheduleEntry
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.fields import plain_label

HEADERS = ("Patient", "Born", "Last treatment or visit", "Keep until", "Status")
ERASURE_NOTE = (
    "At once: marketing consent ends and none of this patient's photos may be used for "
    "marketing; the record leaves the patient list and search for everyone (an administrator "
    "can still open it, giving a reason). The clinical record is kept until its retention "
    "date and is then listed under Admin > Records due for destruction; nothing is destroyed "
    "without an administrator."
)


def _reason_box(name: str, placeholder: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(name)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)
    box.setFixedHeight(70)
    return box


class ErasureRequestDialog(QDialog):
    """The reason for a patient's erasure request; saving records it (``request_erasure``)."""

    def __init__(
        self, service: RetentionService, user: CurrentUser, patient: Patient, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.service, self.user, self.patient = service, user, patient
        self.outcome: ErasureOutcome | None = None
        name = f"{patient.details.first_name} {patient.details.last_name}"
        self.setWindowTitle(f"Erasure request — {name}")
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("erasure_note", ERASURE_NOTE))
        layout.addWidget(QLabel("Reason (how and when the patient asked):"))
        self.reason = _reason_box("erasure_reason", "e.g. Letter from the patient, 03/02/2026")
        layout.addWidget(self.reason)
        self.message = plain_label("erasure_message")
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.record_button = buttons.addButton(
            "Record erasure request", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.accepted.connect(self.record)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def record(self) -> None:
        try:
            self.outcome = self.service.request_erasure(
                self.user, self.patient.id, self.reason.toPlainText()
            )
        except UserError as exc:
            self.message.setText(exc.message)
            return
        self.accept()


class RetentionDialog(QDialog):
    """Admin > Records due for destruction."""

    def __init__(
        self,
        service: RetentionService,
        user: CurrentUser,
        open_patient: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.service, self.user, self.open_patient = service, user, open_patient
        self.setWindowTitle("Records due for destruction")
        self.resize(760, 420)
        self.entries: list[ScheduleEntry] = []
        layout = QVBoxLayout(self)
        self.note = plain_label("retention_note")
        layout.addWidget(self.note)
        keep = QHBoxLayout()
        keep.addWidget(QLabel("Keep clinical records for"))
        self.years = QSpinBox()
        self.years.setObjectName("retention_years")
        self.years.setRange(MIN_RETENTION_YEARS, MAX_RETENTION_YEARS)
        self.years.setSuffix(" years")
        self.years.setValue(service.retention_years())
        self.years.setToolTip(
            f"After the last treatment or visit; at least {MIN_RETENTION_YEARS} years "
            "(CLINICAL.md). Changing it moves every record's date."
        )
        keep.addWidget(self.years)
        keep.addWidget(QLabel("after the last treatment or visit."))
        self.save_years_button = QPushButton("&Save")
        self.save_years_button.setObjectName("save_retention_years")
        self.save_years_button.clicked.connect(self.save_years)
        keep.addWidget(self.save_years_button)
        keep.addStretch(1)
        layout.addLayout(keep)
        self._show_note()
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("retention_table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table)
        layout.addWidget(QLabel("Reason for opening a restricted record (kept in the audit log):"))
        self.reason = _reason_box("open_reason", "e.g. Solicitor's letter of 12/01/2026")
        layout.addWidget(self.reason)
        self.message = plain_label("retention_message")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.open_button = QPushButton("&Open record")
        self.open_button.clicked.connect(self.open_chosen)
        self.destroy_button = QPushButton("&Destroy record…")
        self.destroy_button.clicked.connect(self.destroy_chosen)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        for button in (self.open_button, self.destroy_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.reload()

    def _show_note(self) -> None:
        years = self.service.retention_years()
        self.note.setText(
            f"Clinical records are kept {years} years after the last treatment or visit "
            "(a child's until their 25th birthday). Listed: records restricted after an "
            "erasure request, and every record whose date has passed. Nothing is "
            "destroyed until you destroy it here."
        )

    def save_years(self) -> None:
        try:
            years = self.service.set_retention_years(self.user, str(self.years.value()))
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._show_note()
        self.reload()
        self.message.setText(f"Records are now kept {years} years; the dates below follow.")

    def reload(self) -> None:
        self.entries = self.service.schedule(self.user)
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            status = "Restricted (erasure request)" if entry.restricted else "Not restricted"
            if entry.due:
                status += " · due for destruction"
            cells = (
                entry.name,
                format_uk(entry.date_of_birth),
                format_uk(entry.last_activity),
                format_uk(entry.due_on),
                status,
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if not self.entries:
            self.message.setText("No record is restricted or due for destruction.")
        self._update_buttons()

    def chosen(self) -> ScheduleEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        entry = self.chosen()
        self.open_button.setEnabled(entry is not None)
        self.destroy_button.setEnabled(entry is not None and entry.due)

    def open_chosen(self) -> None:
        entry = self.chosen()
        if entry is None:
            return
        try:
            if entry.restricted:
                self.service.open_restricted(self.user, entry.patient_id, self.reason.toPlainText())
        except UserError as exc:
            self.message.setText(exc.message)
            self.reason.setFocus()
            return
        self.message.setText("")
        self.open_patient(entry.patient_id)

    def confirm_destroy(self, entry: ScheduleEntry) -> bool:
        answer = QMessageBox.warning(
            self,
            "Destroy record",
            f"Destroy the record of {entry.name} (born {format_uk(entry.date_of_birth)})?\n\n"
            "Every entry, photo, consent scan and document of this record is removed for good; "
            "backups made from now on will not hold it. The audit log keeps only that a record "
            "was destroyed under the retention schedule.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def destroy_chosen(self) -> None:
        entry = self.chosen()
        if entry is None or not self.confirm_destroy(entry):
            return
        try:
            outcome = self.service.destroy(self.user, entry.patient_id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        note = "The record was destroyed."
        if outcome.files_left:
            note += " These files could not be removed: " + "; ".join(outcome.files_left)
        self.reload()
        self.message.setText(note)
