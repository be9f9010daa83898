"""Clinic > Outcomes: does the clinic get the published two-thirds?

The responder rate at the clinic's threshold with its 95% Wilson interval, beside the published
66% and its source; the threshold (an administrator may change it here, everyone else sees it);
the smallest group given a percentage (smaller ones are counts with a warning); the counts of
every category; the rate by group of each field; the change from baseline per region at 1, 3,
6 and 12 months with its spread; lost to follow-up by what happened to the 6-month visit; the
rate per quarter (chart and table); and what the numbers cannot tell. Every number opens the
list of patients behind it (double-click or Enter), and each patient in that list opens their
record in the main window.

Numbers come from ``OutcomesService.summary`` (clinicians and administrators; audited), counted
on a worker when the window opens it (the screen is up at once and says it is counting);
changing the minimum group recounts what was read (no new query). The change table is filled
when its tab is first opened (its spreads are exact standard deviations of thousands of
changes: the rate does not wait for them). Exports: ``ui.outcomes.exports``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.assessments import MEASURE_BY_NAME, format_number
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.outcomes import (
    CHANGE_MEASURES,
    COUNTS,
    GROUP_FIELDS,
    LIMITATIONS,
    LOST_REASONS,
    WHO_COUNTS,
    ChangeRow,
    Rate,
    Summary,
    percent,
    rate_text,
    summarise,
)
from clinicdesk.domain.response import rule_text
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import UserError, ValidationError
from clinicdesk.services.outcomes import OutcomesService, PatientLine, cycle_collection_paused
from clinicdesk.services.response_settings import ResponseSettings
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.ui.widgets.background import BackgroundTask, Cancelled, Progress
from clinicdesk.ui.widgets.errors import show_failure, show_user_error
from clinicdesk.ui.widgets.fields import close_buttons, plain_label
from clinicdesk.ui.widgets.styles import ERROR_STYLE

if TYPE_CHECKING:
    from clinicdesk.services.context import ClinicServices

IDS = Qt.ItemDataRole.UserRole  # a cell's (what, patient ids)
RATE_COLUMNS = ("treated", "evaluable", "responded", "not_responded", "lost", "too_early")
GROUP_HEADERS = ("Group", *(COUNTS[c] for c in RATE_COLUMNS), "Responder rate (95% CI)")
CHANGE_HEADERS = ("Measure", "Region", "Visit", "Patients", "Mean", "Median", "SD", "IQR")
UNITS = {name: unit for name, _label, unit in CHANGE_MEASURES}


def _table(name: str, headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _cell(text: str, what: str = "", ids: Sequence[str] = ()) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if ids:
        item.setData(IDS, (what, tuple(ids)))
        item.setToolTip(f"Double-click or press Enter to list the {len(ids)} patient(s)")
    return item


def _no_default_button(dialog: QDialog) -> None:
    """Enter on a table cell lists its patients; the item view passes the key on to the
    dialog too, which would press its default button (close the window, or export)."""
    for button in dialog.findChildren(QPushButton):
        button.setAutoDefault(False)
        button.setDefault(False)


def _signed(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f} {unit}"


class OutcomesDialog(QDialog):
    def __init__(
        self,
        service: OutcomesService,
        settings: ResponseSettings,
        user: CurrentUser,
        open_patient: Callable[[str], None],
        parent: QWidget | None = None,
        clinic_name: str = "",
        open_job: Callable[[], ClinicServices] | None = None,
    ) -> None:
        # Refused (and audited) here, before anything is shown, as the count itself would be.
        require(service.db, user, Permission.VIEW_CLINICAL_RECORDS, entity="outcomes")
        super().__init__(parent)
        self.clinic_name = clinic_name
        self.open_job = open_job
        self.task: BackgroundTask | None = None
        self.service = service
        self.settings = settings
        self.user = user
        self._open_patient = open_patient
        self.patients_dialog: PatientsBehindDialog | None = None
        self.setObjectName("outcomes")
        self.setWindowTitle("Outcomes audit")
        layout = QVBoxLayout(self)

        self.rate_label = QLabel()
        self.rate_label.setObjectName("outcomes_rate")
        self.rate_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.rate_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.rate_label.setFont(font)
        self.published_label = plain_label("outcomes_published")
        headline = QHBoxLayout()
        headline.addWidget(self.rate_label, 3)
        headline.addWidget(self.published_label, 2)
        layout.addLayout(headline)

        settings_row = QHBoxLayout()
        self.threshold_edit = QLineEdit()
        self.threshold_edit.setObjectName("outcomes_threshold")
        self.threshold_edit.setMaximumWidth(70)
        threshold_label = QLabel("Response &threshold (%)")
        threshold_label.setBuddy(self.threshold_edit)
        self.threshold_button = QPushButton("Save threshold")
        self.threshold_button.setObjectName("outcomes_threshold_save")
        admin = user.may(Permission.MANAGE_CLINIC)
        self.threshold_edit.setReadOnly(not admin)
        self.threshold_button.setVisible(admin)
        if not admin:
            self.threshold_edit.setToolTip("An administrator sets the clinic's threshold")
        self.min_group = QSpinBox()
        self.min_group.setObjectName("outcomes_min_group")
        self.min_group.setRange(1, 1000)
        self.min_group.setValue(10)
        min_label = QLabel("Smallest group given a &percentage")
        min_label.setBuddy(self.min_group)
        for widget in (threshold_label, self.threshold_edit, self.threshold_button):
            settings_row.addWidget(widget)
        settings_row.addSpacing(24)
        settings_row.addWidget(min_label)
        settings_row.addWidget(self.min_group)
        settings_row.addStretch(1)
        layout.addLayout(settings_row)
        self.error_label = QLabel()
        self.error_label.setObjectName("outcomes_error")
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)
        self.rule_label = plain_label("outcomes_rule")
        layout.addWidget(self.rule_label)

        self.counts = _table("outcomes_counts", [COUNTS[c] for c in COUNTS])
        self.counts.setMaximumHeight(56)
        layout.addWidget(self.counts)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("outcomes_tabs")
        groups_page = QWidget()
        groups_layout = QVBoxLayout(groups_page)
        self.field = QComboBox()
        self.field.setObjectName("outcomes_group_field")
        for name, heading in GROUP_FIELDS.items():
            self.field.addItem(heading, name)
        field_row = QHBoxLayout()
        field_label = QLabel("&Break down by")
        field_label.setBuddy(self.field)
        field_row.addWidget(field_label)
        field_row.addWidget(self.field)
        field_row.addStretch(1)
        groups_layout.addLayout(field_row)
        self.groups = _table("outcomes_groups", GROUP_HEADERS)
        groups_layout.addWidget(self.groups)
        self.tabs.addTab(groups_page, "&Groups")
        self.changes = _table("outcomes_changes", CHANGE_HEADERS)
        self.tabs.addTab(self.changes, "&Change from baseline")
        self.lost = _table("outcomes_lost", ("What happened to the 6-month visit", "Patients"))
        self.tabs.addTab(self.lost, "&Lost to follow-up")
        quarters_page = QWidget()
        quarters_layout = QHBoxLayout(quarters_page)
        from clinicdesk.ui.outcomes.chart import QuarterChart

        self.chart = QuarterChart()
        self.quarters = _table("outcomes_quarters", GROUP_HEADERS)
        quarters_layout.addWidget(self.chart, 3)
        quarters_layout.addWidget(self.quarters, 2)
        self.tabs.addTab(quarters_page, "By &quarter")
        layout.addWidget(self.tabs, 1)

        self.limits_label = plain_label("outcomes_limitations", f"{LIMITATIONS} {WHO_COUNTS}")
        self.limits_label.setStyleSheet("color: #444;")
        layout.addWidget(self.limits_label)
        self.status_label = plain_label("outcomes_status")
        layout.addWidget(self.status_label)
        self.export_csv_button = QPushButton("Export &CSV…")
        self.export_csv_button.setObjectName("outcomes_export_csv")
        self.export_csv_button.setToolTip("One row per patient and region, pseudonymised")
        self.export_pdf_button = QPushButton("Export &PDF…")
        self.export_pdf_button.setObjectName("outcomes_export_pdf")
        self.export_pdf_button.setToolTip("The audit report, as printed")
        layout.addWidget(close_buttons(self, self.export_csv_button, self.export_pdf_button))

        for table in (self.counts, self.groups, self.changes, self.lost, self.quarters):
            table.itemActivated.connect(self._cell_activated)
        self.field.currentIndexChanged.connect(self._field_changed)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.min_group.valueChanged.connect(self._min_group_changed)
        self.threshold_button.clicked.connect(self._threshold_clicked)
        self.threshold_edit.returnPressed.connect(self._threshold_clicked)
        self.export_csv_button.clicked.connect(self._export_csv_clicked)
        self.export_pdf_button.clicked.connect(self._export_pdf_clicked)
        self.resize(1280, 740)
        _no_default_button(self)
        self.summary: Summary | None = None
        self._changes_shown = False
        self.reload()

    # -- counting -------------------------------------------------------------------------

    def reload(self) -> None:
        """Count the clinic again (audited) and show it. With ``open_job`` (the window) the
        count runs on a worker with its own connection, so the screen is up at once and says
        it is counting; without, here and now."""
        self.summary = None
        self._set_loading(True)
        min_group = self.min_group.value()
        if self.open_job is None:
            self._loaded(self.service.summary(self.user, min_group))
            return
        open_job, user = self.open_job, self.user

        def work(_progress: Progress, _cancelled: Cancelled) -> Summary:
            job = open_job()
            try:
                return job.outcomes.summary(user, min_group)
            finally:
                job.close()

        self.task = BackgroundTask(
            self, "Counting…", work, self._loaded, self._count_failed, quiet=True
        )
        self.task.start()

    def _set_loading(self, loading: bool) -> None:
        if loading:
            self.rate_label.setText("Counting the clinic's treated patients…")
        for widget in (
            self.counts,
            self.tabs,
            self.export_csv_button,
            self.export_pdf_button,
            self.threshold_button,
            self.min_group,
        ):
            widget.setEnabled(not loading)

    def _loaded(self, summary: object) -> None:
        assert isinstance(summary, Summary)
        self.summary = summary
        self.task = None
        self._set_loading(False)
        self._show()

    def _count_failed(self, exc: BaseException) -> None:
        self.task = None
        self.rate_label.setText("The outcomes could not be counted.")
        show_failure(self, exc, "Outcomes audit")

    # -- showing ------------------------------------------------------------------------

    def _show(self) -> None:
        s = self.summary
        assert s is not None
        self.rate_label.setText(f"Responder rate: {rate_text(s.overall, s.min_group)}")
        self.published_label.setText(
            f"Published: {percent(s.published_rate)} — {s.published_source}"
        )
        self.threshold_edit.setText(f"{s.threshold:g}")
        self.rule_label.setText(rule_text(s.threshold))
        self.counts.setRowCount(1)
        for column, count in enumerate(COUNTS):
            ids = s.overall.patients(count)
            self.counts.setItem(0, column, _cell(str(len(ids)), COUNTS[count], ids))
        self._show_groups()
        # The change table's spreads (exact standard deviations of thousands of changes) are
        # worked out when its tab is first shown, not before the headline numbers.
        self._changes_shown = False
        if self.tabs.currentWidget() is self.changes:
            self._show_changes()
        self.lost.setRowCount(len(s.lost))
        for row, (key, ids) in enumerate(s.lost):
            self.lost.setItem(row, 0, _cell(LOST_REASONS[key], LOST_REASONS[key], ids))
            self.lost.setItem(row, 1, _cell(str(len(ids)), LOST_REASONS[key], ids))
        self.lost.resizeColumnToContents(0)
        self._fill_rates(self.quarters, s.quarters, "Quarter")
        self.chart.show_quarters(s.quarters, s.min_group, s.published_rate)

    def _fill_rates(self, table: QTableWidget, rates: Sequence[Rate], first: str) -> None:
        assert self.summary is not None
        table.setHorizontalHeaderItem(0, QTableWidgetItem(first))
        table.setRowCount(len(rates))
        for row, rate in enumerate(rates):
            table.setItem(row, 0, _cell(rate.label, rate.label, rate.treated))
            for column, count in enumerate(RATE_COLUMNS, 1):
                ids = rate.patients(count)
                table.setItem(
                    row, column, _cell(str(len(ids)), f"{rate.label}: {COUNTS[count]}", ids)
                )
            text = rate_text(rate, self.summary.min_group)
            item = _cell(text, f"{rate.label}: {COUNTS['responded']}", rate.responded)
            if rate.small(self.summary.min_group) and rate.evaluable:
                item.setForeground(Qt.GlobalColor.darkRed)
            table.setItem(row, len(RATE_COLUMNS) + 1, item)
        table.resizeColumnsToContents()

    def _show_groups(self) -> None:
        if self.summary is None:
            return
        name = str(self.field.currentData())
        self._fill_rates(self.groups, self.summary.groups.get(name, ()), GROUP_FIELDS[name])

    def _tab_changed(self, _index: int) -> None:
        if (
            self.tabs.currentWidget() is self.changes
            and self.summary is not None
            and not self._changes_shown
        ):
            self._show_changes()

    def _show_changes(self) -> None:
        assert self.summary is not None
        self._changes_shown = True
        # Worked out now, on first reading (``Summary.changes``): tens of thousands of small
        # objects, the collector resting meanwhile as during the count.
        with cycle_collection_paused():
            rows = self.summary.changes
        self.changes.setRowCount(len(rows))
        for row, change in enumerate(rows):
            few = change.spread.n < self.summary.min_group
            for column, text in enumerate(self._change_texts(change)):
                what = f"{MEASURE_BY_NAME[change.measure].label}, {change.region.label}, " + (
                    f"{change.months} months"
                )
                item = _cell(text, what, change.spread.patients)
                if few:  # too few to lean on: marked, as a small group's rate is
                    item.setForeground(Qt.GlobalColor.darkRed)
                    item.setToolTip(
                        f"Fewer than {self.summary.min_group} patients: read with care. "
                        + item.toolTip()
                    )
                self.changes.setItem(row, column, item)
        self.changes.resizeColumnsToContents()

    @staticmethod
    def _change_texts(change: ChangeRow) -> tuple[str, ...]:
        spread, unit = change.spread, UNITS[change.measure]
        quartiles = spread.quartiles
        return (
            MEASURE_BY_NAME[change.measure].label,
            change.region.label,
            f"{change.months} month{'s' if change.months > 1 else ''}",
            str(spread.n),
            _signed(spread.mean, unit),
            _signed(spread.median, unit),
            "—" if spread.sd is None else f"{format_number(spread.sd)} {unit}",
            "—" if quartiles is None else f"{quartiles[0]:+.1f} to {quartiles[1]:+.1f}",
        )

    # -- the patients behind a number ---------------------------------------------------

    def open_patients(self, what: str, ids: Sequence[str]) -> PatientsBehindDialog | None:
        if self.summary is None:
            return None
        try:
            lines = self.service.patients_behind(self.user, what, ids)
        except UserError as exc:
            show_user_error(self, exc)
            return None
        if self.patients_dialog is not None:
            self.patients_dialog.deleteLater()
        dialog = PatientsBehindDialog(what, lines, self.summary, self._open_patient, self)
        self.patients_dialog = dialog
        dialog.show()
        return dialog

    # -- slots (return None: see MainWindow._build_actions) ----------------------------

    def _cell_activated(self, item: QTableWidgetItem) -> None:
        data = item.data(IDS)
        if data:
            what, ids = data
            self.open_patients(what, ids)

    def _field_changed(self, _index: int) -> None:
        self._show_groups()

    def _min_group_changed(self, value: int) -> None:
        s = self.summary
        if s is None:
            return
        self.summary = summarise(list(s.patients.values()), s.threshold, s.today, value)
        self._show()

    def _threshold_clicked(self) -> None:
        if self.threshold_edit.isReadOnly():
            return
        try:
            self.settings.set_threshold_percent(self.user, self.threshold_edit.text())
        except ValidationError as exc:
            self.error_label.setText(
                "Response threshold: " + next(iter(exc.errors.values()), str(exc))
            )
            self.error_label.setVisible(True)
            return
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.error_label.setVisible(False)
        self.reload()

    def _export_csv_clicked(self) -> None:
        if self.summary is None:
            return
        from clinicdesk.ui.outcomes.exports import export_csv

        export_csv(self, self.service, self.user, self.summary)

    def _export_pdf_clicked(self) -> None:
        if self.summary is None:
            return
        from clinicdesk.ui.outcomes.exports import export_pdf

        export_pdf(self, self.service, self.user, self.summary, self.clinic_name)


RESULT_LABELS = {
    "responded": "Responded",
    "not_responded": "Did not respond",
    "too_early": "Too early to tell",
    "no_end_point_visit": "Lost to follow-up",
    "not_measured": "Not measured",
}


class PatientsBehindDialog(QDialog):
    """The patients behind one number; a row opens the patient's record."""

    def __init__(
        self,
        what: str,
        lines: Sequence[PatientLine],
        summary: Summary,
        open_patient: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("outcomes_patients")
        self.setWindowTitle(f"Patients: {what}")
        self._open_patient = open_patient
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("outcomes_patients_what", f"{what}: {len(lines)} patient(s)"))
        self.table = _table(
            "outcomes_patients_table", ("Patient", "Date of birth", "Treated on", "Result")
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.ids: list[str] = []
        self.table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            pid = line.patient_id
            self.ids.append(pid)
            patient = summary.patients.get(pid)
            values = (
                f"{line.last_name.upper()}, {line.first_name}",
                format_uk(line.date_of_birth),
                format_uk(patient.treated_on) if patient else "",
                RESULT_LABELS.get(patient.category.value, "") if patient else "",
            )
            for column, text in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table, 1)
        self.open_button = QPushButton("&Open record")
        self.open_button.setObjectName("outcomes_open_patient")
        layout.addWidget(close_buttons(self, self.open_button))
        self.table.itemActivated.connect(self._activated)
        self.open_button.clicked.connect(self._open_clicked)
        self.resize(620, 420)
        _no_default_button(self)

    def open_row(self, row: int) -> None:
        if 0 <= row < len(self.ids):
            self._open_patient(self.ids[row])

    def _activated(self, item: QTableWidgetItem) -> None:
        self.open_row(item.row())

    def _open_clicked(self) -> None:
        self.open_row(self.table.currentRow())
