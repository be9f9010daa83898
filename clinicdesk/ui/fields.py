"""Small form helpers: an input with its error message shown right beneath it, the red
message line at the top of a form, and putting a service's ``ValidationError`` on both."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

ERROR_STYLE = "color: #b00020;"
INVALID_STYLE = "border: 1px solid #b00020;"


class FieldWithError(QWidget):
    """Wraps an input widget and a red, plain-text message label under it."""

    def __init__(self, editor: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(editor)
        self.error_label = QLabel()
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)

    def set_error(self, message: str | None) -> None:
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))
        self.editor.setStyleSheet(INVALID_STYLE if message else "")
        self.editor.setToolTip(message or "")

    def text(self) -> str:
        """What was typed, for a field whose editor is a line edit."""
        editor = self.editor
        assert isinstance(editor, QLineEdit)
        return editor.text()

    @property
    def error(self) -> str:
        return "" if self.error_label.isHidden() else self.error_label.text()


NOT_SAVED = "Not saved: correct the fields marked in red."


def message_line(name: str) -> QLabel:
    """The red, plain-text line at the top of a form saying why it was not saved (hidden
    while empty)."""
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setVisible(False)
    return label


def show_field_errors(
    fields: Mapping[str, FieldWithError],
    errors: Mapping[str, str],
    aliases: Mapping[str, str] | None = None,
) -> str:
    """Each message under its field (``aliases`` maps an error's key to the field that shows
    it; two messages for one field are joined) and every other field cleared. Returns the text
    for the form's message line: empty when there is no error, else ``NOT_SAVED`` followed by
    the messages that belong to no field, each on its own line."""
    shown: dict[str, list[str]] = {}
    others: list[str] = []
    for key, message in errors.items():
        field = (aliases or {}).get(key, key)
        if field in fields:
            shown.setdefault(field, []).append(message)
        else:
            others.append(f"{key.replace('_', ' ').capitalize()}: {message}")
    for key, widget in fields.items():
        messages = shown.get(key)
        widget.set_error("; ".join(messages) if messages else None)
    return "\n".join([NOT_SAVED, *others]) if errors else ""


def shown_errors(fields: Mapping[str, FieldWithError]) -> dict[str, str]:
    """The messages now shown under the fields, by field."""
    return {key: field.error for key, field in fields.items() if field.error}


def save_and_cancel(
    dialog: QDialog, save: Callable[[], None], label: str = "&Save"
) -> tuple[QDialogButtonBox, QPushButton]:
    """The buttons of a form that saves through a service: ``label`` (the default button,
    ``save_button``) calls ``save``, which closes the dialog only once stored; Cancel
    (``cancel_button``) and Escape close it unsaved."""
    buttons = QDialogButtonBox()
    save_button = buttons.addButton(label, QDialogButtonBox.ButtonRole.AcceptRole)
    save_button.setObjectName("save_button")
    save_button.setDefault(True)
    cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    cancel.setObjectName("cancel_button")

    def clicked(_checked: bool = False) -> None:
        save()

    save_button.clicked.connect(clicked)
    buttons.rejected.connect(dialog.reject)
    return buttons, save_button


def grow_to_fit(form: QWidget) -> None:
    """Grow taller to show what was added (messages, a picture) rather than squeeze it."""
    layout = form.layout()
    if layout is not None:
        layout.activate()
    wanted = form.sizeHint().height()
    if wanted > form.height():
        form.resize(form.width(), wanted)
