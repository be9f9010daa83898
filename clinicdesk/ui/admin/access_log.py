"""The patient's access log tab: who opened this record and when, newest first.

Shown to clinicians and admins (``PATIENT_ACCESS_LOG``); reception never gets the tab. The main
window loads it each time a record is opened, after the opening itself was audited, so the
newest line is the person looking at it now.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.services.audit import ACCESS_LOG_LIMIT, AccessEvent
from clinicdesk.ui.widgets.table_model import AnyIndex, ListTableModel, list_table_view

COLUMNS = ("Opened", "By", "Role")
ACCESS_LOG_WIDTHS = (130, 220)


class AccessLogModel(ListTableModel[AccessEvent]):
    COLUMNS = COLUMNS

    def set_events(self, events: Sequence[AccessEvent]) -> None:
        self.set_rows(events)

    def event_at(self, row: int) -> AccessEvent | None:
        return self.row_at(row)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        event = self.row_for(index)
        if event is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        values = (event.when, event.user_name, event.role)
        return values[index.column()] if 0 <= index.column() < len(values) else None


class AccessLogTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("access_log")
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setObjectName("access_log_summary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)  # a long line would widen the whole record
        layout.addWidget(self.summary)
        self.model = AccessLogModel(self)
        self.table = list_table_view(
            self.model, "access_log_table", ACCESS_LOG_WIDTHS, wrapped_rows=True
        )
        layout.addWidget(self.table, 1)
        self.clear()

    def load(self, events: Sequence[AccessEvent]) -> None:
        self.model.set_events(events)
        n = len(events)
        if n == 0:
            text = "Nobody has opened this record yet."
        elif n >= ACCESS_LOG_LIMIT:
            text = f"The latest {n} times this record was opened, newest first."
        else:
            text = f"This record was opened {n} time{'s' if n != 1 else ''}, newest first."
        self.summary.setText(text)

    def clear(self) -> None:
        self.model.set_events([])
        self.summary.setText("")

    def show_restricted(self, message: str) -> None:
        """This user may not see this record's log: say why instead of listing anyone."""
        self.model.set_events([])
        self.summary.setText(message)

    def names(self) -> list[str]:
        """Who opened the record, newest first (as shown)."""
        return [
            event.user_name
            for row in range(self.model.rowCount())
            if (event := self.model.event_at(row)) is not None
        ]
