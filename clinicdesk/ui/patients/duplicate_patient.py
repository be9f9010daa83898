"""Another patient already has the NHS number just typed: say who, and go ahead only in writing.

``DuplicatePatientDialog`` names each live patient holding the number (name and date of
birth: demographics every role may see). Registering a new patient, it offers "Open the
existing record" (the default), "Cancel" (back to the form as typed) and "Register anyway…",
which asks why; saving an edited record, opening the other record would drop the edit, so it
offers "Cancel" (the default) and "Save anyway…". The reason must have
``DUPLICATE_REASON_MIN`` characters: shorter, the dialog says so under the field and stays
open. The service refuses the duplicate without a reason too, and audits the reason.
"""

from __future__ import annotations

from enum import Enum, auto

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.patient import DUPLICATE_REASON_MIN
from clinicdesk.errors import DuplicatePatient
from clinicdesk.ui.widgets.fields import FieldWithError, note_edit, notice_label


class DuplicateChoice(Enum):
    OPEN_EXISTING = auto()
    GO_AHEAD = auto()  # with the written reason
    CANCEL = auto()


class DuplicatePatientDialog(QDialog):
    def __init__(
        self, error: DuplicatePatient, *, registering: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("duplicate_patient")
        self.setWindowTitle("Already registered?" if registering else "NHS number already used")
        self.choice = DuplicateChoice.CANCEL
        self._registering = registering
        layout = QVBoxLayout(self)

        holders = error.holders
        who = "another patient" if len(holders) == 1 else f"{len(holders)} other patients"
        self.summary = notice_label(
            f"NHS number {error.nhs_number} already belongs to {who}:\n"
            + "\n".join(f"•  {holder.describe()}" for holder in holders),
            "duplicate_holders",
            "background: #fff4e0; color: #6b3e00; border: 1px solid #f0c27a; padding: 6px;",
        )
        layout.addWidget(self.summary)
        advice = QLabel(
            (
                "This is usually the same person: open that record instead."
                if registering
                else "This is usually a typing mistake: check the number against the letter."
            )
            + " Only if the number really is shared, go ahead and write why."
        )
        advice.setWordWrap(True)
        layout.addWidget(advice)

        # The written reason, shown only once the user chooses to go ahead.
        self.reason_panel = QWidget()
        panel = QVBoxLayout(self.reason_panel)
        panel.setContentsMargins(0, 0, 0, 0)
        ask = QLabel(
            f"Why does this record get the same NHS number (at least {DUPLICATE_REASON_MIN} "
            "characters)? The reason is kept in the audit trail."
        )
        ask.setWordWrap(True)
        panel.addWidget(ask)
        self.reason = note_edit(
            "duplicate_reason",
            "e.g. Twin sharing the number on the GP letter; PDS query sent",
            min_height=70,
        )
        self.reason_field = FieldWithError(self.reason)
        panel.addWidget(self.reason_field)
        self.reason_panel.setVisible(False)
        layout.addWidget(self.reason_panel, 1)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.open_button: QPushButton | None = None
        if registering:
            self.open_button = QPushButton("Open the existing record")
            self.open_button.setObjectName("duplicate_open")
            self.open_button.clicked.connect(self._open_existing)
            buttons.addWidget(self.open_button)
        self.go_ahead_button = QPushButton("Register anyway…" if registering else "Save anyway…")
        self.go_ahead_button.setObjectName("duplicate_go_ahead")
        self.go_ahead_button.clicked.connect(self._go_ahead)
        buttons.addWidget(self.go_ahead_button)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("duplicate_cancel")
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        default = self.open_button or self.cancel_button
        default.setDefault(True)
        default.setFocus()
        self.setMinimumWidth(520)

    def _open_existing(self) -> None:
        self.choice = DuplicateChoice.OPEN_EXISTING
        self.accept()

    def _go_ahead(self) -> None:
        if self.reason_panel.isHidden():
            # First press: ask for the reason; the same button then confirms it.
            self.reason_panel.setVisible(True)
            self.go_ahead_button.setText(
                "Register with this reason" if self._registering else "Save with this reason"
            )
            self.reason.setFocus()
            self.adjustSize()
            return
        typed = self.reason_text()
        if len(typed) < DUPLICATE_REASON_MIN:
            self.reason_field.set_error(
                f"Write at least {DUPLICATE_REASON_MIN} characters saying why "
                f"({len(typed)} so far)."
            )
            self.reason.setFocus()
            return
        self.reason_field.set_error(None)
        self.choice = DuplicateChoice.GO_AHEAD
        self.accept()

    def reject(self) -> None:
        self.choice = DuplicateChoice.CANCEL
        super().reject()

    def reason_text(self) -> str:
        return self.reason.toPlainText().strip()
