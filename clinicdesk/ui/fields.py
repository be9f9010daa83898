"""Small form helpers: an input with its error message shown right beneath it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

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
