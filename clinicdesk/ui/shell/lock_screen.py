"""The lock screen: the page the idle lock shows instead of the window's content (see
``idle_lock``), made at the first lock rather than at start-up."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk import APP_NAME
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.fields import message_line, plain_label


class LockScreen(QWidget):
    """The page shown instead of the window's content while it is locked."""

    unlock_requested = Signal(str)
    switch_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lock_screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#lock_screen { background: #334e68; }"
            "#lock_card { background: #ffffff; border-radius: 8px; }"
        )
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        card = QFrame()
        card.setObjectName("lock_card")
        card.setFixedWidth(400)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        layout = QVBoxLayout(card)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(8)
        self.title = QLabel()
        self.title.setObjectName("lock_title")
        self.title.setStyleSheet("font-size: 20px; font-weight: bold; color: #102a43;")
        layout.addWidget(self.title)
        self.user_label = plain_label("lock_user")
        self.user_label.setStyleSheet("font-size: 14px; color: #102a43;")
        layout.addWidget(self.user_label)
        self.hint = QLabel("Type your password to carry on where you left off.")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.unsaved_note = plain_label("lock_unsaved_note")
        self.unsaved_note.setStyleSheet("color: #486581;")
        layout.addWidget(self.unsaved_note)
        self.password = QLineEdit()
        self.password.setObjectName("lock_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.password.returnPressed.connect(self._unlock_clicked)
        layout.addWidget(self.password)
        self.error = message_line("lock_error")
        layout.addWidget(self.error)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setObjectName("unlock")
        self.unlock_button.clicked.connect(self._unlock_clicked)
        layout.addWidget(self.unlock_button)

        self.line = QFrame()
        self.line.setFrameShape(QFrame.Shape.HLine)
        self.line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(self.line)
        self.switch_toggle = QPushButton("Sign in as someone &else…")
        self.switch_toggle.setObjectName("switch_user_toggle")
        self.switch_toggle.setFlat(True)
        self.switch_toggle.setStyleSheet("text-align: left; color: #1f5fa8;")
        self.switch_toggle.clicked.connect(self.show_switch_form)
        layout.addWidget(self.switch_toggle)
        self.switch_form = QWidget()
        self.switch_form.setObjectName("switch_user_form")
        form = QFormLayout(self.switch_form)
        form.setContentsMargins(0, 0, 0, 0)
        self.switch_heading = QLabel("Sign in as someone else")
        self.switch_heading.setStyleSheet("font-weight: bold;")
        form.addRow(self.switch_heading)
        self.switch_username = QLineEdit()
        self.switch_username.setObjectName("switch_username")
        self.switch_username.returnPressed.connect(self._focus_switch_password)
        self.switch_password = QLineEdit()
        self.switch_password.setObjectName("switch_password")
        self.switch_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.switch_password.returnPressed.connect(self._switch_clicked)
        form.addRow("User name", self.switch_username)
        form.addRow("Password", self.switch_password)
        self.switch_error = message_line("switch_error")
        form.addRow(self.switch_error)
        self.switch_button = QPushButton("&Sign in")
        self.switch_button.setObjectName("switch_sign_in")
        self.switch_button.clicked.connect(self._switch_clicked)
        form.addRow(self.switch_button)
        layout.addWidget(self.switch_form)
        self.reset(None, unsaved=False)

    def reset(self, user: CurrentUser | None, *, unsaved: bool) -> None:
        """Empty every field and message, ready for ``user`` to come back."""
        self.title.setText(f"{APP_NAME} is locked")
        if user is not None:
            self.user_label.setText(f"Signed in: {user.display_name} ({user.role.label})")
        self.unsaved_note.setText("Changes not yet saved are kept until you unlock.")
        self.unsaved_note.setVisible(unsaved)
        for field in (self.password, self.switch_username, self.switch_password):
            field.clear()
        self.show_error("")
        self.show_switch_error("")
        for part in (self.hint, self.password, self.unlock_button, self.line, self.switch_heading):
            part.setVisible(True)
        self.switch_form.setVisible(False)
        self.switch_toggle.setVisible(True)

    def show_signed_out(self, user: CurrentUser, *, unsaved: bool) -> None:
        """The sign-in screen after ``user`` signed out: anyone signs in with their own name
        (``user`` too, who gets back what they left unsaved)."""
        self.reset(None, unsaved=unsaved)
        self.title.setText(f"Sign in to {APP_NAME}")
        self.user_label.setText(f"{user.display_name} signed out.")
        self.unsaved_note.setText(
            f"Changes {user.display_name} had not saved are kept until they sign in again."
        )
        for part in (self.hint, self.password, self.unlock_button, self.line, self.switch_heading):
            part.setVisible(False)  # the title says it
        self.show_switch_form()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
        if message:
            self.password.clear()
            self.password.setFocus()

    def show_switch_error(self, message: str) -> None:
        self.switch_error.setText(message)
        self.switch_error.setVisible(bool(message))
        if message:
            self.switch_password.clear()
            self.switch_password.setFocus()

    def _unlock_clicked(self) -> None:
        self.unlock_requested.emit(self.password.text())

    def show_switch_form(self) -> None:
        self.switch_toggle.setVisible(False)
        self.switch_form.setVisible(True)
        self.switch_username.setFocus()

    def _focus_switch_password(self) -> None:
        self.switch_password.setFocus()

    def _switch_clicked(self) -> None:
        self.switch_requested.emit(self.switch_username.text(), self.switch_password.text())
