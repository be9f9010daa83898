"""Admin > Audit trail: who did what and when, filtered, exported as CSV, and checked.

Filters (patient, user, action, a range of local dates) apply when Show is pressed, Enter is
typed in a text filter, or a choice changes; each application is one audited view of the trail
(``AuditService.entries``), and scrolling fetches older pages without further entries. The
table is a lazy model, newest entry first. Export CSV writes exactly what the filters select;
Verify chain checks the whole trail and says what is wrong, naming the entries.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import DateError, parse_date
from clinicdesk.errors import UserError
from clinicdesk.services.audit import (
    ACTION_LABELS,
    PAGE_SIZE,
    AuditFilter,
    AuditRow,
    AuditService,
    ChainCheck,
)
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.fields import close_buttons, plain_label
from clinicdesk.ui.widgets.styles import ERROR_STYLE, INVALID_STYLE
from clinicdesk.ui.widgets.table_model import (
    AnyIndex,
    PagedTableModel,
    export_button,
    export_csv_as,
    list_table_view,
)

COLUMNS = ("Entry", "Time", "User", "Action", "Entity", "Record", "Details")
COLUMN_WIDTHS = (56, 118, 150, 150, 110, 160)
INTACT_STYLE = "color: #1b6e20; font-weight: bold;"
PROBLEMS_SHOWN = 8


class AuditTrailModel(PagedTableModel[AuditRow]):
    """The entries the filters select, newest first, fetched a page at a time."""

    COLUMNS = COLUMNS
    PAGE_ROWS = PAGE_SIZE

    def __init__(
        self, service: AuditService, user: CurrentUser, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._user = user
        self._filters = AuditFilter()
        self.total = 0

    @property
    def filters(self) -> AuditFilter:
        return self._filters

    def set_filters(self, filters: AuditFilter) -> None:
        """Show the entries ``filters`` select (one audited view of the trail)."""
        self.beginResetModel()
        self._filters = filters
        self.total = self._service.count(self._user, filters)
        self._rows = self._service.entries(self._user, filters, limit=PAGE_SIZE)
        self._exhausted = len(self._rows) < PAGE_SIZE
        self.endResetModel()

    # -- lazy fetching --------------------------------------------------------------------

    def next_page(self, last: AuditRow) -> list[AuditRow]:
        return self._service.entries(
            self._user, self._filters, before=last.position, limit=PAGE_SIZE
        )

    # -- QAbstractTableModel --------------------------------------------------------------

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = self.row_for(index)
        if row is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            values = (
                str(row.seq),
                row.when,
                row.user_name,
                row.action_label,
                row.entity_label,
                row.record,
                row.details,
            )
            if 0 <= index.column() < len(values):
                if role == Qt.ItemDataRole.ToolTipRole:
                    # The stored UTC time on the time cell; long details in full.
                    return f"{row.at} (UTC)" if index.column() == 1 else values[index.column()]
                return values[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _date_edit(name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText("DD/MM/YYYY")
    edit.setMaxLength(10)
    edit.setFixedWidth(96)
    return edit


class AuditTrailDialog(QDialog):
    def __init__(
        self, service: AuditService, user: CurrentUser, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.user = user
        self.setObjectName("audit_trail")
        self.setWindowTitle("Audit trail")
        layout = QVBoxLayout(self)

        filters = QGridLayout()
        self.patient_filter = QLineEdit()
        self.patient_filter.setObjectName("audit_patient_filter")
        self.patient_filter.setPlaceholderText("Name, date of birth, NHS number or record id")
        self.patient_filter.setClearButtonEnabled(True)
        self.patient_filter.setMaxLength(200)
        self.user_filter = QComboBox()
        self.user_filter.setObjectName("audit_user_filter")
        self.user_filter.addItem("Anyone", None)
        for user_id, name in service.users(user):
            self.user_filter.addItem(name, user_id)
        self.action_filter = QComboBox()
        self.action_filter.setObjectName("audit_action_filter")
        self.action_filter.addItem("Any action", None)
        for action, text in sorted(ACTION_LABELS.items(), key=lambda item: item[1]):
            self.action_filter.addItem(text, action)
        self.date_from = _date_edit("audit_date_from")
        self.date_to = _date_edit("audit_date_to")
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        self.show_button = QPushButton("&Show")
        self.show_button.setObjectName("audit_show")
        self.show_button.setDefault(True)
        self.clear_button = QPushButton("C&lear filters")
        self.clear_button.setObjectName("audit_clear")

        def buddy_label(text: str, buddy: QWidget) -> QLabel:
            label = QLabel(text)
            label.setBuddy(buddy)
            return label

        filters.addWidget(buddy_label("&Patient", self.patient_filter), 0, 0)
        filters.addWidget(self.patient_filter, 0, 1)
        filters.addWidget(buddy_label("&User", self.user_filter), 0, 2)
        filters.addWidget(self.user_filter, 0, 3)
        filters.addWidget(buddy_label("&Dates", self.date_from), 1, 0)
        filters.addLayout(dates, 1, 1)
        filters.addWidget(buddy_label("&Action", self.action_filter), 1, 2)
        filters.addWidget(self.action_filter, 1, 3)
        filters.addWidget(self.show_button, 0, 4)
        filters.addWidget(self.clear_button, 1, 4)
        filters.setColumnStretch(1, 2)
        filters.setColumnStretch(3, 1)
        layout.addLayout(filters)
        self.filter_error = QLabel()
        self.filter_error.setObjectName("audit_filter_error")
        self.filter_error.setTextFormat(Qt.TextFormat.PlainText)
        self.filter_error.setStyleSheet(ERROR_STYLE)
        self.filter_error.setVisible(False)
        layout.addWidget(self.filter_error)

        self.model = AuditTrailModel(service, user, self)
        self.table = list_table_view(self.model, "audit_table", COLUMN_WIDTHS)
        layout.addWidget(self.table, 1)
        self.count_label = QLabel()
        self.count_label.setObjectName("audit_count")
        layout.addWidget(self.count_label)

        self.verify_label = plain_label("audit_verify_result")
        self.verify_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verify_label.setVisible(False)
        layout.addWidget(self.verify_label)
        self.verify_button = QPushButton("&Verify chain")
        self.verify_button.setObjectName("audit_verify")
        self.verify_button.setToolTip(
            "Check that no entry was changed, removed, reordered or cut from the end"
        )
        self.export_button = export_button(
            "audit_export", "Save the entries shown (all pages) as a CSV file"
        )
        layout.addWidget(close_buttons(self, self.verify_button, self.export_button))

        self.show_button.clicked.connect(self._apply_clicked)
        self.clear_button.clicked.connect(self.clear_filters)
        self.patient_filter.returnPressed.connect(self._apply_clicked)
        self.date_from.returnPressed.connect(self._apply_clicked)
        self.date_to.returnPressed.connect(self._apply_clicked)
        self.user_filter.currentIndexChanged.connect(self._choice_changed)
        self.action_filter.currentIndexChanged.connect(self._choice_changed)
        self.verify_button.clicked.connect(self._verify_clicked)
        self.export_button.clicked.connect(self._export_clicked)
        self.resize(1060, 620)
        self.apply_filters()

    # -- filters --------------------------------------------------------------------------

    def current_filters(self) -> AuditFilter | None:
        """The filters on screen, or None (with the wrong dates marked) if a date is wrong."""
        errors: list[str] = []
        days: list[date | None] = []
        for edit, name in ((self.date_from, "From"), (self.date_to, "To")):
            text = edit.text().strip()
            day: date | None = None
            if text:
                try:
                    day = parse_date(text)
                except DateError as exc:
                    errors.append(f"{name} date {exc}")
            edit.setStyleSheet(INVALID_STYLE if text and day is None else "")
            days.append(day)
        start, end = days
        if start is not None and end is not None and start > end:
            errors.append("The From date is after the To date.")
            self.date_to.setStyleSheet(INVALID_STYLE)
        self.filter_error.setText("\n".join(errors))
        self.filter_error.setVisible(bool(errors))
        if errors:
            return None
        return AuditFilter(
            patient=self.patient_filter.text().strip(),
            user_id=self.user_filter.currentData(),
            action=self.action_filter.currentData(),
            date_from=start,
            date_to=end,
        )

    def apply_filters(self) -> None:
        filters = self.current_filters()
        if filters is None:
            return
        try:
            self.model.set_filters(filters)
        except UserError as exc:
            show_user_error(self, exc)
            return
        total = self.model.total
        noun = "entry" if total == 1 else "entries"
        self.count_label.setText(
            f"{total} {noun}, newest first" if total else "No entry matches these filters."
        )
        self.export_button.setEnabled(total > 0)

    def clear_filters(self) -> None:
        for edit in (self.patient_filter, self.date_from, self.date_to):
            edit.clear()
        for combo in (self.user_filter, self.action_filter):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.apply_filters()

    def _apply_clicked(self) -> None:
        self.apply_filters()

    def _choice_changed(self, _index: int) -> None:
        self.apply_filters()

    # -- export and verify ----------------------------------------------------------------

    def export_csv(self, path: Path) -> int:
        """Write the entries the current filters select to ``path``; how many were written."""
        written = self.service.export_csv(self.user, self.model.filters, path)
        self.count_label.setText(
            f"Exported {written} entr{'y' if written == 1 else 'ies'} to {path.name}."
        )
        return written

    def _export_clicked(self) -> None:
        default = Path.home() / f"audit-trail-{date.today():%Y-%m-%d}.csv"
        export_csv_as(self, "Export audit trail", default, self.export_csv)

    def verify_chain(self) -> ChainCheck:
        """Check the whole trail and show the result under the table."""
        check = self.service.verify(self.user)
        checked = f"checked at {datetime.now():%H:%M}"
        lines = [f"{check.summary()} ({checked})" + ("." if check.intact else ":")]
        lines += [f"  • {p}" for p in check.problems[:PROBLEMS_SHOWN]]
        if len(check.problems) > PROBLEMS_SHOWN:
            lines.append(f"  … and {len(check.problems) - PROBLEMS_SHOWN} more")
        # Each site keeps its own chain: when the trail holds several, say how each one fared.
        lines += [f"  {line}" for line in check.site_lines()]
        self.verify_label.setText("\n".join(lines))
        self.verify_label.setStyleSheet(INTACT_STYLE if check.intact else ERROR_STYLE)
        self.verify_label.setVisible(True)
        return check

    def _verify_clicked(self) -> None:
        try:
            self.verify_chain()
        except UserError as exc:
            show_user_error(self, exc)
