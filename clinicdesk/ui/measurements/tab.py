"""The Measurements tab: a patient's trichoscopy visits as a table and a chart.

The table has a row per region and measure (derived ratios included, in italics) and a column
per visit, oldest first; every visit after the baseline shows its change against the baseline
as ``127.1  +7.1 (+5.9%)``. The baseline is the domain's: the latest assessment on or before
the first treatment (else the first assessment). Below it, a QtCharts line chart plots one
region's total density (left axis) and mean shaft diameter (right axis) against visit date.

The tab loads a patient's assessments once (one audited view); a save or an import returns the
stored assessments, which replace or join the loaded ones, and the table and chart are derived
from them again, without asking the database (STYLE.md: services return what changed).
Clinicians record, correct and import; admins only view (the dialog opens read-only);
reception never gets the tab. After a save or an import the tab emits ``changed`` (the
Timeline lists assessments too); ``refresh`` reads the patient's assessments again when
something they depend on changed elsewhere (a treatment moves the baseline), at once if the tab
is on screen, else when it is next shown.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.assessment_csv import CsvImportError, ImportedVisit
from clinicdesk.domain.assessments import (
    NOT_AVAILABLE,
    Assessment,
    Change,
    Region,
    baseline_assessment,
    format_change,
    format_number,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.measurement_table import (
    MeasurementTable,
    SeriesPoint,
    chart_series,
    measurement_table,
)
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import UserError
from clinicdesk.services.assessments import AssessmentService, read_assessment_csv
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.measurements.assessments import AssessmentDialog, CsvProblemsDialog
from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress
from clinicdesk.ui.widgets.errors import show_failure, show_user_error
from clinicdesk.ui.widgets.fields import plain_label
from clinicdesk.ui.widgets.keep_at_lock import KEEP_AT_LOCK
from clinicdesk.ui.widgets.patient_identity import PatientIdentity, name_the_patient

if TYPE_CHECKING:
    from PySide6.QtCharts import QChart

    from clinicdesk.ui.measurements.chart import MeasurementsChart

AnyIndex = QModelIndex | QPersistentModelIndex
FIXED_COLUMNS = ("Region", "Measure")


def _decimals(key: str) -> int:
    return 2 if key.endswith("ratio") else 1


class MeasurementTableModel(QAbstractTableModel):
    """Regions x visits, read only. Column 0 the region, 1 the measure, then one per visit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = MeasurementTable((), ())
        self.baseline_index: int | None = None

    def set_table(self, table: MeasurementTable, baseline: Assessment | None) -> None:
        self.beginResetModel()
        self.table = table
        ids = [a.id for a in table.visits]
        self.baseline_index = ids.index(baseline.id) if baseline is not None else None
        self.endResetModel()

    def visit_at(self, column: int) -> Assessment | None:
        index = column - len(FIXED_COLUMNS)
        return self.table.visits[index] if 0 <= index < len(self.table.visits) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FIXED_COLUMNS) + len(self.table.visits)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if section < len(FIXED_COLUMNS):
            return FIXED_COLUMNS[section] if role == Qt.ItemDataRole.DisplayRole else None
        visit = self.visit_at(section)
        if visit is None:
            return None
        is_baseline = section - len(FIXED_COLUMNS) == self.baseline_index
        if role == Qt.ItemDataRole.DisplayRole:
            day = format_uk(visit.visit_date)
            return f"{day}\nbaseline" if is_baseline else day
        if role == Qt.ItemDataRole.ToolTipRole:
            kind = "Baseline visit. " if is_baseline else ""
            return f"{kind}{visit.details.source.label}. Double-click to open this assessment."
        return None

    def _cell(self, row: int, column: int) -> tuple[str, str]:
        """(shown text, tooltip) of a visit cell."""
        table_row = self.table.rows[row]
        visit_index = column - len(FIXED_COLUMNS)
        value = table_row.values[visit_index]
        decimals = _decimals(table_row.key)
        unit = f" {table_row.unit}" if table_row.unit and table_row.unit != "%" else table_row.unit
        shown = format_number(value, decimals)
        tip = f"{shown}{unit}" if value is not None else "Not measured at this visit"
        base = self.baseline_index
        if base is not None and visit_index > base and value is not None:
            change = format_change(Change(table_row.values[base], value), decimals)
            if change != NOT_AVAILABLE:
                shown = f"{shown}   {change}"
                tip += f"; change against the baseline {change}"
        return shown, tip

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.table.rows):
            return None
        row = self.table.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.FontRole and row.derived:
            font = QFont()
            font.setItalic(True)
            return font
        if column == 0:
            if role != Qt.ItemDataRole.DisplayRole:
                return None
            previous = self.table.rows[index.row() - 1] if index.row() > 0 else None
            if previous is not None and previous.region == row.region:
                return ""  # the region is named once, on its first row
            return row.region.label if row.region is not None else "Whole scalp"
        if column == 1:
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{row.label} ({row.unit})" if row.unit else row.label
            if role == Qt.ItemDataRole.ToolTipRole and row.derived:
                return "Derived from the measured values; never typed in"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(index.row(), column)[0]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._cell(index.row(), column)[1]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class MeasurementsTab(QWidget):
    """The patient record's Measurements tab (see the module docstring)."""

    LABEL = "Mea&surements"
    # Whose record this is, for the assessment form to name (set by the main window).
    identity: PatientIdentity | None = None
    changed = Signal()  # an assessment was saved or imported here

    def __init__(self, service: AssessmentService, user: CurrentUser, tabs: QTabWidget) -> None:
        # Parented to the record's tabs from the start, shown there only for roles that may
        # view clinical records (apply_role).
        super().__init__(tabs)
        self.setObjectName("measurements_tab")
        self.service = service
        self.user = user
        self._tabs = tabs
        self.patient_id: str | None = None
        self.assessments: list[Assessment] = []
        self.treatment_date: date | None = None
        self.series: dict[Region, tuple[SeriesPoint, ...]] = {}
        self.dialog: AssessmentDialog | None = None
        self.problems_dialog: CsvProblemsDialog | None = None
        self.import_task: BackgroundTask | None = None  # a CSV file being read
        self._stale = False
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("&New assessment…")
        self.new_button.setObjectName("new_assessment")
        self.new_button.clicked.connect(self._new_clicked)
        self.import_button = QPushButton("&Import CSV…")
        self.import_button.setObjectName("import_assessments")
        self.import_button.setToolTip("Import measurements exported by trichoscopy software")
        self.import_button.clicked.connect(self._import_clicked)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.import_button)
        self.status = plain_label("measurements_status")
        buttons.addWidget(self.status, 1)
        layout.addLayout(buttons)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.model = MeasurementTableModel(self)
        self.view = QTableView()
        self.view.setObjectName("measurements_table")
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setMinimumHeight(40)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.doubleClicked.connect(self._cell_double_clicked)
        self.view.horizontalHeader().sectionDoubleClicked.connect(self._header_double_clicked)
        splitter.addWidget(self.view)

        chart_panel = QWidget()
        chart_layout = QVBoxLayout(chart_panel)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        selector = QHBoxLayout()
        region_label = QLabel("&Region:")
        self.region_box = QComboBox()
        self.region_box.setObjectName("chart_region")
        self.region_box.setMinimumWidth(180)
        region_label.setBuddy(self.region_box)
        self.region_box.currentIndexChanged.connect(self._region_changed)
        selector.addWidget(region_label)
        selector.addWidget(self.region_box)
        selector.addStretch(1)
        chart_layout.addLayout(selector)
        self._chart_layout = chart_layout
        self._chart: MeasurementsChart | None = None  # made when first needed (chart_view)
        self._chart_points: tuple[str, tuple[SeriesPoint, ...]] = ("", ())
        splitter.addWidget(chart_panel)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)

    @property
    def chart_view(self) -> MeasurementsChart:
        return self._chart if self._chart is not None else self._make_chart()

    def setVisible(self, visible: bool) -> None:
        # Made just before the tab is first shown, so the splitter lays it out as it would
        # have had the chart been there from the start.
        if visible and self._chart is None:
            self._make_chart()
        super().setVisible(visible)

    def _make_chart(self) -> MeasurementsChart:
        """The chart is made when the tab is first shown or a patient's measurements are
        first loaded, so QtCharts is imported then, not when the program starts."""
        from clinicdesk.ui.measurements.chart import MeasurementsChart

        self._chart = MeasurementsChart()
        self._chart_layout.addWidget(self._chart, 1)
        self._chart.show_points(*self._chart_points)
        return self._chart

    @property
    def chart(self) -> QChart:
        return self.chart_view.chart()

    # -- role -----------------------------------------------------------------------------

    def apply_role(self, user: CurrentUser, after: QWidget | None = None) -> None:
        """Show the tab (after ``after``) for roles that may view clinical records, else
        take it out; buttons that change anything only for those who may edit."""
        self.user = user
        self.clear()
        allowed = user.may(Permission.VIEW_CLINICAL_RECORDS)
        index = self._tabs.indexOf(self)
        if allowed and index < 0:
            anchor = self._tabs.indexOf(after) if after is not None else -1
            if anchor >= 0:
                self._tabs.insertTab(anchor + 1, self, self.LABEL)
            else:
                self._tabs.addTab(self, self.LABEL)
        elif not allowed and index >= 0:
            self._tabs.removeTab(index)
            self.hide()
        editable = self.may_edit
        self.new_button.setVisible(editable)
        self.import_button.setVisible(editable)

    @property
    def may_edit(self) -> bool:
        return self.user.may(Permission.EDIT_CLINICAL_RECORDS)

    # -- loading --------------------------------------------------------------------------

    def clear(self) -> None:
        self._stale = False
        self.patient_id = None
        self.assessments = []
        self.treatment_date = None
        self.status.setText("")
        self._refresh()

    def load(self, patient_id: str) -> None:
        """The patient's assessments (when this tab is shown for the user's role): read now
        if the tab is on screen, else when it is shown (``ensure_loaded``). Reading them is
        an audited view, and filling the table and chart is a good part of opening a record:
        a tab nobody looked at costs neither."""
        if self._tabs.indexOf(self) < 0:
            self.clear()
            return
        if not self.isVisible():
            self.clear()
            self.patient_id = patient_id
            self._stale = True
            return
        self._read(patient_id)

    def ensure_loaded(self) -> None:
        """Read the patient's assessments now if they were left for when the tab is shown
        (e.g. an assessment is opened from the Timeline)."""
        if self._stale and self.patient_id is not None:
            self._read(self.patient_id)

    def _read(self, patient_id: str) -> None:
        try:
            assessments = self.service.list_for_patient(self.user, patient_id)
            report = self.service.baseline_report(self.user, patient_id)
        except UserError as exc:
            self.clear()
            show_user_error(self, exc)
            return
        self._stale = False
        self.patient_id = patient_id
        self.assessments = assessments
        self.treatment_date = report.treatment_date
        self.status.setText("")
        self._refresh()

    def refresh(self) -> None:
        """The patient's assessments or treatments changed elsewhere: load them again now if
        the tab is on screen, else when it is next shown."""
        if self.patient_id is None:
            return
        self._stale = True
        if self.isVisible():
            self._read(self.patient_id)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.ensure_loaded()

    def _refresh(self) -> None:
        """Table and chart derived again from ``self.assessments``."""
        baseline = baseline_assessment(self.assessments, self.treatment_date)
        self.model.set_table(measurement_table(self.assessments), baseline)
        header = self.view.horizontalHeader()
        self.view.resizeColumnsToContents()
        for column in range(len(FIXED_COLUMNS), self.model.columnCount()):
            header.resizeSection(column, max(header.sectionSize(column), 96))
        self.series = chart_series(self.assessments)
        chosen = self.region_box.currentData()
        self.region_box.blockSignals(True)
        try:
            self.region_box.clear()
            for region in self.series:
                self.region_box.addItem(region.label, region.value)
            index = self.region_box.findData(chosen) if chosen else -1
            self.region_box.setCurrentIndex(max(index, 0) if self.series else -1)
        finally:
            self.region_box.blockSignals(False)
        self._show_region()
        if self.assessments and baseline is None:
            self.status.setText(
                "No baseline: no assessment was made on or before the treatment day, so no "
                "change is shown."
            )

    def _region_changed(self, _index: int) -> None:
        self._show_region()

    def _show_region(self) -> None:
        code = self.region_box.currentData()
        region = Region(code) if code else None
        points = self.series.get(region, ()) if region is not None else ()
        self._chart_points = (region.label if region is not None else "", points)
        if self._chart is not None or self.patient_id is not None:
            self.chart_view.show_points(*self._chart_points)

    def select_region(self, region: Region) -> None:
        self.region_box.setCurrentIndex(self.region_box.findData(region.value))

    # -- opening and saving assessments ---------------------------------------------------

    def _new_clicked(self) -> None:
        self.open_assessment(None)

    def _cell_double_clicked(self, index: QModelIndex) -> None:
        self._open_column(index.column())

    def _header_double_clicked(self, section: int) -> None:
        self._open_column(section)

    def _open_column(self, column: int) -> None:
        visit = self.model.visit_at(column)
        if visit is not None:
            self.open_assessment(visit)

    def open_visit(self, visit_index: int) -> None:
        """Open the assessment of the table's ``visit_index``-th visit (0 = oldest)."""
        self._open_column(visit_index + len(FIXED_COLUMNS))

    def open_assessment(self, assessment: Assessment | None) -> None:
        """The assessment form: new (``None``), or ``assessment`` to correct (or, for a role
        that may only view, to read)."""
        if self.patient_id is None or (assessment is None and not self.may_edit):
            return
        if self.dialog is not None:
            self.dialog.deleteLater()  # closed by now: it is modal
        self.dialog = AssessmentDialog(
            self.service,
            self.user,
            self.patient_id,
            assessment,
            read_only=not self.may_edit,
            parent=self,
        )
        name_the_patient(self.dialog, self.identity)
        self.dialog.accepted.connect(self._dialog_accepted)
        self.dialog.setProperty(KEEP_AT_LOCK, True)  # typed values survive the idle lock
        self.dialog.open()

    def _dialog_accepted(self) -> None:
        if self.dialog is None or self.dialog.saved is None:
            return
        saved = self.dialog.saved
        self.assessments = [a for a in self.assessments if a.id != saved.id] + [saved]
        self.status.setText(f"Assessment of {format_uk(saved.visit_date)} saved.")
        self._refresh()
        self._tell_window(f"Assessment of {format_uk(saved.visit_date)} saved.")
        self.changed.emit()

    def _import_clicked(self) -> None:
        self.import_csv(None)

    def import_csv(self, path: Path | None) -> None:
        """Import a trichoscopy CSV file (asking for it when ``path`` is None): all of it, or
        nothing and a list of every problem."""
        if self.patient_id is None or not self.may_edit:
            return
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                self, "Import measurements", "", "CSV files (*.csv *.txt);;All files (*)"
            )
            if not chosen:
                return
            path = Path(chosen)
        # Reading and checking every row runs on a worker (a file may hold thousands of rows);
        # storing the visits is one short transaction here, on this tab's connection.
        patient_id, today = self.patient_id, self.service.today()
        source = path

        def work(_progress: Progress, _cancelled: Cancelled) -> list[ImportedVisit]:
            return read_assessment_csv(source, today)

        def succeeded(result: object) -> None:
            assert isinstance(result, list)
            self._store_imported(patient_id, source, result)

        def failed(exc: BaseException) -> None:
            self._import_failed(source, exc)

        self.import_task = BackgroundTask(self, f"Reading {path.name}…", work, succeeded, failed)
        self.import_task.finished.connect(self._import_task_finished)
        self.import_task.start()

    def _import_task_finished(self) -> None:
        self.import_task = None

    def _import_failed(self, path: Path, exc: BaseException) -> None:
        if isinstance(exc, CsvImportError):
            if self.problems_dialog is not None:
                self.problems_dialog.deleteLater()
            self.problems_dialog = CsvProblemsDialog(path.name, exc, self)
            self.problems_dialog.open()
            self.status.setText(f"Nothing was imported from {path.name}.")
        else:
            show_failure(self, exc)

    def _store_imported(
        self, patient_id: str | None, path: Path, visits: list[ImportedVisit]
    ) -> None:
        if patient_id is None:
            return
        try:
            imported = self.service.import_visits(self.user, patient_id, visits)
        except UserError as exc:
            self._import_failed(path, exc)
            return
        message = (
            f"Imported {len(imported)} visit{'s' if len(imported) != 1 else ''} from {path.name}."
        )
        if patient_id != self.patient_id:
            # Another record was opened while the file was read: the import is still the one
            # asked for, into the patient it was asked for; this tab shows someone else now.
            self._tell_window(message)
            return
        self.assessments.extend(imported)
        self.status.setText(message)
        self._refresh()
        self._tell_window(message)
        self.changed.emit()

    def _tell_window(self, message: str) -> None:
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(message, 5000)
