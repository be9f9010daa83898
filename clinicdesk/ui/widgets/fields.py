"""Small form helpers: an input with its error message shown right beneath it, the red
message line at the top of a form, and putting a service's ``ValidationError`` on both.

Also the rules every form obeys, kept here so a new form gets them by using these pieces:

- ``GuardedDialog``: a form dialog that asks before Escape, its Cancel button or the window's
  close button throw away what was typed (Discard / Keep editing, Keep editing the default).
- ``DateEdit``: the one date input. It keeps exactly what was typed (the service reads it, and
  refuses it with a message at the field when it is not a real date), never corrects it, and has
  a calendar pop-up.
- ``install_form_rules``: on the QApplication, a wheel over a combo box, spin box or date field
  that does not have the keyboard focus scrolls the form instead of changing the value.
- ``FieldWithError``: a message under a field wraps (the form grows, the field keeps its
  height) and goes as soon as the field is edited; ``clear_message_when_corrected`` takes the
  form's "Not saved" line away with the last of them. A form opens with its first field
  focused (``focus_first_field``; ``GuardedDialog`` does it).
- ``name_the_patient``: every form about one patient names them (name, date of birth, NHS
  number where known: ``PatientIdentity``) in its title and on a line at its top, and opens
  below the main window's patient header, so the record's identity stays in view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, QEvent, QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QIcon,
    QKeyEvent,
    QPainter,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QBoxLayout,
    QCalendarWidget,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import format_uk, try_parse_date
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.domain.patient import Patient

ERROR_STYLE = "color: #b00020;"
INVALID_STYLE = "border: 1px solid #b00020;"


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


def focus_first_field(root: QWidget) -> QWidget | None:
    """Give the keyboard focus to the first input of ``root`` one can type in or choose from
    (in tab order); None when there is none (a read-only form)."""
    inputs = (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox)
    widget: QWidget | None = root.nextInFocusChain()
    for _ in range(500):  # the chain is a ring through ``root``; this only bounds it
        if widget is None or widget is root:
            break
        if (
            isinstance(widget, inputs)
            and widget.isVisibleTo(root)
            and widget.isEnabled()
            and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and not (
                isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit)) and widget.isReadOnly()
            )
            and not isinstance(widget.parentWidget(), (QComboBox, QAbstractSpinBox))
        ):
            widget.setFocus(Qt.FocusReason.TabFocusReason)
            return widget
        widget = widget.nextInFocusChain()
    return None


# -- asking before typed work is thrown away ------------------------------------------------------

DISCARD_TITLE = "Unsaved changes"
DISCARD_TEXT = "This form has changes that are not saved. If you close it, they are discarded."
KEEP_EDITING = "&Keep editing"


def confirm_discard(parent: QWidget) -> bool:
    """Ask whether to throw away what was typed in ``parent``: True for Discard. Keep editing
    is the default (Enter) and what Escape answers."""
    box = QMessageBox(parent)
    box.setObjectName("discard_form_changes")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(DISCARD_TITLE)
    box.setText(DISCARD_TEXT)
    box.setStandardButtons(QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
    keep = box.button(QMessageBox.StandardButton.Cancel)
    keep.setText(KEEP_EDITING)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    discard = box.clickedButton() is box.button(QMessageBox.StandardButton.Discard)
    box.deleteLater()
    return discard


State = tuple[tuple[str, object], ...]


def typed_state(root: QWidget) -> State:
    """What the inputs inside ``root`` hold now (text, choice, tick), to tell whether anything
    was changed since the form was filled in."""
    state: list[tuple[str, object]] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not isinstance(widget, QWidget):
            continue
        name = f"{type(widget).__name__}:{widget.objectName()}"
        if isinstance(widget, QLineEdit):
            state.append((name, widget.text()))
        elif isinstance(widget, (QPlainTextEdit, QTextEdit)):
            state.append((name, widget.toPlainText()))
        elif isinstance(widget, QComboBox):
            state.append((name, (widget.currentIndex(), widget.currentText())))
        elif isinstance(widget, QAbstractSpinBox):
            state.append((name, widget.text()))
        elif isinstance(widget, QAbstractButton) and widget.isCheckable():
            state.append((name, widget.isChecked()))
        extra = getattr(widget, "typed_value", None)
        if callable(extra):
            state.append((name + ":typed", extra()))
    return tuple(state)


class GuardedDialog(QDialog):
    """A form dialog that does not lose typed work: Escape, Cancel (connect it to ``cancel``)
    and the window's close button ask first (``confirm_discard``) when anything differs from
    what the form showed when it opened; an unchanged form closes at once. Code that closes the
    form on purpose (saved, the idle lock, another user takes over) calls ``reject``/``accept``
    as before, which never ask. A form that reloads its values calls ``mark_clean``."""

    _clean: State | None = None

    def mark_clean(self) -> None:
        """What the form holds now counts as nothing typed."""
        self._clean = typed_state(self)

    def has_typed_work(self) -> bool:
        return self._clean is not None and typed_state(self) != self._clean

    def may_close(self) -> bool:
        """True when closing loses nothing or the user chose Discard."""
        return not self.has_typed_work() or confirm_discard(self)

    def cancel(self) -> None:
        """Escape, the Cancel button: close unsaved, asking first when something was typed."""
        if self.may_close():
            self.reject()

    def showEvent(self, event: object) -> None:
        first = self._clean is None
        if first:
            self.mark_clean()
        super().showEvent(event)  # type: ignore[arg-type]
        if first:
            focus_first_field(self)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        ):
            event.accept()
            self.cancel()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.isVisible() and not self.may_close():
            event.ignore()
            return
        super().closeEvent(event)


# -- read-only ------------------------------------------------------------------------------------

READ_ONLY_STYLE = "background: #f0f2f5; color: #243b53; border: 1px solid #d9e2ec;"
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
        if isinstance(widget, DateEdit):
            widget.calendar_action.setVisible(not read_only)
    else:
        widget.setEnabled(not read_only)


# -- dates ----------------------------------------------------------------------------------------

DATE_PLACEHOLDER = "DD/MM/YYYY"
DATE_TIME_PLACEHOLDER = "DD/MM/YYYY HH:MM"


def _calendar_icon() -> QIcon:
    pixmap = QPixmap(16, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setPen(QColor("#486581"))
    painter.drawRect(QRect(1, 2, 13, 12))
    painter.fillRect(QRect(1, 2, 14, 3), QColor("#486581"))
    for row in range(2):
        for column in range(3):
            painter.fillRect(QRect(3 + 4 * column, 7 + 3 * row, 2, 2), QColor("#486581"))
    painter.end()
    return QIcon(pixmap)


class DateEdit(QLineEdit):
    """The date input of every form: typed as DD/MM/YYYY (or, ``with_time``, DD/MM/YYYY HH:MM)
    and kept exactly as typed: whoever saves the form reads the text and refuses it, with a
    message at the field, when it is not a real date (a two-digit year included). Nothing
    corrects it silently. The calendar button (``calendar_action``) opens a month to pick
    from; picking a day writes it in the field (keeping a typed time)."""

    def __init__(self, parent: QWidget | None = None, *, with_time: bool = False) -> None:
        super().__init__(parent)
        self.with_time = with_time
        self.setPlaceholderText(DATE_TIME_PLACEHOLDER if with_time else DATE_PLACEHOLDER)
        self.setMaxLength(16 if with_time else 10)
        self.setMaximumWidth(160 if with_time else 130)
        self.calendar_action = QAction(_calendar_icon(), "Choose from a calendar", self)
        self.calendar_action.setObjectName("calendar_action")
        self.calendar_action.setToolTip("Choose the date from a calendar")
        self.calendar_action.triggered.connect(self.show_calendar)
        self.addAction(self.calendar_action, QLineEdit.ActionPosition.TrailingPosition)
        self.calendar: QCalendarWidget | None = None

    def date_part(self) -> str:
        return self.text().strip()[:10]

    def show_calendar(self) -> None:
        """The calendar pop-up, on the typed date when there is one (else today)."""
        if self.isReadOnly() or not self.isEnabled():
            return
        if self.calendar is None:
            calendar = QCalendarWidget(self)
            calendar.setObjectName("date_calendar")
            calendar.setWindowFlags(Qt.WindowType.Popup)
            calendar.setGridVisible(True)
            calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
            calendar.clicked.connect(self.pick)
            calendar.activated.connect(self.pick)
            self.calendar = calendar
        shown = try_parse_date(self.date_part()) or date.today()
        self.calendar.setSelectedDate(QDate(shown.year, shown.month, shown.day))
        self.calendar.adjustSize()
        self.calendar.move(self.mapToGlobal(QPoint(0, self.height())))
        self.calendar.show()
        self.calendar.setFocus(Qt.FocusReason.PopupFocusReason)

    def pick(self, chosen: QDate) -> None:
        text = format_uk(date(chosen.year(), chosen.month(), chosen.day()))
        if self.with_time:
            time = self.text().strip()[10:].strip()
            text = f"{text} {time}" if time else text
        self.setText(text)
        self.textEdited.emit(text)  # as if typed: forms mark themselves changed
        if self.calendar is not None:
            self.calendar.hide()
        self.setFocus(Qt.FocusReason.PopupFocusReason)


# -- the mouse wheel ------------------------------------------------------------------------------


def _value_widget(obj: QObject) -> QWidget | None:
    if isinstance(obj, (QComboBox, QAbstractSpinBox)):
        return obj
    return None


def _has_focus(widget: QWidget) -> bool:
    focused = QApplication.focusWidget()
    return focused is not None and (focused is widget or widget.isAncestorOf(focused))


class WheelGuard(QObject):
    """Application event filter: a combo box, spin box or date/time edit changes on the wheel
    only while it has the keyboard focus (clicked or tabbed into). Otherwise the wheel event is
    left unaccepted and goes on to the parent, so the form scrolls. Such widgets also stop
    taking the focus from the wheel itself (their ``WheelFocus`` becomes ``StrongFocus``)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Polish:
            widget = _value_widget(watched)
            if widget is not None and widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel:
            widget = _value_widget(watched)
            if widget is not None and not _has_focus(widget):
                event.ignore()
                return True
        return False


