"""The rules every form obeys, kept here so a new form gets them by using these pieces:

- ``GuardedDialog``: a form dialog that asks before Escape, its Cancel button or the window's
  close button throw away what was typed (Discard / Keep editing, Keep editing the default),
  and opens with its first field focused (``focus_first_field``).
- ``install_form_rules``: on the QApplication, a wheel over a combo box, spin box or date field
  that does not have the keyboard focus scrolls the form instead of changing the value
  (installed half a second after the program starts: ``start_up.EVENT_FILTERS_AFTER_MS``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)


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
        # Every event of the application passes here: most are not for a value widget, and
        # asking that first spares reading their type (PySide makes an enum member of it).
        widget = _value_widget(watched)
        if widget is None:
            return False
        kind = event.type()
        if kind == QEvent.Type.Polish:
            if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel and not _has_focus(widget):
            event.ignore()
            return True
        return False


_WHEEL_GUARD = "clinicdesk_wheel_guard"


def install_form_rules(app: QApplication) -> WheelGuard:
    """Install the application-wide form rules on ``app`` (once; later calls return it).
    Fields polished before (the first window's) get the rules' focus policy now."""
    existing = app.findChild(WheelGuard, _WHEEL_GUARD)
    if isinstance(existing, WheelGuard):
        return existing
    guard = WheelGuard(app)
    guard.setObjectName(_WHEEL_GUARD)
    app.installEventFilter(guard)
    for widget in app.allWidgets():
        value = _value_widget(widget)
        if value is not None and value.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            value.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return guard
