"""Small form helpers: an input with its error message shown right beneath it, the red
message line at the top of a form, and putting a service's ``ValidationError`` on both.

- ``FieldWithError``: a message under a field wraps (the form grows, the field keeps its
  height) and goes as soon as the field is edited; ``clear_message_when_corrected`` takes the
  form's "Not saved" line away with the last of them.
- ``set_read_only``: an input looks as it behaves (greyed flat, no placeholder, no calendar).

The other rules every form obeys live beside it: ``guarded_dialog`` (asking before typed work
is thrown away, the first field focused, the mouse wheel), ``dates`` (``DateEdit``) and
``patient_identity`` (every form names its patient).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.ui.widgets.guarded_dialog import GuardedDialog
from clinicdesk.ui.widgets.styles import ERROR_STYLE, INVALID_STYLE, READ_ONLY_STYLE


def _input_widgets(root: QWidget) -> list[QWidget]:
    """``root`` itself when it is an input, else the inputs inside it (a row of fields)."""
    inputs = (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox, QAbstractButton)
    if isinstance(root, inputs):
        return [root]
    return [w for w in root.findChildren(QWidget) if isinstance(w, inputs)]


def _on_edit(widget: QWidget, slot: Callable[..., None]) -> None:
    """Call ``slot`` whenever what ``widget`` holds changes (typed, chosen, ticked)."""
    if isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit)):
        widget.textChanged.connect(slot)
    elif isinstance(widget, QComboBox):
        widget.currentIndexChanged.connect(slot)
        widget.editTextChanged.connect(slot)
    elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        widget.textChanged.connect(slot)
    elif isinstance(widget, QAbstractSpinBox):
        widget.editingFinished.connect(slot)
    elif isinstance(widget, QAbstractButton) and widget.isCheckable():
        widget.toggled.connect(slot)


class WrappedLabel(QLabel):
    """A word-wrapped label never shorter than its wrapped text at the width it is given
    (a form layout can otherwise leave it a line short, clipping the message)."""

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()  # a longer message at the same width: no resize event to wait for

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        needed = self.heightForWidth(self.width()) if self.wordWrap() and self.text() else 0
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)
        elif needed <= 0 and self.minimumHeight():
            self.setMinimumHeight(0)


_ONE_LINE = (QLineEdit, QComboBox, QAbstractSpinBox, QAbstractButton)


class FieldWithError(QWidget):
    """Wraps an input widget and a red, plain-text message label under it.

    The message wraps onto as many lines as it needs (the field grows; the input keeps its
    height) and goes as soon as the input is edited (``corrected`` is then emitted)."""

    corrected = Signal()

    def __init__(self, editor: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        policy = editor.sizePolicy()
        if policy.verticalPolicy() == QSizePolicy.Policy.Preferred:
            # Never squeezed below its size to make room for a message (the form grows).
            policy.setVerticalPolicy(QSizePolicy.Policy.Minimum)
            editor.setSizePolicy(policy)
        layout.addWidget(editor)
        self.error_label = WrappedLabel()
        self.error_label.setObjectName("field_error")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        # As tall as its wrapped lines, never squeezed to one clipped line.
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        policy.setHeightForWidth(True)
        self.error_label.setSizePolicy(policy)
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)
        for widget in _input_widgets(editor):
            _on_edit(widget, self._edited)

    def _edited(self, *_: object) -> None:
        if self.error:
            self.set_error(None)
            self.corrected.emit()

    def set_error(self, message: str | None) -> None:
        editor = self.editor
        if message and not editor.styleSheet():
            # A style sheet border drops the native frame's padding: keep the inputs' height.
            for widget in (editor, *editor.findChildren(QWidget)):
                if widget is editor or (isinstance(widget, _ONE_LINE) and widget.isVisibleTo(self)):
                    height = min(widget.sizeHint().height(), widget.maximumHeight())
                    widget.setMinimumHeight(max(widget.minimumHeight(), height))
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))
        if isinstance(editor, (*_ONE_LINE, QPlainTextEdit, QTextEdit)):
            calm = READ_ONLY_STYLE if editor.styleSheet() == READ_ONLY_STYLE else ""
            editor.setStyleSheet(INVALID_STYLE if message else calm)
        # A row of inputs (a container) is not outlined: a border there would reach every
        # input and button inside it and change their size; its message says what is wrong.
        self.editor.setToolTip(message or "")
        _fit_after_change(self)

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
    label = WrappedLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setVisible(False)
    return label


def plain_label(name: str, text: str = "") -> QLabel:
    """A named, word-wrapped label shown as plain text (what it says may quote typed names and
    notes, which must never be read as rich text)."""
    label = QLabel(text)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def notice_label(text: str, name: str, style: str) -> QLabel:
    """A boxed, wrapped notice at the top of a dialog (``style`` gives its colours)."""
    label = plain_label(name, text)
    label.setStyleSheet(style)
    return label


def note_edit(
    name: str, placeholder: str, *, min_height: int = 0, fixed_height: int = 0
) -> QPlainTextEdit:
    """A several-line text box for a written reason or note, with an example as its
    placeholder; Tab moves on to the next field instead of typing a tab."""
    edit = QPlainTextEdit()
    edit.setObjectName(name)
    edit.setTabChangesFocus(True)
    edit.setPlaceholderText(placeholder)
    if min_height:
        edit.setMinimumHeight(min_height)
    if fixed_height:
        edit.setFixedHeight(fixed_height)
    return edit


def _fit_after_change(widget: QWidget) -> None:
    """A message appeared or went: the window re-lays out and grows to show it whole."""
    window = widget.window()
    if window is not widget and isinstance(window, QDialog) and window.isVisible():
        grow_to_fit(window)


def clear_message_when_corrected(message: QLabel, fields: Mapping[str, FieldWithError]) -> None:
    """Once the last field message is corrected, the form's "Not saved: correct the fields"
    line goes too (a message that belongs to no field stays)."""

    def corrected() -> None:
        if shown_errors(fields) or not message.text().startswith(NOT_SAVED):
            return
        rest = message.text()[len(NOT_SAVED) :].strip("\n")
        message.setText(rest)
        message.setVisible(bool(rest))

    for field in fields.values():
        field.corrected.connect(corrected)


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


def close_buttons(dialog: QDialog, *actions: QPushButton) -> QDialogButtonBox:
    """A window's bottom row: its ``actions`` buttons and Close (Esc too), which closes it."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    for button in actions:
        buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
    buttons.rejected.connect(dialog.reject)
    return buttons


