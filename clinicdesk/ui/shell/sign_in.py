"""Sign in: user name and password unlock the clinic's data key and open the database.

A forgotten administrator password is recovered with the recovery key printed when the clinic
was created ("Forgotten password?").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk import APP_NAME
from clinicdesk.errors import UserError, ValidationError, missing_library
from clinicdesk.paths import Paths
from clinicdesk.ui.widgets.styles import ERROR_STYLE

# The clinic's services are imported when a password is tried (and, meanwhile, while the dialog
# waits for it: ``start_up.SIGNED_IN_MODULES``), not before the dialog is on screen; the form
# helpers with the recovery dialog.
if TYPE_CHECKING:
    from datetime import date

    from clinicdesk.services.context import SignedIn
    from clinicdesk.ui.shell.main_window import MainWindow
    from clinicdesk.ui.widgets.fields import FieldWithError

Today = Callable[[], "date"]
log = logging.getLogger(__name__)


def todays_date() -> date:
    """Today, by the computer's clock: ``datetime`` is imported when it is first asked for,
    not before the dialog is on screen."""
    from datetime import date

    return date.today()


def cannot_open(exc: ImportError) -> str:
    """A broken installation met at sign-in (the clinic's modules are imported then)."""
    log.error("a library is missing: %s", exc.name)
    return f"ClinicDesk cannot open the clinic: {missing_library(exc)}"


class MessageLabel(QLabel):
    """The red, wrapped line saying why sign-in failed, shown as plain text (it may quote
    what was typed). Set so with the first message, not when the dialog is built: ``Qt``'s
    enums are the one thing the dialog would otherwise need before it is on screen, and PySide
    makes all 93 of them at the first (some 30 ms of the program's start)."""

    def __init__(self) -> None:
        super().__init__()
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:
        if text:
            from PySide6.QtCore import Qt

            self.setTextFormat(Qt.TextFormat.PlainText)
        super().setText(text)


def _ok_cancel(ok_text: str) -> QDialogButtonBox:
    """OK (saying ``ok_text``) and Cancel. Made empty and then given its buttons: PySide
    resolving the constructor's arguments would make ``Qt``'s enums (see ``MessageLabel``)."""
    buttons = QDialogButtonBox()
    buttons.setStandardButtons(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    return buttons


class LoginDialog(QDialog):
    """``signed`` holds the open clinic and the user once sign-in succeeds."""

    def __init__(
        self,
        paths: Paths,
        hint: str = "",
        today: Today = todays_date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self.today = today
        self.signed: SignedIn | None = None
        # The main window's widgets, made while the password is typed (application's
        # ``prepare_main_window``), for the window to come.
        self.prepared: MainWindow | None = None
        self.setObjectName("login_dialog")
        self.setWindowTitle(f"Sign in to {APP_NAME}")
        layout = QVBoxLayout(self)
        heading = QLabel(APP_NAME)
        heading.setStyleSheet("font-size: 16px; font-weight: bold;")
        layout.addWidget(heading)
        if hint:
            hint_label = QLabel(hint)
            hint_label.setObjectName("login_hint")
            from PySide6.QtCore import Qt  # (a hint is rare: see MessageLabel)

            hint_label.setTextFormat(Qt.TextFormat.PlainText)
            hint_label.setWordWrap(True)
            layout.addWidget(hint_label)
        form = QFormLayout()
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        layout.addLayout(form)
        self.error = MessageLabel()
        self.error.setObjectName("login_error")
        layout.addWidget(self.error)
        buttons = _ok_cancel("Sign in")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("sign_in")
        self.forgot = QPushButton("Forgotten password?")
        self.forgot.setObjectName("forgotten_password")
        self.forgot.setFlat(True)
        self.forgot.clicked.connect(self.recover)
        buttons.addButton(self.forgot, QDialogButtonBox.ButtonRole.HelpRole)
        buttons.accepted.connect(self.try_sign_in)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.username.setFocus()

    def try_sign_in(self) -> None:
        if not self.username.text().strip():
            self.error.setText("Type your user name.")
            self.username.setFocus()
            return
        from PySide6.QtCore import Qt  # (see MessageLabel)

        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            from clinicdesk.services.context import unlock_clinic

            # The database check runs once the window is up (it grows with the clinic).
            self.signed = unlock_clinic(
                self.paths,
                self.username.text(),
                self.password.text(),
                self.today,
                defer_check=True,
            )
        except UserError as exc:
            self.error.setText(exc.message)
            self.password.clear()
            self.password.setFocus()
            return
        except ImportError as exc:  # the clinic's modules come when first needed: see start_up
            self.error.setText(cannot_open(exc))
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        if self.signed.recovery_key:  # a database from before encryption was just converted
            from clinicdesk.ui.shell.recovery_key import RecoveryKeyDialog

            RecoveryKeyDialog(
                self.signed.recovery_key,
                self.signed.services.clinic.clinic_name(),
                self.today(),
                self,
            ).exec()
        if not self._own_password_chosen(self.signed):
            self.signed.services.close()
            self.signed = None
            self.error.setText(
                "You were signed out: choose your own password when you next sign in, "
                "before going on."
            )
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()

    def _own_password_chosen(self, signed: SignedIn) -> bool:
        """A password an administrator set must be replaced before the window opens."""
        from clinicdesk.ui.admin.change_password import choose_own_password

        if signed.user.must_change_password:
            signed.services.check_now()  # the new password is a write: it cannot wait
        user = choose_own_password(signed.services.users, signed.user, self.password.text(), self)
        if user is None:
            return False
        signed.user = user
        return True

    def recover(self) -> None:
        dialog = RecoveryDialog(self.paths, self.today, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.signed is not None:
            self.signed = dialog.signed
            self.accept()


class RecoveryDialog(QDialog):
    """The recovery key opens the clinic and gives an administrator a new password."""

    FIELDS = (
        ("recovery_key", "Recovery key", "the groups of letters and digits you printed"),
        ("username", "Administrator user name", ""),
        ("password", "New password", "at least 8 characters"),
        ("repeat_password", "New password again", ""),
    )

    def __init__(self, paths: Paths, today: Today, parent: QWidget | None = None) -> None:
        from clinicdesk.ui.widgets.fields import FieldWithError

        super().__init__(parent)
        self.paths = paths
        self.today = today
        self.signed: SignedIn | None = None
        self.setObjectName("recovery_dialog")
        self.setWindowTitle("Recover access with the recovery key")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Type the recovery key printed when the clinic was created. It lets an "
            "administrator choose a new password. Other staff: ask an administrator to reset "
            "your password instead."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.fields: dict[str, FieldWithError] = {}
        for key, label, placeholder in self.FIELDS:
            edit = QLineEdit()
            edit.setObjectName(key)
            edit.setPlaceholderText(placeholder)
            if "password" in key:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            field = FieldWithError(edit)
            self.fields[key] = field
            form.addRow(label, field)
        layout.addLayout(form)
        self.error = MessageLabel()
        layout.addWidget(self.error)
        buttons = _ok_cancel("Recover and sign in")
        buttons.accepted.connect(self.try_recover)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def try_recover(self) -> None:
        for field in self.fields.values():
            field.set_error(None)
        self.error.clear()
        if self.fields["password"].text() != self.fields["repeat_password"].text():
            self.fields["repeat_password"].set_error("does not match the new password")
            return
        try:
            from clinicdesk.services.context import recover_access

            self.signed = recover_access(
                self.paths,
                self.fields["recovery_key"].text(),
                self.fields["username"].text(),
                self.fields["password"].text(),
                self.today,
            )
        except ValidationError as exc:
            for key, message in exc.errors.items():
                if key in self.fields:
                    self.fields[key].set_error(message)
            return
        except UserError as exc:
            self.error.setText(exc.message)
            return
        except ImportError as exc:
            self.error.setText(cannot_open(exc))
            return
        self.accept()
