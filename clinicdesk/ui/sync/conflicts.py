"""Clinic > Conflicts: the changes sync parked instead of overwriting anything.

The list shows each one (patient, record, fields, both values, who and when on each side).
For a patient's details, each field has both values to pick from, and can be typed over with a
merged value; Save saves it as a normal, audited edit and the conflict leaves the list. A
delete (archive) that met an edit elsewhere kept the edit: Keep the record, or Archive it.
Any other record is changed in its own tab, then Mark resolved.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.errors import UserError
from clinicdesk.services.conflict_resolution import ConflictResolution, ConflictView, shown
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.errors import show_user_error

HEADERS = ("Patient", "Record", "Field", "At the hub", "From the other site")


def _side(value: object, by: str, at: str) -> str:
    return f"{shown(value)}   ({by}, {at[:16].replace('T', ' ')})" if by or at else shown(value)


class ConflictsDialog(QDialog):
    def __init__(
        self, services: ClinicServices, user: CurrentUser, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conflicts_dialog")
        self.setWindowTitle("Sync conflicts")
        self.resolution = ConflictResolution(services)
        self.user = user
        self.views: list[ConflictView] = []
        self.choices: dict[str, QComboBox] = {}
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setObjectName("conflicts_summary")
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("conflicts_table")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)
        self.detail = QWidget()
        self.form = QFormLayout(self.detail)
        layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("&Save the chosen values")
        self.save_button.setObjectName("save_resolution")
        self.save_button.clicked.connect(self.save)
        self.keep_button = QPushButton("&Keep the record")
        self.keep_button.setObjectName("keep_record")
        self.keep_button.clicked.connect(lambda: self.settle_delete(archive=False))
        self.archive_button = QPushButton("&Archive it")
        self.archive_button.setObjectName("archive_record")
        self.archive_button.clicked.connect(lambda: self.settle_delete(archive=True))
        self.resolved_button = QPushButton("&Mark resolved")
        self.resolved_button.setObjectName("mark_resolved")
        self.resolved_button.clicked.connect(self.mark_resolved)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        for button in (self.save_button, self.keep_button, self.archive_button):
            buttons.addWidget(button)
        buttons.addWidget(self.resolved_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.resize(900, 480)
        self.reload()

    # -- the list -------------------------------------------------------------------------

    def reload(self) -> None:
        self.views = self.resolution.open_conflicts(self.user)
        rows: list[tuple[int, str]] = []
        for index, view in enumerate(self.views):
            rows += [(index, column) for column in view.conflict.columns or [""]]
        self.rows = rows
        self.table.setRowCount(len(rows))
        for row, (index, column) in enumerate(rows):
            view = self.views[index]
            c = view.conflict
            record = c.table_name if c.kind == "edit" else f"{c.table_name} ({c.kind})"
            texts = (
                view.patient_name,
                record,
                column,
                _side(c.hub_values.get(column), view.hub_by, c.hub_updated_at),
                _side(c.incoming_values.get(column), view.incoming_by, c.incoming_updated_at),
            )
            for col, text in enumerate(texts):
                self.table.setItem(row, col, QTableWidgetItem(text))
        count = len(self.views)
        self.summary.setText(
            "No conflicts: every change from every site was applied."
            if count == 0
            else f"{count} change{'s' if count != 1 else ''} could not be applied without "
            "overwriting another: choose what the record should say."
        )
        if rows:
            self.table.selectRow(0)
        self._selected()

    def current(self) -> ConflictView | None:
        row = self.table.currentRow()
        if row < 0 or row >= len(self.rows) or not self.table.selectedItems():
            return None
        return self.views[self.rows[row][0]]

    def _selected(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.choices = {}
        view = self.current()
        is_delete = view is not None and view.conflict.kind == "delete"
        self.save_button.setVisible(view is not None and view.editable)
        self.keep_button.setVisible(is_delete)
        self.archive_button.setVisible(is_delete)
        self.resolved_button.setVisible(view is not None and not view.editable and not is_delete)
        if view is None:
            return
        c = view.conflict
        if is_delete:
            self.form.addRow(
                QLabel(
                    "This record was archived at one site and changed at another. The change "
                    "was kept. Keep the record, or archive it now?"
                )
            )
            return
        if not view.editable:
            self.form.addRow(QLabel("Change this record in its own tab, then Mark resolved."))
            return
        for column in c.columns:
            box = QComboBox()
            box.setObjectName(f"choice_{column}")
            box.setEditable(True)  # pick one value, or type a merged one
            values = [shown(c.hub_values.get(column)), shown(c.incoming_values.get(column))]
            box.addItems(list(dict.fromkeys(values)))
            self.choices[column] = box
            self.form.addRow(column.replace("_", " ").capitalize(), box)

    # -- resolving ------------------------------------------------------------------------

    def _act(self, work: object) -> None:
        assert callable(work)
        try:
            work()
        except UserError as exc:
            show_user_error(self, exc)
        self.reload()

    def save(self) -> None:
        view = self.current()
        if view is None:
            return
        values = {column: box.currentText() for column, box in self.choices.items()}
        self._act(lambda: self.resolution.save_values(self.user, view.conflict.id, values))

    def settle_delete(self, *, archive: bool) -> None:
        view = self.current()
        if view is not None:
            self._act(
                lambda: self.resolution.settle_delete(self.user, view.conflict.id, archive=archive)
            )

    def mark_resolved(self) -> None:
        view = self.current()
        if view is not None:
            self._act(lambda: self.resolution.mark_resolved(self.user, view.conflict.id))