def shown_errors(fields: Mapping[str, FieldWithError]) -> dict[str, str]:
    """The messages now shown under the fields, by field."""
    return {key: field.error for key, field in fields.items() if field.error}


def save_and_cancel(
    dialog: QDialog, save: Callable[[], None], label: str = "&Save"
) -> tuple[QDialogButtonBox, QPushButton]:
    """The buttons of a form that saves through a service: ``label`` (the default button,
    ``save_button``) calls ``save``, which closes the dialog only once stored; Cancel
    (``cancel_button``) and Escape close it unsaved (a ``GuardedDialog`` asks first when
    something was typed)."""
    buttons = QDialogButtonBox()
    save_button = buttons.addButton(label, QDialogButtonBox.ButtonRole.AcceptRole)
    save_button.setObjectName("save_button")
    save_button.setDefault(True)
    cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    cancel.setObjectName("cancel_button")

    def clicked(_checked: bool = False) -> None:
        save()

    save_button.clicked.connect(clicked)
    buttons.rejected.connect(dialog.cancel if isinstance(dialog, GuardedDialog) else dialog.reject)
    return buttons, save_button


def grow_to_fit(form: QWidget) -> None:
    """Grow taller to show what was added (messages, a picture) rather than squeeze it (as
    far as the screen allows: a form with a scroll area scrolls instead)."""
    layout = form.layout()
    if layout is not None:
        layout.activate()
    wanted = form.sizeHint().height()
    if layout is not None and layout.hasHeightForWidth():
        wanted = max(wanted, layout.totalHeightForWidth(form.width()))
    screen = form.screen()
    if screen is not None:
        wanted = min(wanted, max(form.height(), screen.availableGeometry().height() - 40))
    if wanted > form.height():
        form.resize(form.width(), wanted)


# -- read-only ------------------------------------------------------------------------------------

_PLACEHOLDER = "editable_placeholder"


def set_read_only(widget: QWidget, read_only: bool) -> None:
    """Make an input look as it behaves. Read-only, a text field is greyed flat (text still
    selectable), shows no placeholder (a hint to type would say it can be typed in) and, a
    date, no calendar button; a choice or tick box is disabled. Editable again, all is back."""
    if isinstance(widget, (QLineEdit, QPlainTextEdit)):
        if read_only and widget.placeholderText():
            widget.setProperty(_PLACEHOLDER, widget.placeholderText())
            widget.setPlaceholderText("")
        elif not read_only:
            kept = widget.property(_PLACEHOLDER)
            if isinstance(kept, str) and kept:
                widget.setPlaceholderText(kept)
        widget.setReadOnly(read_only)
        if read_only:
            widget.setStyleSheet(READ_ONLY_STYLE)
        elif widget.styleSheet() == READ_ONLY_STYLE:
            widget.setStyleSheet("")
        # Here, not at the top: the sign-in dialog uses this module, and the date field's
        # calendar (its painting, icons and actions) is not needed until a form is opened.
        from clinicdesk.ui.widgets.dates import DateEdit

        if isinstance(widget, DateEdit):
            widget.calendar_action.setVisible(not read_only)
    else:
        widget.setEnabled(not read_only)
