"""The patient's access log tab: who opened this record and when, newest first.

Shown to clinicians and admins (``PATIENT_ACCESS_LOG``); reception never gets the tab. The main
window loads it each time a record is opened, after the opening itself was audited, so the
newest line is the person looking at it now.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.services.audit import ACCESS_LOG_LIMIT, AccessEvent

COLUMNS = ("Opened", "By", "Role")
AnyIndex = QModelIndex | QPersistentModelIndex


class AccessLogModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events: list[AccessEvent] = []

    def set_events(self, events: Sequence[AccessEvent]) -> None:
        self.beginResetModel()
        self._events = list(events)
        self.endResetModel()

    def event_at(self, row: int) -> AccessEvent | None:
        return self._events[row] if 0 <= row < len(self._events) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._events)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._events):
            return None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        event = self._events[index.row()]
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
        layout.addWidget(self.summary)
        self.model = AccessLogModel(self)
        self.table = QTableView()
        self.table.setObjectName("access_log_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 130)
        self.table.setColumnWidth(1, 220)
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

    def names(self) -> list[str]:
        """Who opened the record, newest first (as shown)."""
        return [
            event.user_name
            for row in range(self.model.rowCount())
            if (event := self.model.event_at(row)) is not None
        ]
