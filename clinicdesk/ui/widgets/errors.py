"""Showing problems: plain messages for ``UserError``, the bug dialog for everything else.

The bug dialog follows calibre's ``error_dialog``: a short message, the details (traceback)
behind a button, and a button that copies them for a support request. The traceback also goes
to the log file. Tracebacks hold code and ids, not the text of patient fields, because we never
put field values into exception messages.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QDialog, QLabel, QVBoxLayout, QWidget

from clinicdesk.errors import UserError

log = logging.getLogger(__name__)


class BugDialog(QDialog):
    def __init__(self, message: str, details: str, parent: QWidget | None = None) -> None:
        # Imported here: start-up needs only show_user_error's name (see show_user_error).
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QDialogButtonBox, QPlainTextEdit, QPushButton

        super().__init__(parent)
        self.setWindowTitle("ClinicDesk: something went wrong")
        self.setObjectName("bug_dialog")
        layout = QVBoxLayout(self)
        self.message_label = QLabel(message)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setWordWrap(True)
        layout.addWidget(self.message_label)
        hint = QLabel(
            "This is a fault in ClinicDesk, not something you did. Your saved records are safe. "
            "Copy the details and send them to your support contact."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        self.details.setMinimumHeight(180)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.details_button = QPushButton("Show details")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._toggle_details)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.details_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 200)

    def _toggle_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setText("Hide details" if shown else "Show details")
        self.adjustSize()

    def copy_details(self) -> None:
        clipboard = QApplication.clipboard()
        clipboard.setText(f"{self.message_label.text()}\n\n{self.details.toPlainText()}")


def show_user_error(parent: QWidget | None, error: UserError, title: str = "ClinicDesk") -> None:
    # Imported when first shown: each Qt class PySide loads makes its enums (~1 ms here), and
    # nearly every window imports this function, so start-up would pay for a message box.
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.warning(parent, title, error.message)


def show_failure(parent: QWidget | None, exc: BaseException, title: str = "ClinicDesk") -> None:
    """How long work that failed is shown: a ``UserError`` as its message (what to do), anything
    else as the bug report."""
    if isinstance(exc, UserError):
        show_user_error(parent, exc, title)
    else:
        report_bug(type(exc), exc, exc.__traceback__, parent)


def report_bug(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    parent: QWidget | None = None,
) -> BugDialog:
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("unexpected error:\n%s", details)
    dialog = BugDialog(f"An unexpected error happened: {exc_type.__name__}.", details, parent)
    dialog.open()
    return dialog


def install_excepthook() -> None:
    """Route uncaught exceptions in Qt slots: user errors as messages, bugs to the bug dialog."""
    dialogs: list[BugDialog] = []

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if isinstance(exc, UserError):
            log.info("user error %s", exc_type.__name__)
            show_user_error(QApplication.activeWindow(), exc)
            return
        # (Imported here: not needed before the sign-in dialog is up; it comes in with the
        # clinic's modules while the password is typed, start_up.SIGNED_IN_MODULES.)
        from clinicdesk.services.database_errors import database_failure_message

        if (message := database_failure_message(exc)) is not None:
            # A damaged file, a lock held too long, a full disk: say what to do, not "a bug".
            log.info("database error %s", exc_type.__name__)
            show_user_error(QApplication.activeWindow(), UserError(message))
            return
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        dialogs.append(report_bug(exc_type, exc, tb, QApplication.activeWindow()))

    sys.excepthook = hook
