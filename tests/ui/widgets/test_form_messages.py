"""Messages at the fields (issue 11, item 9): a message under a field wraps onto as many lines
as it needs (the field keeps its height, nothing is clipped), goes as soon as the field is
corrected, and the "Not saved" line goes with the last of them; a form opens with its first
field focused."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from clinicdesk.ui.care.consultation_form import ConsultationForm
from clinicdesk.ui.widgets.fields import NOT_SAVED, FieldWithError
from tests.conftest import Clinic
from tests.ui.conftest import WindowFactory, type_text
from tests.ui.test_form_safety import (
    ALL_FORMS,
    FormMaker,
    import_options,
    new_assessment,
    new_consultation,
    new_treatment,
    new_user,
    shown,
)

LONG = (
    "is not a date the clinic can use: type it as DD/MM/YYYY with the year in full, for "
    "example 26/10/1963, and check that the day exists in that month and is not after today"
)


def message_fields(dialog: QWidget) -> list[FieldWithError]:
    return [
        f for f in dialog.findChildren(FieldWithError) if f.isVisible() and f.editor.isEnabled()
    ]


def correct(qtbot: QtBot, field: FieldWithError) -> bool:
    """Edit the field as a user would: type, choose or tick; False when nothing in it can be
    typed, chosen or ticked (a logo is corrected by choosing another file)."""
    editor = field.editor
    inputs = [editor, *editor.findChildren(QWidget)]
    for widget in inputs:
        if isinstance(widget, QComboBox) and widget.isEnabled() and widget.count() > 1:
            widget.setCurrentIndex((widget.currentIndex() + 1) % widget.count())
            return True
        if isinstance(widget, (QLineEdit, QPlainTextEdit)) and not widget.isReadOnly():
            if isinstance(widget.parentWidget(), (QComboBox, QAbstractSpinBox)):
                continue
            widget.setFocus()
            widget.selectAll()
            type_text(qtbot, widget, "1")
            return True
        if isinstance(widget, QAbstractSpinBox) and widget.isEnabled():
            before = widget.text()
            widget.stepUp()
            if widget.text() == before:
                widget.stepDown()
            return True
        if isinstance(widget, QCheckBox) and widget.isEnabled():
            widget.click()
            return True
    return False


@pytest.mark.parametrize("make", list(ALL_FORMS.values()), ids=list(ALL_FORMS))
def test_a_long_message_wraps_whole_under_its_field_which_keeps_its_height(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, make: FormMaker
) -> None:
    dialog = shown(qtbot, make(clinic, open_window))
    fields = message_fields(dialog)
    assert fields
    for field in fields:
        editor_height = field.editor.height()
        field.set_error("is required")  # a one-line message first, as a save shows it
        QApplication.processEvents()
        field.set_error(LONG)  # then a long one in its place
        qtbot.waitUntil(lambda f=field: f.error_label.isVisible())  # type: ignore[misc]
        QApplication.processEvents()
        label = field.error_label
        assert label.wordWrap()
        needed = label.heightForWidth(label.width())
        assert needed > label.fontMetrics().height()  # more than one line at this width
        assert label.height() >= needed, (field.editor.objectName(), label.height(), needed)
        # ...and the field around it grows as tall (once laid out): nothing is cut off.
        qtbot.waitUntil(
            lambda f=field, lab=label: lab.geometry().bottom() <= f.rect().bottom(),  # type: ignore[misc]
            timeout=1000,
        )
        assert field.editor.height() == editor_height, field.editor.objectName()
        field.set_error(None)
    dialog.reject()


@pytest.mark.parametrize("make", list(ALL_FORMS.values()), ids=list(ALL_FORMS))
def test_a_message_goes_as_soon_as_its_field_is_edited(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, make: FormMaker
) -> None:
    dialog = shown(qtbot, make(clinic, open_window))
    corrected = 0
    for field in message_fields(dialog):
        field.set_error("is required")
        assert field.error == "is required"
        if not correct(qtbot, field):
            continue
        corrected += 1
        assert field.error == "", field.editor.objectName()
        assert not field.error_label.isVisible()
    assert corrected
    dialog.reject()


def test_the_not_saved_line_goes_with_the_last_field_message(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory
) -> None:
    form = shown(qtbot, new_consultation(clinic, open_window))
    assert isinstance(form, ConsultationForm) and form.save_button is not None
    date_edit = form.editor("consulted_on")
    assert isinstance(date_edit, QLineEdit)
    date_edit.clear()
    type_text(qtbot, date_edit, "31/02/2025")
    form.save_button.click()
    assert set(form.errors()) == {"consulted_on", "presenting_complaint"}
    assert form.message.isVisible() and form.message.text().startswith(NOT_SAVED)

    type_text(qtbot, form.editor("presenting_complaint"), "Thinning at the crown")
    assert set(form.errors()) == {"consulted_on"}
    assert form.message.isVisible()  # one field still to correct

    date_edit.selectAll()
    type_text(qtbot, date_edit, "03/02/2025")
    assert form.errors() == {}
    assert not form.message.isVisible()
    form.save_button.click()
    assert not form.isVisible()  # and it saves


FIRST_FIELDS = {
    "new consultation": (new_consultation, "consulted_on"),
    "new treatment": (new_treatment, "treated_on"),
    "new assessment": (new_assessment, "visit_date"),
    "new user": (new_user, "username"),
    "import photos": (import_options, "import_view"),
}


@pytest.mark.parametrize(("make", "first"), list(FIRST_FIELDS.values()), ids=list(FIRST_FIELDS))
def test_a_form_opens_with_its_first_field_focused(
    qtbot: QtBot, clinic: Clinic, open_window: WindowFactory, make: FormMaker, first: str
) -> None:
    dialog = shown(qtbot, make(clinic, open_window))
    focused = QApplication.focusWidget()
    assert focused is not None and dialog.isAncestorOf(focused)
    assert first in (focused.objectName(), focused.parentWidget().objectName()), (
        focused.objectName()
    )
    dialog.reject()