_WHEEL_GUARD = "clinicdesk_wheel_guard"


def install_form_rules(app: QApplication) -> WheelGuard:
    """Install the application-wide form rules on ``app`` (once; later calls return it)."""
    existing = app.findChild(WheelGuard, _WHEEL_GUARD)
    if isinstance(existing, WheelGuard):
        return existing
    guard = WheelGuard(app)
    guard.setObjectName(_WHEEL_GUARD)
    app.installEventFilter(guard)
    return guard


# -- which patient ---------------------------------------------------------------------------------

IDENTITY_PROPERTY = "patient_identity"
IDENTITY_STYLE = (
    "background: #e8eef5; color: #102a43; border: 1px solid #bcccdc; padding: 4px 6px;"
    " font-weight: bold;"
)
HEADER_NAME = "patient_header"  # the main window's record header (name, born, NHS number)
HEADER_GAP = 8


@dataclass(frozen=True)
class PatientIdentity:
    """Whose record a form is about: the name, date of birth and NHS number (where known)."""

    name: str
    date_of_birth: date | None = None
    nhs_number: str = ""

    @classmethod
    def of(cls, patient: Patient) -> PatientIdentity:
        d = patient.details
        return cls.named(d.first_name, d.last_name, d.preferred_name, d.date_of_birth, d.nhs_number)

    @classmethod
    def named(
        cls,
        first_name: str,
        last_name: str,
        preferred_name: str = "",
        date_of_birth: date | None = None,
        nhs_number: str = "",
    ) -> PatientIdentity:
        name = " ".join(part for part in (first_name, last_name) if part)
        if preferred_name and preferred_name != first_name:
            name += f' ("{preferred_name}")'
        return cls(name, date_of_birth, nhs_number)

    def text(self) -> str:
        """``Siobhán O'Brien · born 03/07/1985 · NHS 943 476 5919`` (no NHS part without
        one), as typed: shown only as plain text."""
        parts = [self.name or "Unnamed patient"]
        if self.date_of_birth is not None:
            parts.append(f"born {format_uk(self.date_of_birth)}")
        if self.nhs_number:
            parts.append(f"NHS {format_nhs_number(self.nhs_number)}")
        return " · ".join(parts)


