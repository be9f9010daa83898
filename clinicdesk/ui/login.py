"""Sign in: user name and password. Every attempt, good or bad, is audited by the service."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinicdesk import APP_NAME
from clinicdesk.errors import UserError
from clinicdesk.services.clinic import ClinicService
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.fields import ERROR_STYLE


class LoginDialog(QDialog):
    def __init__(
        self, clinic: ClinicService, hint: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.user: CurrentUser | None = None
        self.setObjectName("login_dialog")
        name = clinic.clinic_name()
        self.setWindowTitle(f"Sign in to {APP_NAME}")
        layout = QVBoxLayout(self)
        heading = QLabel(name or APP_NAME)
        heading.setTextFormat(Qt.TextFormat.PlainText)
        heading.setStyleSheet("font-size: 16px; font-weight: bold;")
        layout.addWidget(heading)
        if hint:
            hint_label = QLabel(hint)
            hint_label.setObjectName("login_hint")
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
        self.error = QLabel()
        self.error.setObjectName("login_error")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Sign in")
        ok.setObjectName("sign_in")
        buttons.accepted.connect(self.try_sign_in)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.username.setFocus()

    def try_sign_in(self) -> None:
        if not self.username.text().strip():
            self.error.setText("Type your user name.")
            self.username.setFocus()
            return
        try:
            self.user = self.clinic.login(self.username.text(), self.password.text())
        except UserError as exc:
            self.error.setText(exc.message)
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()
