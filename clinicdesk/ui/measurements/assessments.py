"""The trichoscopy assessment form and the report of a refused CSV import.

The form is one visit: its date, the bedside tests (hair pull test, satisfaction, the 7-point
global photographic score and whether it was scored blinded), notes, and a grid with one row
per scalp region and one column per measure (plus where it was measured). A region row left
wholly blank was not measured and is not sent. The form only collects text: the service
validates it, and a ``ValidationError`` comes back keyed like ``regions[frontal].total_density``,
which the grid shows at that cell (red, with the message as its tooltip) and lists under the
grid. Nothing is saved until every field is right.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.assessment_csv import CsvImportError, describe_columns, listed
from clinicdesk.domain.assessments import (
    GLOBAL_PHOTO_SCORES,
    MEASURE_BY_NAME,
    MEASURES,
    Assessment,
    Region,
    assessment_form,
    region_form,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.errors import ConcurrentEdit, UserError, ValidationError
from clinicdesk.services.assessments import AssessmentService
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.dates import DateEdit
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.fields import FieldWithError, note_edit, set_read_only
from clinicdesk.ui.widgets.guarded_dialog import GuardedDialog
from clinicdesk.ui.widgets.item_table import mark_cell
from clinicdesk.ui.widgets.styles import ERROR_STYLE, INVALID_STYLE

ID_ROLE = Qt.ItemDataRole.UserRole + 1
SITE_COLUMN = "measurement_site"
GRID_COLUMNS: tuple[str, ...] = (*(m.name for m in MEASURES), SITE_COLUMN)
VISIT_FIELD_LABELS = {
    "visit_date": "Visit date",
    "regions": "Measurements",
    "pull_test_pulled": "Pull test: hairs pulled",
    "pull_test_of": "Pull test: hairs held",
    "satisfaction": "Satisfaction",
    "global_photo_score": "Global photographic score",
    "notes": "Notes",
    "clinician_id": "Clinician",
    "visit_site_id": "Site",
    "treatment_id": "Treatment",
}


# Grid headings short enough for a narrow column (the tooltip has the full name and range).
SHORT_LABELS = {
    "mean_diameter_um": "Mean shaft diameter",
    "thin_hairs_pct": "Thin hairs < 30 µm",
    "fu_density": "Follicular units",
    "hairs_per_fu": "Hairs per FU",
    "hair_mass": "Hair mass",
    SITE_COLUMN: "Measurement site",
}


def column_header(key: str) -> str:
    """A grid column's heading, wrapped onto lines, with the unit on the last."""
    label = SHORT_LABELS.get(key) or MEASURE_BY_NAME[key].label
    unit = "" if key == SITE_COLUMN else MEASURE_BY_NAME[key].unit
    lines = textwrap.wrap(label, 12)
    if unit and unit not in label:
        lines.append(f"({unit})")
    return "\n".join(lines)


def column_label(key: str) -> str:
    return "Measurement site" if key == SITE_COLUMN else MEASURE_BY_NAME[key].label


def column_tip(key: str) -> str:
    if key == SITE_COLUMN:
        return (
            "Where it was measured, e.g. 8 cm from the glabella along the midline: "
            "measure the same spot at every visit."
        )
    measure = MEASURE_BY_NAME[key]
    optional = "" if measure.required else " Optional."
    return f"{measure.label}: {measure.range_message()}.{optional}"