def identity_title(title: str, who: PatientIdentity | None) -> str:
    return f"{title} — {who.text()}" if who is not None else title


def set_title(dialog: QWidget, title: str) -> None:
    """``title`` for ``dialog``, followed by the patient it names (``name_the_patient``)."""
    text = dialog.property(IDENTITY_PROPERTY)
    dialog.setWindowTitle(f"{title} — {text}" if isinstance(text, str) and text else title)


def identity_line(text: str) -> QLabel:
    """The line at the top of a form naming its patient (``PatientIdentity.text``; plain
    text: a name may hold ``<``)."""
    label = QLabel(text)
    label.setObjectName(IDENTITY_PROPERTY)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet(IDENTITY_STYLE)
    label.setAccessibleName("Patient")
    return label


def name_the_patient(dialog: QWidget, who: PatientIdentity | None) -> None:
    """Name ``who`` in ``dialog``'s title (after what it says now) and on a line at the top of
    its layout, and open it below the main window's patient header (``keep_header_in_view``).
    Call it once the dialog's layout is built; again with another patient to change both."""
    if who is not None:
        _name(dialog, who.text())


def name_as(dialog: QWidget, other: QWidget) -> None:
    """Name in ``dialog`` the patient ``other`` names (a question a form asks)."""
    text = other.property(IDENTITY_PROPERTY)
    if isinstance(text, str) and text:
        _name(dialog, text)


