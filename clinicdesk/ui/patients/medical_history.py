"""The Medical history tab: hair treatments, red flags, allergies, medications, labs, other.

Red flags are coded items (a tick per code, with a note); the lists are editable tables. The
tab hands raw text to ``validate_medical_history`` and shows each message at its row and cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.medical import (
    HairTreatmentDrug,
    LabTest,
    MedicalHistory,
    RedFlagCode,
    TreatmentResponse,
    lab_flag,
    lab_warnings,
    reference_text,
    validate_medical_history,
)
from clinicdesk.domain.patient import Sex
from clinicdesk.ui.widgets.fields import FieldWithError, set_read_only
from clinicdesk.ui.widgets.item_table import Column, ItemTable
from clinicdesk.ui.widgets.styles import ERROR_STYLE

TREATMENT_COLUMNS = (
    Column("drug", "Treatment", HairTreatmentDrug, width=190),
    Column("dose", "Dose", placeholder="e.g. 5% foam twice daily", width=150),
    Column("started_on", "Started", placeholder="DD/MM/YYYY", width=110, date=True),
    Column(
        "stopped_on", "Stopped", placeholder="DD/MM/YYYY; blank if current", width=110, date=True
    ),
    Column("response", "Response", TreatmentResponse, width=130),
    Column("side_effects", "Side effects"),
)
ALLERGY_COLUMNS = (Column("substance", "Substance", width=200), Column("reaction", "Reaction"))
MEDICATION_COLUMNS = (Column("name", "Medication", width=200), Column("dose", "Dose"))
LAB_COLUMNS = (
    Column("test", "Test", LabTest, width=170),
    Column("value", "Result", placeholder="a number, in the unit shown beside it", width=80),
    Column("unit", "Unit", derived=True, width=60),
    Column("taken_on", "Date taken", placeholder="DD/MM/YYYY", width=110, date=True),
    Column("range", "Usual range", derived=True, width=190),
    Column("flag", "Outside range?", derived=True),
)
FLAG_BRUSH = QBrush(QColor("#a4262c"))
RANGE_NOTE = "Usual adult range; the range on the laboratory's own report takes precedence."


def _day(value: date | None) -> str:
    return format_uk(value) if value else ""


class MedicalHistoryTab(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self._version = 0
        self._sex: Sex | None = None  # chooses the labs' usual ranges where they differ
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)

        self.lab_warning = QLabel()
        self.lab_warning.setTextFormat(Qt.TextFormat.PlainText)
        self.lab_warning.setObjectName("lab_warning")
        self.lab_warning.setStyleSheet("color: #8a5300;")
        layout.addWidget(self.lab_warning)

        flags_box = QGroupBox("Red flags (warn or block before treatment)")
        grid = QGridLayout(flags_box)
        self.flag_boxes: dict[RedFlagCode, QCheckBox] = {}
        self.flag_notes: dict[RedFlagCode, QLineEdit] = {}
        for row, code in enumerate(RedFlagCode):
            box = QCheckBox(code.label)
            box.setObjectName(f"flag_{code.value}")
            note = QLineEdit()
            note.setObjectName(f"flag_note_{code.value}")
            note.setPlaceholderText("details, e.g. drug and dose")
            box.toggled.connect(self._emit_changed)
            note.textEdited.connect(self._emit_changed)
            grid.addWidget(box, row, 0)
            grid.addWidget(note, row, 1)
            self.flag_boxes[code] = box
            self.flag_notes[code] = note
        self.flags_error = QLabel()
        self.flags_error.setStyleSheet(ERROR_STYLE)
        self.flags_error.setTextFormat(Qt.TextFormat.PlainText)
        self.flags_error.setVisible(False)
        grid.addWidget(self.flags_error, len(RedFlagCode), 0, 1, 2)
        layout.addWidget(flags_box)

        self.treatments = ItemTable("treatments", TREATMENT_COLUMNS, "Add hair treatment")
        self.allergies = ItemTable("allergies", ALLERGY_COLUMNS, "Add allergy")
        self.medications = ItemTable("medications", MEDICATION_COLUMNS, "Add medication")
        self.labs = ItemTable("labs", LAB_COLUMNS, "Add lab result")
        for title, table in (
            ("Hair-loss treatments, past and current", self.treatments),
            ("Allergies", self.allergies),
            ("Current medications", self.medications),
            ("Blood tests (ferritin, TSH, vitamin D; testosterone, SHBG, DHEAS)", self.labs),
        ):
            group = QGroupBox(title)
            QVBoxLayout(group).addWidget(table)
            table.changed.connect(self._emit_changed)
            layout.addWidget(group)
        self.labs.changed.connect(self.show_lab_ranges)

        other = QGroupBox("Other factors")
        form = QFormLayout(other)
        self.pcos = QCheckBox("Polycystic ovary syndrome (PCOS)")
        self.iron = QCheckBox("Iron deficiency")
        self.bdd = QCheckBox("Body dysmorphic concern on screening")
        for box in (self.pcos, self.iron, self.bdd):
            box.toggled.connect(self._emit_changed)
            form.addRow(box)
        self.age_at_onset = FieldWithError(QLineEdit())
        self.age_at_onset.editor.setObjectName("age_at_onset")
        self.age_at_onset.editor.textEdited.connect(self._emit_changed)  # type: ignore[attr-defined]
        form.addRow("Age at onset (years)", self.age_at_onset)
        self.texts: dict[str, FieldWithError] = {}
        for key, label in (
            ("telogen_triggers", "Recent shedding triggers"),
            ("family_history", "Family history"),
            ("expectations", "Expectations"),
            ("notes", "Notes"),
        ):
            edit = QPlainTextEdit()
            edit.setObjectName(key)
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(54)
            edit.textChanged.connect(self._emit_changed)
            field = FieldWithError(edit)
            self.texts[key] = field
            form.addRow(label, field)
        layout.addWidget(other)
        layout.addStretch(1)

    def _emit_changed(self, *_: object) -> None:
        if not self._loading:
            self.changed.emit()

    # -- load and collect -----------------------------------------------------------------

    def load(self, history: MedicalHistory, today: date, sex: Sex | None = None) -> None:
        """Show ``history``; ``sex`` (the patient's) chooses the labs' usual ranges where men's
        and women's differ. Without it the patient shown before is assumed (a reload after a
        save, or someone else's version, is the same patient)."""
        self._loading = True
        try:
            self._version = history.version
            if sex is not None:
                self._sex = sex
            for code, box in self.flag_boxes.items():
                flag = next((f for f in history.red_flags if f.code == code), None)
                box.setChecked(flag is not None)
                self.flag_notes[code].setText(flag.note if flag else "")
                box.setProperty("item_id", flag.id if flag else "")
            self.treatments.load(
                [
                    (
                        t.id,
                        {
                            "drug": t.drug.value,
                            "dose": t.dose,
                            "started_on": _day(t.started_on),
                            "stopped_on": _day(t.stopped_on),
                            "response": t.response.value,
                            "side_effects": t.side_effects,
                        },
                    )
                    for t in history.treatments
                ]
            )
            self.allergies.load(
                [
                    (a.id, {"substance": a.substance, "reaction": a.reaction})
                    for a in history.allergies
                ]
            )
            self.medications.load(
                [(m.id, {"name": m.name, "dose": m.dose}) for m in history.medications]
            )
            self.labs.load(
                [
                    (
                        lab.id,
                        {
                            "test": lab.test.value,
                            "value": f"{lab.value:g}",
                            "taken_on": _day(lab.taken_on),
                        },
                    )
                    for lab in history.labs
                ]
            )
            self.show_lab_ranges()
            self.pcos.setChecked(history.pcos)
            self.iron.setChecked(history.iron_deficiency)
            self.bdd.setChecked(history.body_dysmorphic_concern)
            onset = self.age_at_onset.editor
            assert isinstance(onset, QLineEdit)
            onset.setText(str(history.age_at_onset) if history.age_at_onset else "")
            for key, field in self.texts.items():
                editor = field.editor
                assert isinstance(editor, QPlainTextEdit)
                editor.setPlainText(getattr(history, key))
            warnings = lab_warnings(history, today)
            self.lab_warning.setText("; ".join(warnings))
            self.lab_warning.setVisible(bool(warnings))
            self.show_errors({})
        finally:
            self._loading = False

    def show_lab_ranges(self) -> None:
        """Each lab row's unit, usual range and, for a result outside it, "Low (below …)" or
        "High (above …)" in words (so it does not depend on seeing colour)."""
        sex = self._sex.value if self._sex is not None else None
        for row in range(self.labs.table.rowCount()):
            try:
                test = LabTest(self.labs.cell_text(row, "test"))
            except ValueError:
                continue
            self.labs.set_derived(row, "unit", test.unit)
            self.labs.set_derived(row, "range", reference_text(test, sex), RANGE_NOTE)
            flag = ""
            text = self.labs.cell_text(row, "value").strip().replace(",", ".")
            try:
                flag = lab_flag(test, float(text), sex) if text else ""
            except ValueError:
                flag = ""  # not a number: the save says so at the cell
            self.labs.set_derived(row, "flag", flag, f"{flag}. {RANGE_NOTE}" if flag else "")
            column = [c.key for c in LAB_COLUMNS].index("flag")
            item = self.labs.table.item(row, column)
            if item is not None:
                # Its look is not an edit (nor a reason to work the ranges out again).
                with self.labs.quietly():
                    font = item.font()
                    font.setBold(bool(flag))
                    item.setFont(font)
                    item.setForeground(FLAG_BRUSH if flag else QBrush())

    def collect(self, today: date) -> MedicalHistory:
        """The edited history, validated; raises ``ValidationError`` keyed by row and cell."""
        flags = [
            {
                "code": code.value,
                "note": self.flag_notes[code].text(),
                "id": str(box.property("item_id") or ""),
            }
            for code, box in self.flag_boxes.items()
            if box.isChecked()
        ]
        onset = self.age_at_onset.editor
        assert isinstance(onset, QLineEdit)
        other: dict[str, str | bool | None] = {
            "pcos": self.pcos.isChecked(),
            "iron_deficiency": self.iron.isChecked(),
            "body_dysmorphic_concern": self.bdd.isChecked(),
            "age_at_onset": onset.text(),
        }
        for key, field in self.texts.items():
            editor = field.editor
            assert isinstance(editor, QPlainTextEdit)
            other[key] = editor.toPlainText()
        return validate_medical_history(
            treatments=self.treatments.rows(),
            red_flags=flags,
            allergies=self.allergies.rows(),
            medications=self.medications.rows(),
            labs=self.labs.rows(),
            other=other,
            today=today,
            version=self._version,
        )

    def adopt_version(self, version: int) -> None:
        """After seeing that someone else saved, the next save knowingly replaces ``version``."""
        self._version = version

    def show_errors(self, errors: Mapping[str, str]) -> None:
        for table in (self.treatments, self.allergies, self.medications, self.labs):
            table.show_errors(errors)
        self.age_at_onset.set_error(errors.get("age_at_onset"))
        for key, field in self.texts.items():
            field.set_error(errors.get(key))
        flag_messages = [message for key, message in errors.items() if key.startswith("red_flags")]
        self.flags_error.setText("; ".join(flag_messages))
        self.flags_error.setVisible(bool(flag_messages))

    def set_read_only(self, read_only: bool) -> None:
        for box in self.flag_boxes.values():
            box.setEnabled(not read_only)
        for note in self.flag_notes.values():
            set_read_only(note, read_only)
        for table in (self.treatments, self.allergies, self.medications, self.labs):
            table.set_read_only(read_only)
        for box in (self.pcos, self.iron, self.bdd):
            box.setEnabled(not read_only)
        set_read_only(self.age_at_onset.editor, read_only)
        for field in self.texts.values():
            set_read_only(field.editor, read_only)
