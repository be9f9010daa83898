"""The Classification tab: coded hair-loss scale and grade over time (never free text)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.classification import Classification, HairLossScale
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.patient import Sex
from clinicdesk.errors import ValidationError
from clinicdesk.ui.patients.scale_pictures import ScaleChartDialog, ScalePicture, grade_title
from clinicdesk.ui.widgets.dates import DateEdit
from clinicdesk.ui.widgets.fields import FieldWithError

AddHandler = Callable[[str, str, str, str], Sequence[Classification]]
RemoveHandler = Callable[[Classification], Sequence[Classification]]


class ClassificationTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[Classification] = []
        self._on_add: AddHandler | None = None
        self._on_remove: RemoveHandler | None = None
        self._today: Callable[[], date] = date.today
        self._sex: Sex | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(
            "A scale describes the pattern; trichoscopy measurements are the outcome. "
            "For women, Ludwig and Sinclair may both be recorded."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("classification_table")
        self.table.setHorizontalHeaderLabels(["Assessed", "Scale", "Grade", "Note"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        layout.addWidget(self.table, 1)

        self.add_box = QGroupBox("Add a classification")
        form = QFormLayout()
        self.scale = QComboBox()
        self.scale.setObjectName("scale")
        for scale in HairLossScale:
            self.scale.addItem(scale.label, scale.value)
        self.grade = QComboBox()
        self.grade.setObjectName("grade")
        # Starts empty: a grade is what the clinician chose, never the list's first entry.
        self.grade.setPlaceholderText("Choose a grade")
        self.grade_field = FieldWithError(self.grade)
        self.scale.currentIndexChanged.connect(self._fill_grades)
        self.assessed_on = FieldWithError(DateEdit())
        self.assessed_on.editor.setObjectName("assessed_on")
        self.note = FieldWithError(QLineEdit())
        self.note.editor.setObjectName("classification_note")
        form.addRow("Scale", self.scale)
        form.addRow("Grade", self.grade_field)
        form.addRow("Date assessed", self.assessed_on)
        form.addRow("Note", self.note)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add classification")
        self.add_button.setObjectName("add_classification")
        self.add_button.clicked.connect(self._add)
        self.remove_button = QPushButton("Remove selected")
        self.remove_button.setObjectName("remove_classification")
        self.remove_button.clicked.connect(self._remove)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        # The chosen grade's reference picture beside the pickers, and the whole scale.
        side = QVBoxLayout()
        self.picture = ScalePicture()
        self.picture_caption = QLabel()
        self.picture_caption.setObjectName("scale_picture_caption")
        self.picture_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.show_scale_button = QPushButton("Show scale…")
        self.show_scale_button.setObjectName("show_scale")
        self.show_scale_button.setToolTip("Every grade of this scale, with its picture")
        self.show_scale_button.clicked.connect(self.show_scale)
        side.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        side.addWidget(self.picture_caption)
        side.addWidget(self.show_scale_button)
        side.addStretch(1)
        outer = QHBoxLayout(self.add_box)
        outer.addLayout(form, 1)
        outer.addLayout(side)
        layout.addWidget(self.add_box)
        self.scale_chart: ScaleChartDialog | None = None
        self.grade.currentIndexChanged.connect(self._show_picture)
        self._fill_grades()

    def set_handlers(
        self, on_add: AddHandler, on_remove: RemoveHandler, today: Callable[[], date]
    ) -> None:
        self._on_add = on_add
        self._on_remove = on_remove
        self._today = today

    def _fill_grades(self, *_: object) -> None:
        scale = HairLossScale(self.scale.currentData())
        self.grade.clear()
        self.grade.addItems(list(scale.grades))
        self.grade.setCurrentIndex(-1)
        self._show_picture()

    def _show_picture(self, *_: object) -> None:
        scale = HairLossScale(self.scale.currentData())
        grade = self.grade.currentText()
        self.picture.set_grade(scale, grade)
        # No grade chosen yet (a grade starts empty): say how to see one.
        self.picture_caption.setText(
            grade_title(scale, grade) if grade else f"{scale.label}: choose a grade"
        )

    def show_scale(self) -> None:
        """Every grade of the chosen scale; clicking one chooses it in the picker."""
        if self.scale_chart is not None:
            self.scale_chart.deleteLater()
        chart = ScaleChartDialog(
            HairLossScale(self.scale.currentData()), self.grade.currentText(), self
        )
        chart.chosen.connect(self._grade_chosen)
        self.scale_chart = chart
        chart.open()

    def _grade_chosen(self, grade: str) -> None:
        self.grade.setCurrentIndex(self.grade.findText(grade))

    def load(self, entries: Sequence[Classification], sex: Sex | None, today: date) -> None:
        self._entries = list(entries)
        self._sex = sex
        self.table.setRowCount(0)
        for entry in self._entries:
            row = self.table.rowCount()
            self.table.insertRow(row)
            for col, text in enumerate(
                (format_uk(entry.assessed_on), entry.scale.label, entry.grade, entry.note)
            ):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, col, item)
        default = HairLossScale.LUDWIG if sex == Sex.FEMALE else HairLossScale.NORWOOD_HAMILTON
        self.scale.setCurrentIndex(self.scale.findData(default.value))
        date_edit = self.assessed_on.editor
        note_edit = self.note.editor
        assert isinstance(date_edit, QLineEdit) and isinstance(note_edit, QLineEdit)
        date_edit.setText(format_uk(today))
        note_edit.clear()
        self.assessed_on.set_error(None)
        self.note.set_error(None)
        self.grade_field.set_error(None)

    def _add(self) -> None:
        if self._on_add is None:
            return
        date_edit = self.assessed_on.editor
        note_edit = self.note.editor
        assert isinstance(date_edit, QLineEdit) and isinstance(note_edit, QLineEdit)
        try:
            entries = self._on_add(
                str(self.scale.currentData()),
                self.grade.currentText(),
                date_edit.text(),
                note_edit.text(),
            )
        except ValidationError as exc:
            self.grade_field.set_error(
                "Choose a grade from the list" if "grade" in exc.errors else None
            )
            self.assessed_on.set_error(exc.errors.get("assessed_on"))
            self.note.set_error(exc.errors.get("note"))
            return
        self.load(entries, self._sex, self._today())

    def _remove(self) -> None:
        row = self.table.currentRow()
        if self._on_remove is None or not 0 <= row < len(self._entries):
            return
        entries = self._on_remove(self._entries[row])
        self.load(entries, self._sex, self._today())

    def set_read_only(self, read_only: bool) -> None:
        self.add_box.setVisible(not read_only)
