"""The plumbing every clinical record form shares (consultation, treatment, adverse event:
one module each).

Each form is a dialog built in code from its fields. Saving hands the raw text of every field
(coded lists as lists of codes) to ``ClinicalService``, which validates, checks the version and
audits; a ``ValidationError`` puts each message under its field and nothing is saved. A record
that someone else saved meanwhile shows both versions (``ConcurrentEditDialog``) and keeps the
user's text on screen. For a user who may only view clinical records (an administrator) the
same form opens read-only, with a Close button only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.clinical import (
    RawValue,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import ConcurrentEdit, UserError, ValidationError
from clinicdesk.services.clinical import ClinicalService, ClinicianChoice
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.care.form_inputs import CheckList, CodeCombo
from clinicdesk.ui.widgets.concurrent_edit import ConcurrentEditDialog, compare_rows
from clinicdesk.ui.widgets.dates import DateEdit
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.fields import (
    FieldWithError,
    clear_message_when_corrected,
    message_line,
    save_and_cancel,
    set_read_only,
    show_field_errors,
    shown_errors,
)
from clinicdesk.ui.widgets.guarded_dialog import GuardedDialog

Values = dict[str, RawValue]
NOTE_HEIGHT = 58


@dataclass(frozen=True)
class FormContext:
    """What every clinical form needs: who acts, for which patient, and the lists to pick from."""

    service: ClinicalService
    user: CurrentUser
    patient_id: str
    sites: Sequence[tuple[str, str]]  # (id, name)
    this_site_id: str
    clinicians: Sequence[ClinicianChoice]
    today: date
    treatments: Sequence[tuple[str, str]] = ()  # (id, label), for adverse events
    device: str = ""  # Admin > Clinic details' device: a new treatment's kit to start with

    @property
    def read_only(self) -> bool:
        return not self.user.may(Permission.EDIT_CLINICAL_RECORDS)

    def clinician_name(self, user_id: str) -> str:
        found = next((c for c in self.clinicians if c.id == user_id), None)
        return found.name if found else "another user"


def day_text(value: date | None) -> str:
    return format_uk(value) if value else ""


def number_text(value: float) -> str:
    return f"{value:g}"


class _Field(FieldWithError):
    """``FieldWithError`` whose red border stays on the editor itself (not on every tick box
    inside a ``CheckList``)."""

    def set_error(self, message: str | None) -> None:
        super().set_error(message)
        if isinstance(self.editor, CheckList):
            name = self.editor.objectName()
            self.editor.setStyleSheet(
                f"QFrame#{name} {{ border: 1px solid #b00020; }}" if message else ""
            )


# -- the form base --------------------------------------------------------------------------------


class ClinicalForm(GuardedDialog):
    """A dialog of grouped fields that saves through the service; subclasses say which."""

    saved = Signal(object)  # what the service returned

    TITLE = "Clinical record"

    def __init__(
        self, context: FormContext, record: object | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.record = record
        self.read_only = context.read_only
        self._version = getattr(record, "version", 0)
        self.fields: dict[str, _Field] = {}
        self.field_labels: dict[str, str] = {}
        self.dirty = False
        self.setWindowTitle(self._title())
        self.setSizeGripEnabled(True)

        outer = QVBoxLayout(self)
        self.message = message_line("form_message")
        outer.addWidget(self.message)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        self.body = QVBoxLayout(body)
        self.scroll_area.setWidget(body)
        outer.addWidget(self.scroll_area, 1)

        self.save_button: QPushButton | None = None
        if self.read_only:
            self.buttons = QDialogButtonBox()
            close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
            close.setObjectName("close_button")
            self.buttons.rejected.connect(self.reject)
        else:
            self.buttons, self.save_button = save_and_cancel(self, self.save)
        outer.addWidget(self.buttons)

        self._forms: list[QFormLayout] = []
        self._build()
        self._align_labels()
        clear_message_when_corrected(self.message, self.fields)
        if record is None:
            self.load_values(self._defaults())
        else:
            self.load_values(self._values_of(record))
        if self.read_only:
            self._set_read_only()
        self.dirty = False
        # Tall enough for the whole form when it fits on the screen; the rest scrolls.
        height = body.sizeHint().height() + self.buttons.sizeHint().height() + 48
        self.resize(760, min(max(height, 360), 720))

    # -- to be provided -------------------------------------------------------------------

    def _title(self) -> str:
        return self.TITLE

    def _build(self) -> None:
        raise NotImplementedError

    def _defaults(self) -> Values:
        return {}

    def _values_of(self, record: object) -> Values:
        raise NotImplementedError

    def _submit(self, raw: Values) -> object | None:
        """Save through the service; ``None`` when the user cancelled (nothing saved)."""
        raise NotImplementedError

    # -- building -------------------------------------------------------------------------

    def group(self, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.body.addWidget(box)
        self._forms.append(form)
        return form

    def _align_labels(self) -> None:
        """One label column width for every group, so the fields line up down the form."""
        labels = [
            widget
            for form in self._forms
            for row in range(form.rowCount())
            if (item := form.itemAt(row, QFormLayout.ItemRole.LabelRole)) is not None
            and (widget := item.widget()) is not None
        ]
        width = max((label.sizeHint().width() for label in labels), default=0)
        for label in labels:
            label.setMinimumWidth(width)
            if isinstance(label, QLabel):
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def add(self, form: QFormLayout, key: str, label: str, editor: QWidget) -> QWidget:
        if not editor.objectName():
            editor.setObjectName(key)
        field = _Field(editor)
        self.fields[key] = field
        self.field_labels[key] = label
        form.addRow(label, field)
        self._watch(editor)
        return editor

    def date_field(self, form: QFormLayout, key: str, label: str) -> DateEdit:
        edit = DateEdit()
        self.add(form, key, label, edit)
        return edit

    def line_field(
        self, form: QFormLayout, key: str, label: str, placeholder: str = "", width: int = 0
    ) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setMaxLength(200)
        if width:
            edit.setMaximumWidth(width)
        self.add(form, key, label, edit)
        return edit

    def note_field(
        self, form: QFormLayout, key: str, label: str, placeholder: str = ""
    ) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setTabChangesFocus(True)
        edit.setPlaceholderText(placeholder)
        edit.setFixedHeight(NOTE_HEIGHT)
        self.add(form, key, label, edit)
        return edit

    def combo_field(
        self,
        form: QFormLayout,
        key: str,
        label: str,
        choices: Sequence[tuple[str, str]],
        blank: str | None = None,
        width: int = 0,
    ) -> CodeCombo:
        combo = CodeCombo(choices, blank)
        if width:
            combo.setMaximumWidth(width)
        self.add(form, key, label, combo)
        return combo

    def checklist_field(
        self, form: QFormLayout, key: str, label: str, choices: Sequence[tuple[str, str]]
    ) -> CheckList:
        checklist = CheckList(key, choices)
        self.add(form, key, label, checklist)
        return checklist

    def site_field(self, form: QFormLayout) -> CodeCombo:
        return self.combo_field(form, "site_id", "Site", list(self.context.sites))

    def clinician_field(self, form: QFormLayout, key: str, label: str) -> CodeCombo:
        active = [(c.id, self._clinician_label(c)) for c in self.context.clinicians if c.active]
        return self.combo_field(form, key, label, active, blank="— choose a clinician —")

    @staticmethod
    def _clinician_label(clinician: ClinicianChoice) -> str:
        if clinician.registration_number:
            return f"{clinician.name} ({clinician.registration_number})"
        return clinician.name

    def _watch(self, editor: QWidget) -> None:
        if isinstance(editor, QLineEdit):
            editor.textEdited.connect(self._mark_dirty)
        elif isinstance(editor, QPlainTextEdit):
            editor.textChanged.connect(self._mark_dirty)
        elif isinstance(editor, QComboBox):
            editor.activated.connect(self._mark_dirty)
        elif isinstance(editor, CheckList):
            editor.changed.connect(self._mark_dirty)
        elif isinstance(editor, QCheckBox):
            editor.toggled.connect(self._mark_dirty)

    def _mark_dirty(self, *_: object) -> None:
        self.dirty = True

    # -- values ---------------------------------------------------------------------------

    def editor(self, key: str) -> QWidget:
        return self.fields[key].editor

    def raw(self) -> Values:
        values: Values = {}
        for key, field in self.fields.items():
            editor = field.editor
            if isinstance(editor, QLineEdit):
                values[key] = editor.text()
            elif isinstance(editor, QPlainTextEdit):
                values[key] = editor.toPlainText()
            elif isinstance(editor, CodeCombo):
                values[key] = editor.code()
            elif isinstance(editor, CheckList):
                values[key] = editor.codes()
            elif isinstance(editor, QCheckBox):
                values[key] = editor.isChecked()
        return values

    def load_values(self, values: Mapping[str, RawValue]) -> None:
        for key, value in values.items():
            field = self.fields.get(key)
            if field is None:
                continue
            editor = field.editor
            if isinstance(editor, QLineEdit):
                editor.setText(str(value or ""))
            elif isinstance(editor, QPlainTextEdit):
                editor.setPlainText(str(value or ""))
            elif isinstance(editor, CodeCombo):
                code = str(value or "")
                editor.set_code(code, self._missing_label(key, code))
            elif isinstance(editor, CheckList):
                editor.set_codes([] if not value or isinstance(value, bool) else list(value))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
        self.show_errors({})

    def _missing_label(self, key: str, code: str) -> str:
        found = next((c for c in self.context.clinicians if c.id == code), None)
        if found is not None:
            return f"{found.name} (account disabled)"
        return code

    def display(self, values: Mapping[str, RawValue]) -> dict[str, str]:
        """``values`` as a person reads them: labels, not codes (for the two-versions view)."""
        shown: dict[str, str] = {}
        for key, field in self.fields.items():
            value = values.get(key)
            editor = field.editor
            if isinstance(editor, CodeCombo):
                shown[key] = editor.label_of(str(value or "")) or str(value or "")
            elif isinstance(editor, CheckList):
                codes = [] if not value or isinstance(value, bool) else list(value)
                shown[key] = editor.labels(codes)
            elif isinstance(value, bool):
                shown[key] = "Yes" if value else "No"
            else:
                shown[key] = str(value or "")
        return shown

    def show_errors(self, errors: Mapping[str, str]) -> None:
        self.show_message(show_field_errors(self.fields, errors))
        first = next((self.fields[key] for key in self.fields if key in errors), None)
        if first is not None:
            self.scroll_area.ensureWidgetVisible(first)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def errors(self) -> dict[str, str]:
        """The messages now shown under the fields."""
        return shown_errors(self.fields)

    def _set_read_only(self) -> None:
        for field in self.fields.values():
            editor = field.editor
            if isinstance(editor, CheckList):
                editor.set_enabled_boxes(False)
            else:
                set_read_only(editor, True)

    # -- saving ---------------------------------------------------------------------------

    def save(self) -> None:
        """The Save button (a slot: returns None)."""
        self.try_save()

    def try_save(self) -> bool:
        """Save; True when stored (the dialog then closes), False when still open."""
        if self.read_only:
            return False
        try:
            result = self._submit(self.raw())
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return False
        except ConcurrentEdit as exc:
            self._resolve_concurrent_edit(exc)
            return False
        except UserError as exc:
            show_user_error(self, exc)
            return False
        if result is None:
            self.show_message("Not saved.")
            return False
        self.show_errors({})
        self.dirty = False
        self.saved.emit(result)
        self.accept()
        return True

    def _resolve_concurrent_edit(self, exc: ConcurrentEdit) -> None:
        theirs = exc.theirs
        mine = self.display(self.raw())
        saved = self.display(self._values_of(theirs))
        info = getattr(theirs, "info", None)
        who = self.context.clinician_name(info.updated_by) if info is not None else "another user"
        dialog = ConcurrentEditDialog(
            exc.message, compare_rows(self.field_labels, mine, saved), who, self
        )
        self.concurrent_dialog = dialog
        dialog.exec()
        if dialog.choice == ConcurrentEditDialog.KEEP_MINE:
            # The user has seen the other version; Save again replaces it knowingly.
            self._version = getattr(theirs, "version", self._version)
            self.show_message(
                "Your changes are still here. Press Save again to replace the other version."
            )
        elif dialog.choice == ConcurrentEditDialog.USE_SAVED:
            self.record = theirs
            self._version = getattr(theirs, "version", self._version)
            self.load_values(self._values_of(theirs))
            self.dirty = False
            self.mark_clean()
            self.show_message("This form now shows the saved version.")
        else:
            self.show_message(
                "Not saved: someone else changed this record. Your changes are still here."
            )
