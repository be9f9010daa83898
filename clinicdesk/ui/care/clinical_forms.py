"""Forms for the clinical records: consultation, micrograft treatment and adverse event.

Each form is a dialog built in code from its fields. Saving hands the raw text of every field
(coded lists as lists of codes) to ``ClinicalService``, which validates, checks the version and
audits; a ``ValidationError`` puts each message under its field and nothing is saved. A
treatment the eligibility check blocks asks for a written override reason (``OverrideDialog``:
its Save stays disabled until the reason is long enough; Cancel saves nothing). A record that
someone else saved meanwhile shows both versions (``ConcurrentEditDialog``) and keeps the
user's text on screen. For a user who may only view clinical records (an administrator) the
same form opens read-only, with a Close button only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.classification import HairLossScale
from clinicdesk.domain.clinical import (
    OVERRIDE_REASON_MIN,
    AdverseEvent,
    AdverseEventOutcome,
    AdverseEventType,
    Alternative,
    Consultation,
    ConsultationDetails,
    DoseUnit,
    EligibilityBlocked,
    MaterialRisk,
    RawValue,
    Severity,
    TreatedZone,
    Treatment,
    TreatmentDetails,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import ConcurrentEdit, UserError, ValidationError
from clinicdesk.services.clinical import ClinicalService, ClinicianChoice, TreatmentSaved
from clinicdesk.services.session import CurrentUser
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
from clinicdesk.ui.widgets.patient_identity import name_as

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


def _day(value: date | None) -> str:
    return format_uk(value) if value else ""


def _number(value: float) -> str:
    return f"{value:g}"


# -- inputs ---------------------------------------------------------------------------------------


class CodeCombo(QComboBox):
    """A single coded choice: shows labels, holds codes. ``blank`` adds an empty first entry."""

    def __init__(
        self,
        choices: Sequence[tuple[str, str]],
        blank: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``choices`` are (code, label)."""
        super().__init__(parent)
        # Always as wide as the form allows: a style sheet (the red error border) would
        # otherwise change a combo's width between one save and the next.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.set_choices(choices, blank)

    def set_choices(self, choices: Sequence[tuple[str, str]], blank: str | None = None) -> None:
        self.clear()
        if blank is not None:
            self.addItem(blank, "")
        for code, label in choices:
            self.addItem(label, code)

    def code(self) -> str:
        return str(self.currentData() or "")

    def set_code(self, code: str, missing_label: str = "") -> None:
        """Select ``code``; a code not in the list (a disabled clinician on an old record) is
        added with ``missing_label`` so the record shows what it holds."""
        index = self.findData(code)
        if index < 0 and code:
            self.addItem(missing_label or code, code)
            index = self.count() - 1
        self.setCurrentIndex(max(index, 0))

    def label_of(self, code: str) -> str:
        index = self.findData(code)
        return self.itemText(index) if index >= 0 and code else ""


def enum_choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(member.value, str(getattr(member, "label"))) for member in enum]  # noqa: B009


