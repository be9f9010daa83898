"""The recovery key, shown once: when a clinic is created (first run) and when a database from
before encryption is converted at sign-in. Print it (A4, the clinic's name, the date and the key
in large monospaced type) or write it down; it is the only way back in if every administrator
forgets their password. Its own module so that the first-run screen and the sign-in dialog both
use it without importing each other."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk import APP_NAME
from clinicdesk.errors import UserError
from clinicdesk.services.documents import recovery_key_pdf
from clinicdesk.ui.documents import printing
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.fields import plain_label


class RecoveryKeyDialog(QDialog):
    """The recovery key, shown once at clinic creation: print it, keep it in the safe. The
    printed page has the clinic's name, the date and the key in large monospaced type."""

    def __init__(
        self,
        recovery_key: str,
        clinic_name: str,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recovery_key_dialog")
        self.setWindowTitle("Your recovery key")
        self.clinic_name = clinic_name
        self.today = today
        # One printer for the dialog (made at the first Print…), so a second Print… starts
        # from the first one's choices.
        self.printer: QPrinter | None = None
        layout = QVBoxLayout(self)
        text = QLabel(
            "ClinicDesk encrypts all clinic data. If every administrator forgets their "
            "password, this recovery key is the only way back in. Print it or write it down "
            "now and keep it in the practice safe. It is shown only this once."
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        self.key_label = QLabel(recovery_key)
        self.key_label.setObjectName("recovery_key")
        self.key_label.setTextFormat(Qt.TextFormat.PlainText)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_label.setStyleSheet(
            "font-family: monospace; font-size: 15px; padding: 8px; border: 1px solid #999;"
        )
        self.key_label.setWordWrap(True)
        layout.addWidget(self.key_label)
        self.status = plain_label("recovery_key_status")
        layout.addWidget(self.status)
        self.kept = QCheckBox("I have printed or written down the recovery key")
        self.kept.setObjectName("recovery_key_kept")
        layout.addWidget(self.kept)
        buttons = QHBoxLayout()
        self.print_button = QPushButton("Print…")
        self.print_button.setObjectName("recovery_key_print")
        self.print_button.clicked.connect(self.print_key)
        self.done_button = QPushButton("Continue")
        self.done_button.setObjectName("recovery_key_done")
        self.done_button.setEnabled(False)
        self.kept.toggled.connect(self.done_button.setEnabled)
        self.done_button.clicked.connect(self.accept)
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        buttons.addWidget(self.done_button)
        layout.addLayout(buttons)
        self.setMinimumWidth(520)

    def key_pdf(self) -> bytes:
        """The page that is printed (never saved: anyone holding the key opens the data)."""
        return recovery_key_pdf(self.clinic_name, self.key_label.text(), self.today)

    def print_key(self) -> None:
        """Ask which printer, then print the key's page (one page: done here, quickly)."""
        if self.printer is None:
            self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer = printing.choose_printer(
            self.printer, self, title=f"{APP_NAME} recovery key", page_count=1
        )
        if printer is None:
            return
        self.printer = printer
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            printing.print_pdf(
                self.key_pdf(), printer, fit_to_paper=printing.paper_was_chosen(printer)
            )
        except UserError as exc:
            self.status.setText("The recovery key was not printed.")
            show_user_error(self, exc, "Print")
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        where = printer.printerName() or printer.outputFileName() or "the printer"
        self.status.setText(f"Sent to {where}. Check that the page came out, and keep it safe.")

    def reject(self) -> None:
        # Closing without confirming would lose the only copy: insist.
        if self.kept.isChecked():
            super().reject()
