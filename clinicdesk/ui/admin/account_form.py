"""A small form in a dialog: fields with their messages, and one line for other problems.

The account dialogs (new user, change role, reset password, change my password) are all this
shape: the person fills in a few fields and presses the main button; ``submit`` calls a service
and either closes the dialog or leaves it open with each ``ValidationError`` message at its
field, and any other ``UserError`` (permission, someone else saved first, wait after failed
sign-ins) in the line above the buttons.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.text import NAME_MAX
from clinicdesk.errors import UserError, ValidationError
from clinicdesk.services.clinic import MIN_PASSWORD_LENGTH
from clinicdesk.ui.widgets.fields import FieldWithError
from clinicdesk.ui.widgets.guarded_dialog import GuardedDialog
from clinicdesk.ui.widgets.styles import ERROR_STYLE

# Long enough for a pass phrase; argon2 takes any length, this only stops pasted junk.
PASSWORD_MAX = 256


def line_edit(name: str, placeholder: str = "", *, password: bool = False) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    if password:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setMaxLength(PASSWORD_MAX)
        if not placeholder:
            edit.setPlaceholderText(f"at least {MIN_PASSWORD_LENGTH} characters")
    else:
        edit.setMaxLength(NAME_MAX)
    return edit


class FormDialog(GuardedDialog):
    def __init__(
        self, title: str, intro: str, accept_label: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        layout = QVBoxLayout(self)
        if intro:
            intro_label = QLabel(intro)
            intro_label.setObjectName("form_intro")
            intro_label.setTextFormat(Qt.TextFormat.PlainText)  # may hold a person's name
            intro_label.setWordWrap(True)
            layout.addWidget(intro_label)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        # Level with the input, not with the middle of input plus message.
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addLayout(self.form)
        self.fields: dict[str, FieldWithError] = {}
        self.problem = QLabel()
        self.problem.setObjectName("form_problem")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.accept_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.accept_button.setText(accept_label)
        self.accept_button.setObjectName("accept_button")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.cancel)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def add_field(self, key: str, label: str, editor: QWidget) -> QWidget:
        field = FieldWithError(editor)
        self.fields[key] = field
        self.form.addRow(label, field)
        return editor

    def text(self, key: str) -> str:
        editor = self.fields[key].editor
        assert isinstance(editor, QLineEdit)
        return editor.text()

    def clear_errors(self) -> None:
        for field in self.fields.values():
            field.set_error(None)
        self.show_problem("")

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))

    def show_error(self, error: UserError) -> None:
        """Each field's message at the field; what belongs to no field above the buttons."""
        if not isinstance(error, ValidationError):
            self.show_problem(error.message)
            return
        elsewhere = []
        for key, message in error.errors.items():
            if key in self.fields:
                self.fields[key].set_error(message)
            else:
                elsewhere.append(f"{key.replace('_', ' ')}: {message}")
        self.show_problem("; ".join(elsewhere))
        first = next((f for k, f in self.fields.items() if k in error.errors), None)
        if first is not None:
            first.editor.setFocus()

    def add_password_fields(self, key: str, label: str, repeat_label: str) -> None:
        """A password field and ``repeat_password`` to type it again (``passwords_match``)."""
        self.add_field(key, label, line_edit(key, password=True))
        self.add_field(
            "repeat_password",
            repeat_label,
            line_edit("repeat_password", "type it again", password=True),
        )

    def passwords_match(self, key: str, repeat_key: str) -> bool:
        if self.text(key) != self.text(repeat_key):
            self.fields[repeat_key].set_error("does not match the password above")
            self.fields[repeat_key].editor.setFocus()
            return False
        return True

    def _submit(self) -> None:
        self.clear_errors()
        try:
            done = self.submit()
        except UserError as exc:
            self.show_error(exc)
            return
        if done:
            self.accept()

    def submit(self) -> bool:
        """Do the work; True closes the dialog. Raise ``UserError`` to show a problem."""
        raise NotImplementedError