class CheckList(QFrame):
    """A coded multiple choice as a grid of tick boxes; the value keeps the list's order."""

    changed = Signal()

    def __init__(
        self,
        name: str,
        choices: Sequence[tuple[str, str]],
        columns: int = 2,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setVerticalSpacing(2)
        self.boxes: dict[str, QCheckBox] = {}
        for position, (code, label) in enumerate(choices):
            box = QCheckBox(label)
            box.setObjectName(f"{name}_{code}")
            box.toggled.connect(self._toggled)
            grid.addWidget(box, position // columns, position % columns)
            self.boxes[code] = box

    def _toggled(self, _checked: bool) -> None:
        self.changed.emit()

    def codes(self) -> list[str]:
        return [code for code, box in self.boxes.items() if box.isChecked()]

    def set_codes(self, codes: Sequence[str]) -> None:
        for code, box in self.boxes.items():
            box.setChecked(code in codes)

    def labels(self, codes: Sequence[str]) -> str:
        return ", ".join(box.text() for code, box in self.boxes.items() if code in codes)

    def set_enabled_boxes(self, enabled: bool) -> None:
        for box in self.boxes.values():
            box.setEnabled(enabled)


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


# -- consultation ---------------------------------------------------------------------------------


class ConsultationForm(ClinicalForm):
    TITLE = "Consultation"

    def _title(self) -> str:
        if self.record is None:
            return "New consultation"
        return "Consultation" + (" (view only)" if self.read_only else "")

    def _build(self) -> None:
        visit = self.group("Visit")
        self.date_field(visit, "consulted_on", "Date")
        self.site_field(visit)
        self.clinician_field(visit, "clinician_id", "Clinician")

        clinical = self.group("Assessment and plan")
        self.note_field(clinical, "presenting_complaint", "Presenting complaint")
        self.note_field(clinical, "history", "History")
        self.note_field(clinical, "examination", "Examination")
        self.scale = CodeCombo(enum_choices(HairLossScale), blank="— none —")
        self.scale.setObjectName("classification_scale")
        self.grade = CodeCombo([], blank="")
        self.grade.setObjectName("classification_grade")
        self.scale.currentIndexChanged.connect(self._fill_grades)
        self.add(clinical, "classification_scale", "Classification", self.scale)
        self.add(clinical, "classification_grade", "Grade", self.grade)
        self.note_field(clinical, "plan", "Plan")

        consent = self.group("Consent discussion (Montgomery: what was actually discussed)")
        self.checklist_field(
            consent, "risks_discussed", "Material risks discussed", enum_choices(MaterialRisk)
        )
        self.checklist_field(
            consent,
            "alternatives_discussed",
            "Alternatives discussed",
            enum_choices(Alternative),
        )
        self.note_field(consent, "patient_questions", "Patient's questions")
        self.note_field(consent, "patient_priorities", "Patient's priorities")
        self.date_field(consent, "discussed_on", "Date of discussion")
        self.date_field(consent, "decided_on", "Date of decision")
        self.body.addStretch(1)
        self._fill_grades(0)

    def _fill_grades(self, _index: int) -> None:
        code = self.scale.code()
        grades = HairLossScale(code).grades if code else ()
        self.grade.set_choices([(g, g) for g in grades], blank="")
        self.grade.setEnabled(bool(code) and not self.read_only)

    def _defaults(self) -> Values:
        # The date of the consent discussion starts the cooling-off period: never filled in
        # for the user (a discussion is recorded with the date it took place).
        return {
            "consulted_on": format_uk(self.context.today),
            "site_id": self.context.this_site_id,
            "clinician_id": self._me(),
        }

    def _me(self) -> str:
        user = self.context.user
        return user.id if any(c.id == user.id for c in self.context.clinicians) else ""

    def _values_of(self, record: object) -> Values:
        assert isinstance(record, Consultation)
        return consultation_values(record.details)

    def load_values(self, values: Mapping[str, RawValue]) -> None:
        # The grade list depends on the scale: set the scale first.
        ordered = dict(values)
        grade = ordered.pop("classification_grade", None)
        super().load_values(ordered)
        if grade is not None:
            super().load_values({"classification_grade": grade})

    def _submit(self, raw: Values) -> object | None:
        context = self.context
        if self.record is None:
            return context.service.add_consultation(context.user, context.patient_id, raw)
        assert isinstance(self.record, Consultation)
        return context.service.update_consultation(context.user, self.record.id, self._version, raw)


def consultation_values(details: ConsultationDetails) -> Values:
    return {
        "consulted_on": _day(details.consulted_on),
        "site_id": details.site_id,
        "clinician_id": details.clinician_id,
        "presenting_complaint": details.presenting_complaint,
        "history": details.history,
        "examination": details.examination,
        "classification_scale": details.classification_scale or "",
        "classification_grade": details.classification_grade,
        "plan": details.plan,
        "risks_discussed": [r.value for r in details.risks_discussed],
        "alternatives_discussed": [a.value for a in details.alternatives_discussed],
        "patient_questions": details.patient_questions,
        "patient_priorities": details.patient_priorities,
        "discussed_on": _day(details.discussed_on),
        "decided_on": _day(details.decided_on),
    }


# -- treatment ------------------------------------------------------------------------------------


class OverrideDialog(GuardedDialog):
    """The eligibility check blocked a treatment: the reasons, and a written reason to go ahead.

    Save stays disabled until the reason has ``OVERRIDE_REASON_MIN`` characters."""

    def __init__(self, reasons: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("override_dialog")
        self.setWindowTitle("Treatment blocked by the eligibility check")
        layout = QVBoxLayout(self)
        intro = QLabel("This treatment cannot be saved yet:")
        layout.addWidget(intro)
        self.reasons = QLabel("\n".join(f"•  {reason}" for reason in reasons))
        self.reasons.setObjectName("override_reasons")
        self.reasons.setTextFormat(Qt.TextFormat.PlainText)  # reasons quote typed notes
        self.reasons.setWordWrap(True)
        self.reasons.setStyleSheet(
            "background: #fde8e8; color: #8a1c1c; border: 1px solid #f5b5b5; padding: 6px;"
        )
        layout.addWidget(self.reasons)
        ask = QLabel(
            "To go ahead anyway, write why (at least "
            f"{OVERRIDE_REASON_MIN} characters). The reason is stored with the treatment and "
            "in the audit trail. Cancel saves nothing."
        )
        ask.setWordWrap(True)
        layout.addWidget(ask)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("override_reason")
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText(
            "e.g. Apixaban paused 48 h before treatment on the haematologist's advice"
        )
        self.reason.setMinimumHeight(90)
        self.reason.textChanged.connect(self._reason_changed)
        layout.addWidget(self.reason, 1)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            "Save with override", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("override_save")
        self.save_button.setEnabled(False)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("override_cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.cancel)
        layout.addWidget(self.buttons)
        self.resize(560, 380)

    def _reason_changed(self) -> None:
        self.save_button.setEnabled(len(self.text()) >= OVERRIDE_REASON_MIN)

    def text(self) -> str:
        return self.reason.toPlainText().strip()


class TreatmentForm(ClinicalForm):
    TITLE = "Micrograft treatment"

    def _title(self) -> str:
        if self.record is None:
            return "Record treatment"
        return "Micrograft treatment" + (" (view only)" if self.read_only else "")

    def _build(self) -> None:
        session = self.group("Session")
        self.date_field(session, "treated_on", "Date")
        self.site_field(session)
        self.clinician_field(session, "clinician_id", "Treating clinician")
        self.clinician_field(session, "consent_taken_by_id", "Consent taken by")

        donor = self.group("Donor area and device")
        self.line_field(donor, "punches", "Number of punches", "typically 2-5", 130)
        self.line_field(donor, "punch_diameter_mm", "Punch diameter (mm)", "about 2.5", 130)
        self.line_field(donor, "donor_site", "Donor site", "e.g. occipital scalp")
        self.line_field(donor, "kit_name", "Device kit")
        self.line_field(donor, "kit_lot", "Kit lot number", "copy it from the label", 240)

        anaesthetic = self.group("Local anaesthetic")
        self.line_field(anaesthetic, "anaesthetic_name", "Anaesthetic", "e.g. lidocaine 2%")
        self.dose = QLineEdit()
        self.dose.setObjectName("anaesthetic_dose")
        self.dose.setMaximumWidth(130)
        self.unit = CodeCombo(enum_choices(DoseUnit))
        self.unit.setObjectName("anaesthetic_dose_unit")
        self.unit.setMaximumWidth(130)
        self.add(anaesthetic, "anaesthetic_dose", "Dose", self.dose)
        self.add(anaesthetic, "anaesthetic_dose_unit", "Dose unit", self.unit)
        self.line_field(anaesthetic, "anaesthetic_lot", "Anaesthetic lot number", "", 240)

        injection = self.group("Micrograft suspension and injection")
        self.line_field(injection, "suspension_volume_ml", "Suspension volume (mL)", "", 130)
        self.checklist_field(injection, "treated_zones", "Treated zones", enum_choices(TreatedZone))
        self.line_field(injection, "injection_points", "Injection points", "", 130)
        self.line_field(injection, "duration_minutes", "Duration (minutes)", "", 130)

        closing = self.group("Closure and aftercare")
        self.note_field(closing, "haemostasis", "Haemostasis / closure")
        aftercare = QCheckBox("Aftercare sheet given")
        self.add(closing, "aftercare_sheet_given", "", aftercare)
        self.field_labels["aftercare_sheet_given"] = "Aftercare sheet given"
        self.note_field(closing, "immediate_complications", "Immediate complications", "none")
        self.overrides = QLabel()
        self.overrides.setObjectName("treatment_overrides")
        self.overrides.setTextFormat(Qt.TextFormat.PlainText)
        self.overrides.setWordWrap(True)
        self.overrides.setStyleSheet("color: #8a5300;")
        self.overrides.setVisible(False)
        self.body.addWidget(self.overrides)
        self.body.addStretch(1)
        if isinstance(self.record, Treatment) and self.record.overrides:
            lines = [
                f"Eligibility override on {o.at[:10]}: {' '.join(o.blocking_reasons)} "
                f"Reason: {o.reason}"
                for o in self.record.overrides
            ]
            self.overrides.setText("\n".join(lines))
            self.overrides.setVisible(True)

    def _defaults(self) -> Values:
        me = self.context.user.id
        mine = me if any(c.id == me for c in self.context.clinicians) else ""
        return {
            "treated_on": format_uk(self.context.today),
            "site_id": self.context.this_site_id,
            "clinician_id": mine,
            "consent_taken_by_id": mine,
            "kit_name": self.context.device,
            "anaesthetic_dose_unit": DoseUnit.ML.value,
        }

    def _values_of(self, record: object) -> Values:
        assert isinstance(record, Treatment)
        return treatment_values(record.details)

    def _submit(self, raw: Values) -> object | None:
        try:
            return self._record(raw, "")
        except EligibilityBlocked as exc:
            reason = self.ask_override(exc.reasons)
            if reason is None:
                return None
            return self._record(raw, reason)

    def _record(self, raw: Values, override_reason: str) -> TreatmentSaved:
        context = self.context
        if self.record is None:
            return context.service.record_treatment(
                context.user, context.patient_id, raw, override_reason=override_reason
            )
        assert isinstance(self.record, Treatment)
        return context.service.update_treatment(
            context.user, self.record.id, self._version, raw, override_reason=override_reason
        )

    def ask_override(self, reasons: Sequence[str]) -> str | None:
        """The override reason, or None when the user cancelled."""
        dialog = OverrideDialog(reasons, self)
        name_as(dialog, self)
        self.override_dialog: OverrideDialog | None = dialog
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        self.override_dialog = None
        return dialog.text() if accepted else None


def treatment_values(details: TreatmentDetails) -> Values:
    return {
        "treated_on": _day(details.treated_on),
        "site_id": details.site_id,
        "clinician_id": details.clinician_id,
        "consent_taken_by_id": details.consent_taken_by_id,
        "punches": str(details.punches),
        "punch_diameter_mm": _number(details.punch_diameter_mm),
        "donor_site": details.donor_site,
        "kit_name": details.kit_name,
        "kit_lot": details.kit_lot,
        "anaesthetic_name": details.anaesthetic_name,
        "anaesthetic_dose": _number(details.anaesthetic_dose),
        "anaesthetic_dose_unit": details.anaesthetic_dose_unit.value,
        "anaesthetic_lot": details.anaesthetic_lot,
        "suspension_volume_ml": _number(details.suspension_volume_ml),
        "treated_zones": [z.value for z in details.treated_zones],
        "injection_points": str(details.injection_points),
        "duration_minutes": str(details.duration_minutes),
        "haemostasis": details.haemostasis,
        "aftercare_sheet_given": details.aftercare_sheet_given,
        "immediate_complications": details.immediate_complications,
    }


# -- adverse event --------------------------------------------------------------------------------


class AdverseEventForm(ClinicalForm):
    TITLE = "Adverse event"

    def _title(self) -> str:
        if self.record is None:
            return "New adverse event"
        return "Adverse event" + (" (view only)" if self.read_only else "")

    def _build(self) -> None:
        event = self.group("Event")
        self.combo_field(
            event,
            "treatment_id",
            "After the treatment of",
            list(self.context.treatments),
            blank="— choose the treatment —",
        )
        self.date_field(event, "onset_on", "Onset")
        self.combo_field(
            event,
            "event_type",
            "Type",
            enum_choices(AdverseEventType),
            blank="— choose —",
            width=260,
        )
        self.combo_field(
            event, "severity", "Severity", enum_choices(Severity), blank="— choose —", width=260
        )
        self.note_field(event, "description", "Description", "required when the type is Other")
        self.note_field(event, "action_taken", "Action taken")
        outcome = self.group("Outcome")
        self.combo_field(
            outcome, "outcome", "Outcome", enum_choices(AdverseEventOutcome), width=260
        )
        self.date_field(outcome, "outcome_on", "Resolved on")
        self.body.addStretch(1)

    def _defaults(self) -> Values:
        latest = self.context.treatments[0][0] if self.context.treatments else ""
        return {
            "treatment_id": latest,
            "onset_on": format_uk(self.context.today),
            "outcome": AdverseEventOutcome.ONGOING.value,
        }

    def _values_of(self, record: object) -> Values:
        assert isinstance(record, AdverseEvent)
        d = record.details
        return {
            "treatment_id": d.treatment_id,
            "onset_on": _day(d.onset_on),
            "event_type": d.event_type.value,
            "severity": d.severity.value,
            "outcome": d.outcome.value,
            "description": d.description,
            "action_taken": d.action_taken,
            "outcome_on": _day(d.outcome_on),
        }

    def _submit(self, raw: Values) -> object | None:
        context = self.context
        if self.record is None:
            return context.service.add_adverse_event(context.user, context.patient_id, raw)
        assert isinstance(self.record, AdverseEvent)
        return context.service.update_adverse_event(
            context.user, self.record.id, self._version, raw
        )
