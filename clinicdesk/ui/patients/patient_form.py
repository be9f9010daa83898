"""The Demographics tab: the patient's identity, contact, GP and emergency contact.

The form only collects text; validation happens in the domain (through the service), and each
message comes back keyed by field name and is shown under that field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.domain.patient import LANGUAGE_MAX, TITLES, PatientDetails, Sex
from clinicdesk.domain.text import NAME_MAX, SHORT_TEXT_MAX
from clinicdesk.ui.widgets.dates import DateEdit
from clinicdesk.ui.widgets.fields import FieldWithError

# (field, label, placeholder, max length) in the order they appear, grouped.
GROUPS: tuple[tuple[str, tuple[tuple[str, str, str, int], ...]], ...] = (
    (
        "Patient",
        (
            ("title", "Title", "", 20),
            ("first_name", "First name", "", NAME_MAX),
            ("last_name", "Last name", "", NAME_MAX),
            ("preferred_name", "Preferred name", "if different", NAME_MAX),
            ("date_of_birth", "Date of birth", "DD/MM/YYYY", 10),
            ("sex", "Sex", "", 1),
            ("nhs_number", "NHS number", "943 476 5919", 14),
        ),
    ),
    (
        "Contact",
        (
            ("phone", "Phone", "07700 900123", 20),
            ("email", "Email", "name@example.co.uk", 254),
            ("address_line1", "Address", "house and street", SHORT_TEXT_MAX),
            ("address_line2", "", "", SHORT_TEXT_MAX),
            ("town", "Town", "", SHORT_TEXT_MAX),
            ("postcode", "Postcode", "SW1A 1AA", 8),
        ),
    ),
    (
        "Care",
        (
            ("gp_practice", "GP practice", "", SHORT_TEXT_MAX),
            ("emergency_contact_name", "Emergency contact", "name", NAME_MAX),
            ("emergency_contact_phone", "Emergency phone", "", 20),
            ("interpreter_language", "Interpreter (language)", "none needed", LANGUAGE_MAX),
            ("home_site_id", "Home site", "", 0),
        ),
    ),
)


class DemographicsForm(QWidget):
    changed = Signal()

    def __init__(self, sites: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        """``sites`` are (site id, name) pairs for the home-site choice."""
        super().__init__(parent)
        self.fields: dict[str, FieldWithError] = {}
        self._loading = False
        columns = QHBoxLayout(self)
        left = QVBoxLayout()
        right = QVBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        for index, (group_name, specs) in enumerate(GROUPS):
            box = QGroupBox(group_name)
            form = QFormLayout(box)
            for name, label, placeholder, max_length in specs:
                editor = self._make_editor(name, placeholder, max_length, sites)
                editor.setObjectName(name)
                field = FieldWithError(editor)
                self.fields[name] = field
                form.addRow(label, field)
            (left if index == 0 else right).addWidget(box)
        left.addStretch(1)
        right.addStretch(1)

    def _make_editor(
        self, name: str, placeholder: str, max_length: int, sites: Sequence[tuple[str, str]]
    ) -> QWidget:
        if name == "title":
            combo = QComboBox()
            combo.setEditable(True)
            combo.addItems(list(TITLES))
            combo.currentTextChanged.connect(self._emit_changed)
            return combo
        if name == "sex":
            combo = QComboBox()
            combo.addItem("", "")
            for sex in Sex:
                combo.addItem(sex.label, sex.value)
            combo.currentIndexChanged.connect(self._emit_changed)
            return combo
        if name == "home_site_id":
            combo = QComboBox()
            for site_id, site_name in sites:
                combo.addItem(site_name, site_id)
            combo.currentIndexChanged.connect(self._emit_changed)
            return combo
        edit = DateEdit() if name == "date_of_birth" else QLineEdit()
        edit.setPlaceholderText(placeholder)
        # A little over the limit so the domain, not the widget, explains a too-long entry.
        edit.setMaxLength(max_length + 20)
        edit.textEdited.connect(self._emit_changed)
        return edit

    def _emit_changed(self, *_: object) -> None:
        if not self._loading:
            self.changed.emit()

    def editor(self, name: str) -> QWidget:
        return self.fields[name].editor

    def raw(self) -> dict[str, str]:
        """The text of every field, as the domain's ``validate_patient`` expects it."""
        values: dict[str, str] = {}
        for name, field in self.fields.items():
            editor = field.editor
            if isinstance(editor, QLineEdit):
                values[name] = editor.text()
            elif isinstance(editor, QComboBox):
                data = editor.currentData()
                values[name] = editor.currentText() if data is None else str(data)
        return values

    def load(self, details: PatientDetails | None) -> None:
        """Show a saved patient (or an empty form for a new one) and clear the messages."""
        self._loading = True
        try:
            form = details.as_form() if details else {}
            if details:
                form["date_of_birth"] = format_uk(details.date_of_birth)
                form["nhs_number"] = format_nhs_number(details.nhs_number)
            for name, field in self.fields.items():
                value = form.get(name, "")
                editor = field.editor
                if isinstance(editor, QLineEdit):
                    editor.setText(value)
                    editor.setCursorPosition(0)
                elif isinstance(editor, QComboBox):
                    position = editor.findData(value) if name != "title" else -1
                    if name == "title":
                        editor.setCurrentText(value)
                    else:
                        editor.setCurrentIndex(max(position, 0))
                field.set_error(None)
        finally:
            self._loading = False

    def show_errors(self, errors: Mapping[str, str]) -> None:
        for name, field in self.fields.items():
            field.set_error(errors.get(name))
        first = next((name for name in self.fields if name in errors), None)
        if first:
            self.fields[first].editor.setFocus()

    def errors_shown(self) -> dict[str, str]:
        return {name: f.error for name, f in self.fields.items() if f.error}

    def set_read_only(self, read_only: bool) -> None:
        for field in self.fields.values():
            editor = field.editor
            if isinstance(editor, QLineEdit):
                editor.setReadOnly(read_only)
            else:
                editor.setEnabled(not read_only)