def _name(dialog: QWidget, text: str) -> None:
    base = dialog.windowTitle()
    old = dialog.property(IDENTITY_PROPERTY)
    if isinstance(old, str) and old and base.endswith(f" — {old}"):
        base = base[: -len(f" — {old}")]
    dialog.setProperty(IDENTITY_PROPERTY, text)
    set_title(dialog, base)
    line = dialog.findChild(QLabel, IDENTITY_PROPERTY)
    if line is not None:
        line.setText(text)
        line.setStyleSheet(IDENTITY_STYLE)
    else:
        line = identity_line(text)
        layout = dialog.layout()
        if isinstance(layout, QBoxLayout):
            layout.insertWidget(0, line)
        elif isinstance(layout, QFormLayout):
            layout.insertRow(0, line)
    keep_header_in_view(dialog)


def available_area(widget: QWidget) -> QRect | None:
    """The screen area (taskbar excluded) where ``widget`` opens."""
    screen = widget.screen()
    return screen.availableGeometry() if screen is not None else None


def patient_header() -> QWidget | None:
    """The main window's patient header, when a record is on screen."""
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        header = top.findChild(QWidget, HEADER_NAME)
        if header is not None and header.isVisible():
            return header
    return None


def place_below_header(dialog: QWidget) -> None:
    """Move ``dialog`` (and shorten it, as far as its minimum allows) so it starts below the
    main window's patient header: the record's name, date of birth and NHS number stay in
    view while the form is open. Horizontally it stays centred on its parent window."""
    header = patient_header()
    area = available_area(dialog)
    if header is None or area is None:
        return
    top = header.mapToGlobal(QPoint(0, header.height())).y() + HEADER_GAP
    frame = dialog.frameGeometry()
    extra = frame.height() - dialog.height()
    room = area.bottom() + 1 - top - extra
    if room < dialog.height():
        dialog.resize(dialog.width(), max(room, dialog.minimumSizeHint().height(), 120))
    parent = dialog.parentWidget()
    anchor = parent.window() if parent is not None else header.window()
    x = anchor.frameGeometry().center().x() - frame.width() // 2
    x = max(area.left(), min(x, area.right() + 1 - frame.width()))
    y = min(top, area.bottom() + 1 - dialog.height() - extra)
    dialog.move(x, max(y, area.top()))


class _BelowHeader(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            place_below_header(watched)
        return False


def keep_header_in_view(dialog: QWidget) -> None:
    """Each time ``dialog`` is shown, place it below the patient header (``place_below_header``)."""
    if dialog.findChild(_BelowHeader, "below_header") is None:
        keeper = _BelowHeader(dialog)
        keeper.setObjectName("below_header")
        dialog.installEventFilter(keeper)