class AssessmentDialog(GuardedDialog):
    """Record a new assessment or correct one (``assessment`` given); ``read_only`` for a
    role that may only view. ``saved`` holds what the service stored after an accepted save."""

    def __init__(
        self,
        service: AssessmentService,
        user: CurrentUser,
        patient_id: str,
        assessment: Assessment | None = None,
        *,
        read_only: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("assessment_dialog")
        self.service = service
        self.user = user
        self.patient_id = patient_id
        self.assessment = assessment
        self.read_only = read_only
        self.saved: Assessment | None = None
        if assessment is None:
            title = "New assessment"
        else:
            title = f"Assessment of {format_uk(assessment.visit_date)}"
        self.setWindowTitle(title)
        self._build()
        self._load()
        self.resize(1240, 560)

    # -- construction ---------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        visit = QGroupBox("Visit")
        visit_form = QFormLayout(visit)
        self.visit_date = FieldWithError(DateEdit())
        self._line(self.visit_date).setObjectName("visit_date")
        visit_form.addRow("Visit &date", self.visit_date)
        self.notes = note_edit(
            "notes", "Anything a later reader should know about this visit", fixed_height=70
        )
        self.notes_field = FieldWithError(self.notes)
        visit_form.addRow("&Notes", self.notes_field)
        top.addWidget(visit, 3)

        bedside = QGroupBox("Bedside tests")
        bedside_form = QFormLayout(bedside)
        # Two small inputs on one line share one message line beneath them.
        pull_row = QWidget()
        pull_layout = QHBoxLayout(pull_row)
        pull_layout.setContentsMargins(0, 0, 0, 0)
        self.pull_pulled = QLineEdit()
        self.pull_pulled.setObjectName("pull_test_pulled")
        self.pull_pulled.setPlaceholderText("pulled")
        self.pull_of = QLineEdit()
        self.pull_of.setObjectName("pull_test_of")
        self.pull_of.setPlaceholderText("60")
        self.pull_of.setToolTip("Hairs held in the pull (about 60 if left blank)")
        for editor in (self.pull_pulled, self.pull_of):
            editor.setMaxLength(3)
            editor.setFixedWidth(64)
        pull_layout.addWidget(self.pull_pulled)
        pull_layout.addWidget(QLabel("hairs out of"))
        pull_layout.addWidget(self.pull_of)
        pull_layout.addStretch(1)
        self.pull_test = FieldWithError(pull_row)
        bedside_form.addRow("&Pull test", self.pull_test)
        self.satisfaction_box = QComboBox()
        self.satisfaction_box.setObjectName("satisfaction")
        self.satisfaction_box.addItem("Not asked", "")
        for score in range(11):
            self.satisfaction_box.addItem(str(score), str(score))
        self.satisfaction_box.setToolTip("Patient-reported satisfaction, 0 (none) to 10")
        self.satisfaction = FieldWithError(self.satisfaction_box)
        bedside_form.addRow("&Satisfaction (0-10)", self.satisfaction)
        self.photo_score_box = QComboBox()
        self.photo_score_box.setObjectName("global_photo_score")
        self.photo_score_box.addItem("Not scored", "")
        for score, label in sorted(GLOBAL_PHOTO_SCORES.items(), reverse=True):
            self.photo_score_box.addItem(f"{score:+d}  {label}" if score else f"0  {label}", score)
        self.photo_score = FieldWithError(self.photo_score_box)
        bedside_form.addRow("&Global photographic score", self.photo_score)
        self.blinded = QCheckBox("Scored blinded (without knowing which photo came first)")
        self.blinded.setObjectName("photo_score_blinded")
        bedside_form.addRow("", self.blinded)
        top.addWidget(bedside, 2)
        layout.addLayout(top)

        heading = QLabel(
            "Measurements per region (leave a region's row empty if it was not measured; "
            "hover over a column heading for its allowed range)"
        )
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.grid = QTableWidget(len(Region), len(GRID_COLUMNS))
        self.grid.setObjectName("region_grid")
        for col, key in enumerate(GRID_COLUMNS):
            header_item = QTableWidgetItem(column_header(key))
            header_item.setToolTip(column_tip(key))
            self.grid.setHorizontalHeaderItem(col, header_item)
        self.grid.setVerticalHeaderLabels([r.label for r in Region])
        header = self.grid.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(86)
        header.setMinimumHeight(64)
        header.setStretchLastSection(True)
        self.grid.setWordWrap(True)
        self.grid.verticalHeader().setDefaultSectionSize(26)
        for row in range(len(Region)):
            for col in range(len(GRID_COLUMNS)):
                self.grid.setItem(row, col, QTableWidgetItem(""))
        self.grid.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Every region row visible, also when a narrow screen needs the horizontal scroll bar.
        scroll_bar = self.grid.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.grid.setFixedHeight(
            64 + 26 * len(Region) + self.grid.frameWidth() * 2 + scroll_bar + 2
        )
        layout.addWidget(self.grid)
        self.error_label = QLabel()
        self.error_label.setObjectName("assessment_errors")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)
        layout.addStretch(1)

        if self.read_only:
            self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        else:
            self.buttons = QDialogButtonBox(
                QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
            )
            self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.cancel)
        layout.addWidget(self.buttons)

    @staticmethod
    def _line(field: FieldWithError) -> QLineEdit:
        editor = field.editor
        assert isinstance(editor, QLineEdit)
        return editor

    def _load(self) -> None:
        if self.assessment is None:
            self._line(self.visit_date).setText(format_uk(self.service.today()))
            self._kept: dict[str, str] = {}
        else:
            form = assessment_form(self.assessment.details)
            # Not on the form but kept on a correction: the clinician, site and treatment.
            self._kept = {k: form[k] for k in ("visit_site_id", "clinician_id", "treatment_id")}
            self._line(self.visit_date).setText(form["visit_date"])
            self.pull_pulled.setText(form["pull_test_pulled"])
            self.pull_of.setText(form["pull_test_of"])
            self.satisfaction_box.setCurrentIndex(
                max(self.satisfaction_box.findData(form["satisfaction"]), 0)
            )
            score = form["global_photo_score"]
            self.photo_score_box.setCurrentIndex(
                max(self.photo_score_box.findData(int(score)), 0) if score else 0
            )
            self.blinded.setChecked(bool(form["photo_score_blinded"]))
            self.notes.setPlainText(form["notes"])
            for measured in self.assessment.details.regions:
                values = region_form(measured)
                row = list(Region).index(measured.region)
                for key in GRID_COLUMNS:
                    self.set_cell(measured.region, key, values.get(key, ""))
                first = self.grid.item(row, 0)
                assert first is not None
                first.setData(ID_ROLE, measured.id or "")
        self.show_errors({})
        if self.read_only:
            self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            for widget in (
                self._line(self.visit_date),
                self.pull_pulled,
                self.pull_of,
                self.notes,
                self.satisfaction_box,
                self.photo_score_box,
                self.blinded,
            ):
                set_read_only(widget, True)

    # -- reading the form -----------------------------------------------------------------

    def set_cell(self, region: Region, key: str, text: str) -> None:
        """Type into the grid (for callers without a keyboard, and tests)."""
        item = self.grid.item(list(Region).index(region), GRID_COLUMNS.index(key))
        assert item is not None
        item.setText(text)

    def cell(self, region: Region, key: str) -> QTableWidgetItem:
        item = self.grid.item(list(Region).index(region), GRID_COLUMNS.index(key))
        assert item is not None
        return item

    def raw(self) -> dict[str, str]:
        raw = dict(self._kept)
        raw.update(
            visit_date=self._line(self.visit_date).text(),
            pull_test_pulled=self.pull_pulled.text(),
            pull_test_of=self.pull_of.text(),
            satisfaction=str(self.satisfaction_box.currentData() or ""),
            global_photo_score=str(self.photo_score_box.currentData() or ""),
            photo_score_blinded="1" if self.blinded.isChecked() else "",
            notes=self.notes.toPlainText(),
        )
        # currentData() of the "0" entries is 0 or "0": falsy, so read it back explicitly.
        if self.satisfaction_box.currentIndex() > 0:
            raw["satisfaction"] = str(self.satisfaction_box.currentData())
        if self.photo_score_box.currentIndex() > 0:
            raw["global_photo_score"] = str(self.photo_score_box.currentData())
        return raw

    def typed_value(self) -> str:
        """The grid's text (``GuardedDialog`` compares it to tell whether anything was typed)."""
        return repr(self.region_rows())

    def region_rows(self) -> list[dict[str, str]]:
        """One row per region with anything typed in it (a blank row was not measured)."""
        rows = []
        for row, region in enumerate(Region):
            values = {key: self._text(row, col) for col, key in enumerate(GRID_COLUMNS)}
            if not any(v.strip() for v in values.values()):
                continue
            first = self.grid.item(row, 0)
            values["region"] = region.value
            values["id"] = str(first.data(ID_ROLE) or "") if first else ""
            rows.append(values)
        return rows

    def _text(self, row: int, col: int) -> str:
        item = self.grid.item(row, col)
        return item.text() if item else ""

    # -- saving ---------------------------------------------------------------------------

    def save(self) -> None:
        """Save through the service; on any problem show it and keep the dialog open."""
        raw, regions = self.raw(), self.region_rows()
        try:
            if self.assessment is None:
                saved = self.service.add(self.user, self.patient_id, raw, regions)
            else:
                saved = self.service.update(
                    self.user, self.assessment.id, self.assessment.version, raw, regions
                )
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return
        except ConcurrentEdit as exc:
            show_user_error(self, exc, "Someone else saved this assessment")
            return
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.saved = saved
        self.accept()

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Mark each message at its field or grid cell, and list them all under the grid."""
        listed: list[str] = []
        pull_messages = [
            f"{what}: {errors[key]}"
            for key, what in (("pull_test_pulled", "Hairs pulled"), ("pull_test_of", "Hairs held"))
            if key in errors
        ]
        self.pull_test.set_error("\n".join(pull_messages) or None)
        self.pull_test.editor.setStyleSheet("")  # mark only the input that is wrong
        for key, editor in (("pull_test_pulled", self.pull_pulled), ("pull_test_of", self.pull_of)):
            editor.setStyleSheet(INVALID_STYLE if key in errors else "")
            editor.setToolTip(errors.get(key, ""))
        fields = {
            "visit_date": self.visit_date,
            "satisfaction": self.satisfaction,
            "global_photo_score": self.photo_score,
            "notes": self.notes_field,
        }
        for key, field in fields.items():
            field.set_error(errors.get(key))
        for key, message in errors.items():
            if not key.startswith("regions["):
                listed.append(f"{VISIT_FIELD_LABELS.get(key, key)}: {message}")
        for row, region in enumerate(Region):
            for col, key in enumerate(GRID_COLUMNS):
                cell_message = errors.get(f"regions[{region.value}].{key}")
                item = self.grid.item(row, col)
                if item is None:
                    continue
                mark_cell(item, cell_message)
                if cell_message:
                    listed.append(f"{region.label}, {column_label(key)}: {cell_message}")
            # A region-level message (should not happen from this form, but never hide one).
            if region_message := errors.get(f"regions[{region.value}].region"):
                listed.append(f"{region.label}: {region_message}")
        self.error_label.setText(
            "Not saved. Please correct:\n" + "\n".join(f"• {m}" for m in listed) if listed else ""
        )
        self.error_label.setVisible(bool(listed))
        if listed:
            first_bad = next(
                (
                    (row, col)
                    for row, region in enumerate(Region)
                    for col, key in enumerate(GRID_COLUMNS)
                    if f"regions[{region.value}].{key}" in errors
                ),
                None,
            )
            if first_bad is not None:
                # Scrolled to, not selected: the selection colour would hide the red.
                self.grid.clearSelection()
                item = self.grid.item(*first_bad)
                if item is not None:
                    self.grid.scrollToItem(item)

    @property
    def error_messages(self) -> list[str]:
        """The messages listed under the grid (what a user reads)."""
        text = self.error_label.text()
        return [line.removeprefix("• ") for line in text.splitlines()[1:]] if text else []


class CsvProblemsDialog(QDialog):
    """A refused CSV import: the summary, then every bad row and column in a scrolling list."""

    def __init__(
        self, file_name: str, error: CsvImportError, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("csv_problems_dialog")
        self.setWindowTitle("Measurements not imported")
        layout = QVBoxLayout(self)
        if error.problems:
            summary = (
                f"Nothing was imported from {file_name}: {len(error.problems)} problem(s) were "
                "found. Correct them in the file and import it again."
            )
        elif error.missing_columns:
            summary = (
                f"Nothing was imported from {file_name}: it is missing the required column(s) "
                f"{', '.join(error.missing_columns)}."
            )
            if error.unknown_columns:
                summary += f" Columns not recognised: {listed(error.unknown_columns)}."
        else:
            summary = f"Nothing was imported from {file_name}. {error.message}"
        self.summary = QLabel(summary)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.problem_list = QListWidget()
        self.problem_list.setObjectName("csv_problems")
        self.problem_list.setWordWrap(True)  # long messages wrap instead of being cut off
        self.problem_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.problem_list.setAlternatingRowColors(True)
        for problem in error.problems:
            column = problem.column
            if column in MEASURE_BY_NAME or column == SITE_COLUMN:
                column = f"{column} ({column_label(column)})"
            self.problem_list.addItem(f"Row {problem.row}, {column}: {problem.message}")
        self.problem_list.setVisible(bool(error.problems))
        layout.addWidget(self.problem_list, 1)
        numbering = (
            "Rows are numbered as a spreadsheet shows them (the header is row 1, naming the "
            "columns in any order)."
        )
        hint = QLabel(
            "\n\n".join([numbering, *describe_columns(error.missing_columns).split("\n")])
        )
        hint.setObjectName("csv_columns")
        self.columns_hint = hint
        hint.setTextFormat(Qt.TextFormat.PlainText)
        hint.setWordWrap(True)
        hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        if error.problems:
            layout.addWidget(buttons)
            self.resize(720, 440)
        else:  # just the text: no list to fill the space, so no gaps between the paragraphs
            layout.addStretch(1)
            layout.addWidget(buttons)
            self.resize(720, self.sizeHint().height())

    def problems(self) -> list[str]:
        return [self.problem_list.item(i).text() for i in range(self.problem_list.count())]
